import CorralAPI
import CorralCode
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct FunctionRoutesTests {
    @Test("CreateFunction answers 201 with Lambda's FunctionConfiguration; the package is stored by its SHA-256")
    func create() async throws {
        let fixture = try APIFixture()
        let zip = try APIFixture.zip(["app.py": "def handler(event, context):\n    return event\n"])
        try await fixture.application().test(.router) { client in
            let body = APIFixture.createBody(name: "echo", zip: zip, extra: ["MemorySize": 256, "Environment": ["Variables": ["stage": "dev"]]])
            try await client.execute(uri: "/2015-03-31/functions", method: .post, body: body) { response in
                #expect(response.status.code == 201)
                #expect(response.headers[HTTPField.Name("x-amzn-RequestId")!] != nil)
                let c = response.json
                #expect(c["FunctionName"] as? String == "echo")
                #expect(c["FunctionArn"] as? String == "arn:aws:lambda:us-east-1:123456789012:function:echo")
                #expect(c["Version"] as? String == "$LATEST")
                #expect(c["CodeSha256"] as? String == Data(SHA256.hash(data: zip)).base64EncodedString())
                #expect(c["CodeSize"] as? Int == zip.count)
                #expect(c["MemorySize"] as? Int == 256 && c["Timeout"] as? Int == 3)
                #expect(c["State"] as? String == "Active" && c["LastUpdateStatus"] as? String == "Successful")
                #expect((c["Environment"] as? [String: Any])?["Variables"] as? [String: String] == ["stage": "dev"])
                #expect((c["LastModified"] as? String)?.hasSuffix("+0000") == true)
                #expect(!((c["RevisionId"] as? String) ?? "").isEmpty)
            }
            try await client.execute(uri: "/2015-03-31/functions", method: .post, body: APIFixture.createBody(name: "echo", zip: zip)) { response in
                #expect(response.status.code == 409)
                #expect(response.errorType == "ResourceConflictException")
                #expect(response.json["message"] as? String == "Function already exist: echo")
            }
        }
        #expect(fixture.codeFiles.count == 2) // <sha>.zip and <sha>/
    }

    @Test("every FunctionName form in the path, percent-encoded as boto3 sends it; other accounts are not found")
    func functionNameForms() async throws {
        let fixture = try APIFixture()
        let zip = try APIFixture.zip(["app.py": "x = 1\n"])
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/2015-03-31/functions", method: .post, body: APIFixture.createBody(name: "fn", zip: zip, extra: ["Publish": true])) { response in
                #expect(response.status.code == 201)
                #expect(response.json["Version"] as? String == "1")
                #expect(response.json["FunctionArn"] as? String == "arn:aws:lambda:us-east-1:123456789012:function:fn:1")
            }
            for path in ["fn", "fn%3A%24LATEST", "123456789012%3Afunction%3Afn", "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afn"] {
                try await client.execute(uri: "/2015-03-31/functions/\(path)/configuration", method: .get) { response in
                    #expect(response.status.code == 200, "\(path)")
                    #expect(response.json["Version"] as? String == "$LATEST", "\(path)")
                }
            }
            try await client.execute(uri: "/2015-03-31/functions/fn/configuration?Qualifier=1", method: .get) { response in
                #expect(response.json["Version"] as? String == "1")
            }
            for path in ["210987654321%3Afunction%3Afn", "arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Afn", "nosuch"] {
                try await client.execute(uri: "/2015-03-31/functions/\(path)", method: .get) { response in
                    #expect(response.status.code == 404, "\(path)")
                    #expect(response.errorType == "ResourceNotFoundException")
                    #expect(response.json["Message"] is String, "ResourceNotFoundException spells it Message")
                    #expect(response.json["Type"] as? String == "User")
                }
            }
            try await client.execute(uri: "/2015-03-31/functions/bad%20name", method: .get) { response in
                #expect(response.status.code == 400)
                #expect(response.errorType == "InvalidParameterValueException")
            }
        }
    }

    @Test("bad requests get Lambda's error shapes and leave nothing behind")
    func badRequests() async throws {
        let fixture = try APIFixture()
        let zip = try APIFixture.zip(["app.py": "x = 1\n"])
        try await fixture.application().test(.router) { client in
            let cases: [(ByteBuffer, Int, String)] = [
                (ByteBuffer(string: "{not json"), 400, "InvalidRequestContentException"),
                (APIFixture.createBody(name: "f", zip: zip, extra: ["MemorySize": 64]), 400, "InvalidParameterValueException"),
                (APIFixture.createBody(name: "f", zip: zip, extra: ["MemorySize": "big"]), 400, "InvalidParameterValueException"),
                (APIFixture.createBody(name: "f", zip: zip, extra: ["Runtime": "python3.99"]), 400, "InvalidParameterValueException"),
                (APIFixture.createBody(name: "f", zip: zip, extra: ["Environment": ["Variables": ["AWS_REGION": "x"]]]), 400, "InvalidParameterValueException"),
                (APIFixture.createBody(name: "f", zip: Array("not a zip".utf8)), 502, "InvalidZipFileException"),
                (APIFixture.createBody(name: "f:1", zip: zip), 400, "InvalidParameterValueException"),
                (APIFixture.json(["FunctionName": "f", "Runtime": "python3.11", "Handler": "a.b", "Role": "arn:aws:iam::123456789012:role/r",
                                  "Code": ["S3Bucket": "b", "S3Key": "k"]]), 400, "InvalidParameterValueException"),
            ]
            for (body, status, type) in cases {
                try await client.execute(uri: "/2015-03-31/functions", method: .post, body: body) { response in
                    #expect(response.status.code == status, "\(String(buffer: body).prefix(120))")
                    #expect(response.errorType == type, "\(response.json)")
                }
            }
            try await client.execute(uri: "/2015-03-31/functions", method: .post, body: APIFixture.createBody(name: "f", zip: zip, extra: ["Runtime": "python3.99"])) { response in
                #expect((response.json["message"] as? String)?.contains("python3.11") == true, "lists the available runtimes")
            }
            try await client.execute(uri: "/2015-03-31/nonsense", method: .get) { response in
                #expect(response.status.code == 404)
                #expect(response.errorType == "UnknownOperationException")
            }
        }
        #expect(fixture.codeFiles.isEmpty, "\(fixture.codeFiles)")
    }

    @Test("a zip bomb is an InvalidZipFileException and leaves nothing on disk; the same size within the limit is accepted")
    func zipBomb() async throws {
        let fixture = try APIFixture(limits: PackageLimits(unpackedBytes: 1 << 20, entries: 100))
        let bomb = try APIFixture.zeros(2 << 20), fits = try APIFixture.zeros(512 << 10)
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/2015-03-31/functions", method: .post, body: APIFixture.createBody(name: "bomb", zip: bomb)) { response in
                #expect(response.status.code == 502)
                #expect(response.errorType == "InvalidZipFileException", "\(response.json)")
            }
            #expect(fixture.codeFiles.isEmpty, "\(fixture.codeFiles)")
            try await client.execute(uri: "/2015-03-31/functions", method: .post, body: APIFixture.createBody(name: "fits", zip: fits)) { response in
                #expect(response.status.code == 201)
            }
        }
    }

    @Test("list with pagination, update code and configuration with RevisionId, publish, delete")
    func lifecycle() async throws {
        let fixture = try APIFixture()
        let zipA = try APIFixture.zip(["app.py": "A = 1\n"])
        let zipB = try APIFixture.zip(["app.py": "B = 2\n"])
        try await fixture.application().test(.router) { client in
            for name in ["c", "a", "b"] {
                try await client.execute(uri: "/2015-03-31/functions", method: .post, body: APIFixture.createBody(name: name, zip: zipA)) { #expect($0.status.code == 201) }
            }
            var names: [String] = []
            var marker: String?
            repeat {
                let uri = "/2015-03-31/functions?MaxItems=2" + (marker.map { "&Marker=\($0)" } ?? "")
                marker = try await client.execute(uri: uri, method: .get) { response in
                    let functions = response.json["Functions"] as? [[String: Any]] ?? []
                    names += functions.compactMap { $0["FunctionName"] as? String }
                    #expect(functions.allSatisfy { $0["State"] == nil }, "list items omit State")
                    return response.json["NextMarker"] as? String
                }
            } while marker != nil
            #expect(names == ["a", "b", "c"])

            let revision = try await client.execute(uri: "/2015-03-31/functions/a", method: .get) { response in
                #expect(((response.json["Code"] as? [String: Any])?["Location"] as? String)?.contains("/corral/code/") == true)
                return (response.json["Configuration"] as? [String: Any])?["RevisionId"] as? String
            }
            let stale = APIFixture.json(["ZipFile": Data(zipB).base64EncodedString(), "RevisionId": "stale"])
            try await client.execute(uri: "/2015-03-31/functions/a/code", method: .put, body: stale) { response in
                #expect(response.status.code == 412)
                #expect(response.errorType == "PreconditionFailedException")
            }
            let update = APIFixture.json(["ZipFile": Data(zipB).base64EncodedString(), "RevisionId": revision ?? ""])
            try await client.execute(uri: "/2015-03-31/functions/a/code", method: .put, body: update) { response in
                #expect(response.status.code == 200)
                #expect(response.json["CodeSha256"] as? String == Data(SHA256.hash(data: zipB)).base64EncodedString())
                #expect(response.json["RevisionId"] as? String != revision)
            }
            try await client.execute(uri: "/2015-03-31/functions/a/configuration", method: .put, body: APIFixture.json(["Timeout": 30, "Description": "d"])) { response in
                #expect(response.status.code == 200)
                #expect(response.json["Timeout"] as? Int == 30 && response.json["Handler"] as? String == "app.handler")
            }
            try await client.execute(uri: "/2015-03-31/functions/a/versions", method: .post, body: APIFixture.json([:])) { response in
                #expect(response.status.code == 201)
                #expect(response.json["Version"] as? String == "1")
            }
            try await client.execute(uri: "/2015-03-31/functions/a/versions", method: .get) { response in
                #expect((response.json["Versions"] as? [[String: Any]])?.compactMap { $0["Version"] as? String } == ["$LATEST", "1"])
            }
            try await client.execute(uri: "/2015-03-31/functions/a?Qualifier=%24LATEST", method: .delete) { response in
                #expect(response.status.code == 400)
            }
            try await client.execute(uri: "/2015-03-31/functions/a", method: .delete) { #expect($0.status.code == 204) }
            try await client.execute(uri: "/2015-03-31/functions/a", method: .get) { #expect($0.status.code == 404) }
        }
        // zipA is still used by b and c; zipB went with a.
        let digestB = SHA256.hash(data: zipB).map { String(format: "%02x", $0) }.joined()
        #expect(!fixture.codeFiles.contains(digestB) && fixture.codeFiles.count == 2)
    }

    @Test("aliases: create with a weighted second version, get, update under RevisionId, list, delete")
    func aliases() async throws {
        let fixture = try APIFixture()
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/2015-03-31/functions", method: .post,
                                     body: APIFixture.createBody(name: "f", zip: try APIFixture.zip(["app.py": "v = 1\n"]), extra: ["Publish": true])) { #expect($0.status.code == 201) }
            try await client.execute(uri: "/2015-03-31/functions/f/code", method: .put,
                                     body: APIFixture.json(["ZipFile": Data(try APIFixture.zip(["app.py": "v = 2\n"])).base64EncodedString(), "Publish": true])) { response in
                #expect(response.json["Version"] as? String == "2")
            }
            let create = APIFixture.json(["Name": "live", "FunctionVersion": "1", "RoutingConfig": ["AdditionalVersionWeights": ["2": 0.1]]])
            let revision = try await client.execute(uri: "/2015-03-31/functions/f/aliases", method: .post, body: create) { response in
                #expect(response.status.code == 201)
                #expect(response.json["AliasArn"] as? String == "arn:aws:lambda:us-east-1:123456789012:function:f:live")
                #expect(((response.json["RoutingConfig"] as? [String: Any])?["AdditionalVersionWeights"] as? [String: Double]) == ["2": 0.1])
                return response.json["RevisionId"] as? String
            }
            for bad in [["Name": "1", "FunctionVersion": "1"], ["Name": "x", "FunctionVersion": "1", "RoutingConfig": ["AdditionalVersionWeights": ["2": 1.5]]],
                        ["Name": "y", "FunctionVersion": "7"]] as [[String: Any]] {
                try await client.execute(uri: "/2015-03-31/functions/f/aliases", method: .post, body: APIFixture.json(bad)) { response in
                    #expect([400, 404].contains(response.status.code), "\(bad)")
                }
            }
            try await client.execute(uri: "/2015-03-31/functions/f:live/configuration", method: .get) { response in
                #expect(response.json["Version"] as? String == "1")
            }
            try await client.execute(uri: "/2015-03-31/functions/f/aliases/live", method: .put,
                                     body: APIFixture.json(["FunctionVersion": "2", "RoutingConfig": ["AdditionalVersionWeights": [:]], "RevisionId": revision ?? ""])) { response in
                #expect(response.status.code == 200)
                #expect(response.json["FunctionVersion"] as? String == "2" && response.json["RoutingConfig"] == nil)
            }
            try await client.execute(uri: "/2015-03-31/functions/f/aliases", method: .get) { response in
                #expect((response.json["Aliases"] as? [[String: Any]])?.count == 1)
            }
            try await client.execute(uri: "/2015-03-31/functions/f/aliases/live", method: .delete) { #expect($0.status.code == 204) }
            try await client.execute(uri: "/2015-03-31/functions/f/aliases/live", method: .get) { #expect($0.status.code == 404) }
        }
    }
}
