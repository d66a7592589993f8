import CorralAPI
import CorralCode
import CorralStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import ZIPFoundation

/// A Lambda API on a temporary data directory, driven through Hummingbird's router test client.
final class APIFixture: @unchecked Sendable {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("corral-api-\(UUID().uuidString)").path
    let service: LambdaService
    static let account = "123456789012"
    static let region = "us-east-1"

    init(limits: PackageLimits = PackageLimits()) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let store = try FunctionStore(path: directory + "/corral.sqlite")
        service = LambdaService(functions: store, code: CodeStore(root: directory + "/code", limits: limits), publicURL: "http://127.0.0.1:9000",
                                availableRuntimes: { ["nodejs20.x", "provided", "provided.al2", "provided.al2023", "python3.11"] })
    }

    deinit {
        if let all = FileManager.default.enumerator(atPath: directory) {
            while let name = all.nextObject() as? String { chmod(directory + "/" + name, 0o755) }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    func application() -> some ApplicationProtocol {
        let router = Router()
        // Route tests act as one caller, with the region of the request's SigV4 scope when it has one;
        // AuthenticationTests cover the real verification.
        LambdaRoutes(service: service) { request in
            Caller(account: Self.account, region: Self.scopeRegion(request.headers[.authorization]) ?? Self.region)
        }.register(on: router, logger: Logger(label: "test"))
        return Application(router: router)
    }

    /// The region of `Credential=AKID/DATE/REGION/lambda/aws4_request` in an Authorization header.
    static func scopeRegion(_ authorization: String?) -> String? {
        guard let authorization, let range = authorization.range(of: "Credential=") else { return nil }
        let scope = authorization[range.upperBound...].prefix { $0 != "," && $0 != " " }.split(separator: "/")
        return scope.count == 5 ? String(scope[2]) : nil
    }

    /// Files in the code store (hidden temporaries included).
    var codeFiles: [String] { (try? FileManager.default.contentsOfDirectory(atPath: directory + "/code")) ?? [] }

    /// A zip whose one entry inflates to `bytes` zeros (about a thousandth of that compressed).
    static func zeros(_ bytes: Int) throws -> [UInt8] {
        let archive = try Archive(data: Data(), accessMode: .create)
        try archive.addEntry(with: "zeros.bin", type: .file, uncompressedSize: Int64(bytes), compressionMethod: .deflate) { _, size in Data(count: size) }
        guard let data = archive.data else { throw CocoaError(.fileWriteUnknown) }
        return Array(data)
    }

    static func zip(_ files: [String: String]) throws -> [UInt8] {
        let archive = try Archive(data: Data(), accessMode: .create)
        for (path, text) in files.sorted(by: { $0.key < $1.key }) {
            let data = Data(text.utf8)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        guard let data = archive.data else { throw CocoaError(.fileWriteUnknown) }
        return Array(data)
    }

    static func createBody(name: String, zip: [UInt8], extra: [String: Any] = [:]) -> ByteBuffer {
        var body: [String: Any] = [
            "FunctionName": name, "Runtime": "python3.11", "Handler": "app.handler",
            "Role": "arn:aws:iam::123456789012:role/lambda", "Code": ["ZipFile": Data(zip).base64EncodedString()],
        ]
        body.merge(extra) { $1 }
        return json(body)
    }

    static func json(_ object: Any) -> ByteBuffer {
        ByteBuffer(bytes: (try? JSONSerialization.data(withJSONObject: object)) ?? Data())
    }
}

extension TestResponse {
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
    }

    var errorType: String? { headers[HTTPField.Name("x-amzn-ErrorType")!] }
}
