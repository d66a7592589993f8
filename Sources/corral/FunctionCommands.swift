import ArgumentParser
import CorralStore
import Foundation
import ZIPFoundation

/// Options every client command shares.
struct EndpointOptions: ParsableArguments {
    @Option(help: "The corral server (default: $CORRAL_ENDPOINT or http://127.0.0.1:9000). For https, AWS_CA_BUNDLE names the certificates to trust beyond the system's, as for the aws CLI.")
    var endpoint = APIClient.defaultEndpoint

    var client: APIClient { APIClient(endpoint: endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint) }
}

/// Runs a client command's body, printing failures as `corral: Type: message` and exiting 1.
func clientCall(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let failure as APIClient.Failure {
        printError("corral: \(failure)")
        throw ExitCode(1)
    }
}

struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Zip a directory and create the function, or update its code and settings.",
        discussion: "Example: corral deploy examples/hello-python --name hello --runtime python3.11 --handler app.handler")

    @Argument(help: "Directory holding the function's code (zipped as it is).")
    var directory: String
    @Option(help: "Function name.") var name: String
    @Option(help: "Runtime: python3.N, nodejsN.x, provided, provided.al2, provided.al2023.") var runtime: String
    @Option(help: "Handler, e.g. app.handler (module.function).") var handler: String
    @Option(help: "Memory in MB (128-10240).") var memory: Int?
    @Option(help: "Timeout in seconds (1-900).") var timeout: Int?
    @Option(help: "Environment variable K=V (repeatable).") var env: [String] = []
    @Option(help: "Execution role: a name of one of your account's roles (corral admin role put) or its ARN. New functions get corral-basic, which grants nothing; an update keeps the function's role unless this is given.")
    var role: String?
    @Option(help: "reuse (Lambda's model: environments serve invocations one after another) or fresh (each invocation gets its own environment, started ahead).")
    var mode: String?
    @OptionGroup var endpoint: EndpointOptions

    func validate() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("\(directory) is not a directory")
        }
        for pair in env where !pair.contains("=") { throw ValidationError("--env takes K=V, not '\(pair)'") }
    }

    func run() async throws {
        let zip = try Self.zip(directory)
        var variables: [String: String] = [:]
        for pair in env {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            variables[String(parts[0])] = String(parts[1])
        }
        try await clientCall {
            let client = endpoint.client
            let path = "/2015-03-31/functions/" + APIClient.encode(name)
            let exists = (try? await client.send("GET", path + "/configuration")) != nil
            var settings: [String: Any] = ["Runtime": runtime, "Handler": handler, "Environment": ["Variables": variables]]
            if let role { settings["Role"] = try await client.roleARN(role) }
            if !exists && role == nil { settings["Role"] = try await client.roleARN(TenantStore.basicRole) }
            if let memory { settings["MemorySize"] = memory }
            if let timeout { settings["Timeout"] = timeout }
            if let mode { settings["CorralEnvironmentMode"] = mode }
            let reply: APIClient.Reply
            if exists {
                // Check the package first (DryRun), then the settings, then change the code: a refused
                // package or setting leaves the function as it was.
                let code = zip.base64EncodedString()
                _ = try await client.send("PUT", path + "/code", json: ["ZipFile": code, "DryRun": true])
                _ = try await client.send("PUT", path + "/configuration", json: settings)
                reply = try await client.send("PUT", path + "/code", json: ["ZipFile": code])
                print("updated \(name)")
            } else {
                settings["FunctionName"] = name
                settings["Code"] = ["ZipFile": zip.base64EncodedString()]
                reply = try await client.send("POST", "/2015-03-31/functions", json: settings)
                print("created \(name)")
            }
            let c = reply.json
            print("  \(c["FunctionArn"] as? String ?? "")  \(c["Runtime"] as? String ?? "")  \(c["MemorySize"] ?? "") MB  \(c["Timeout"] ?? "") s  CodeSha256 \(c["CodeSha256"] as? String ?? "")")
        }
    }

    /// A zip of the given files (name -> text), for generated functions.
    static func zipFiles(_ files: [String: String]) throws -> Data {
        let archive = try Archive(data: Data(), accessMode: .create)
        for (name, text) in files.sorted(by: { $0.key < $1.key }) {
            let data = Data(text.utf8)
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        guard let data = archive.data else { throw ValidationError("cannot build a zip") }
        return data
    }

    /// The directory's files as a zip (paths relative to it, modes kept).
    static func zip(_ directory: String) throws -> Data {
        let archive = try Archive(data: Data(), accessMode: .create)
        let base = URL(fileURLWithPath: directory).standardizedFileURL
        guard let walker = FileManager.default.enumerator(atPath: base.path) else { throw ValidationError("cannot read \(directory)") }
        while let relative = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: base.path + "/" + relative, isDirectory: &isDirectory)
            if isDirectory.boolValue || relative.hasSuffix(".pyc") { continue }
            try archive.addEntry(with: relative, relativeTo: base, compressionMethod: .deflate)
        }
        guard let data = archive.data else { throw ValidationError("cannot zip \(directory)") }
        return data
    }
}

struct InvokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoke",
        abstract: "Invoke a function and print its response (exit 1 if the function failed).",
        discussion: "Example: corral invoke hello --payload '{\"name\": \"Ada\"}' --log")

    @Argument(help: "Function name (name:qualifier and ARNs work too).") var name: String
    @Option(help: "The event: JSON text, or @FILE to read it from a file.") var payload = "{}"
    @Flag(help: "Also print the invocation's log (START to REPORT) to stderr.") var log = false
    @OptionGroup var endpoint: EndpointOptions

    func run() async throws {
        let body: Data
        if payload.hasPrefix("@") {
            guard let data = FileManager.default.contents(atPath: String(payload.dropFirst())) else {
                throw ValidationError("cannot read \(payload.dropFirst())")
            }
            body = data
        } else {
            body = Data(payload.utf8)
        }
        var failed = false
        try await clientCall {
            let reply = try await endpoint.client.send("POST", "/2015-03-31/functions/\(APIClient.encode(name))/invocations", body: body,
                                                       headers: log ? ["X-Amz-Log-Type": "Tail"] : [:])
            if log, let encoded = reply.headers["x-amz-log-result"], let text = Data(base64Encoded: encoded) {
                FileHandle.standardError.write(text)
            }
            FileHandle.standardOutput.write(reply.body)
            print("")
            failed = reply.headers["x-amz-function-error"] != nil
        }
        if failed { throw ExitCode(1) }
    }
}

struct FunctionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "functions", abstract: "List the functions.")
    @OptionGroup var endpoint: EndpointOptions

    func run() async throws {
        try await clientCall {
            var marker: String?
            var rows: [[String]] = [["NAME", "RUNTIME", "MEMORY", "TIMEOUT", "LAST MODIFIED"]]
            repeat {
                let reply = try await endpoint.client.send("GET", "/2015-03-31/functions" + (marker.map { "?Marker=" + APIClient.encode($0) } ?? ""))
                for f in reply.json["Functions"] as? [[String: Any]] ?? [] {
                    rows.append([f["FunctionName"] as? String ?? "", f["Runtime"] as? String ?? "", "\(f["MemorySize"] ?? "") MB",
                                 "\(f["Timeout"] ?? "") s", f["LastModified"] as? String ?? ""])
                }
                marker = reply.json["NextMarker"] as? String
            } while marker != nil
            let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                print(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  "))
            }
        }
    }
}

struct DeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete a function (all its versions and aliases), or one version with --qualifier.")
    @Argument(help: "Function name or ARN.") var name: String
    @Option(help: "A version number to delete instead of the whole function.") var qualifier: String?
    @OptionGroup var endpoint: EndpointOptions

    func run() async throws {
        try await clientCall {
            _ = try await endpoint.client.send("DELETE", "/2015-03-31/functions/\(APIClient.encode(name))" + (qualifier.map { "?Qualifier=" + APIClient.encode($0) } ?? ""))
        }
    }
}

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print a function's log (its output and START/END/REPORT lines).")
    @Argument(help: "Function name.") var name: String
    @Flag(name: .shortAndLong, help: "Keep printing new lines as they come (Ctrl-C stops).") var follow = false
    @OptionGroup var endpoint: EndpointOptions

    func run() async throws {
        try await clientCall {
            var printed = 0
            repeat {
                let reply = try await endpoint.client.send("GET", "/corral/functions/\(APIClient.encode(name))/logs")
                if reply.body.count < printed { printed = 0 } // the log was trimmed
                FileHandle.standardOutput.write(reply.body.suffix(from: printed))
                printed = reply.body.count
                if follow { try await Task.sleep(nanoseconds: 1_000_000_000) }
            } while follow
        }
    }
}

/// `corral status`: the warm pool at a glance, from GET /corral/status.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the warm pool: per function, environments warm (idle), busy, provisioned and reserved; the host's capacity used.")
    @Flag(help: "Print the server's JSON instead of a table.") var json = false
    @OptionGroup var endpoint: EndpointOptions

    func run() async throws {
        try await clientCall {
            let reply = try await endpoint.client.send("GET", "/corral/status")
            if json {
                FileHandle.standardOutput.write(reply.body)
                print("")
                return
            }
            let status = reply.json
            var rows: [[String]] = [["ACCOUNT", "FUNCTION", "WARM", "BUSY", "STARTING", "DRAINING", "PROVISIONED", "RESERVED", "RUNNING"]]
            for f in status["functions"] as? [[String: Any]] ?? [] {
                let number = { (key: String) in "\(f[key] as? Int ?? 0)" }
                let provisioned = "\(f["provisioned"] as? Int ?? 0)/\(f["provisionedRequested"] as? Int ?? 0)"
                rows.append([f["account"] as? String ?? "", f["function"] as? String ?? "", number("ready"), number("busy"), number("creating"),
                             number("draining"), provisioned, (f["reserved"] as? Int).map(String.init) ?? "-", number("inFlight")])
            }
            let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                print(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  "))
            }
            let used = status["memoryUsedMB"] as? Int ?? 0, budget = status["memoryBudgetMB"] as? Int ?? 0
            let count = status["environments"] as? Int ?? 0, countBudget = status["environmentBudget"] as? Int ?? 0
            print("capacity: \(used) of \(budget) MB, \(count) of \(countBudget) environments; \(status["waiting"] as? Int ?? 0) invocations waiting for room")
            if let resident = status["supervisorResidentMB"] as? Double {
                print(String(format: "supervisor: %.1f MB resident", resident))
            }
        }
    }
}
