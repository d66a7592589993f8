import CorralRuntime
import Foundation
import Testing

@Suite struct FunctionLogsTests {
    @Test("appends go to one file per function, past the limit the oldest half goes, remove starts afresh")
    func capAndRemove() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("corral-logs-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let logs = FunctionLogs(root: root, limit: 1000)
        for index in 0..<300 { logs.append(account: "111111111111", function: "f", String(format: "line %04d\n", index)) }
        logs.append(account: "111111111111", function: "g", "other\n")
        let text = logs.read(account: "111111111111", function: "f")
        #expect(text.utf8.count <= 1000 + 10, "capped: \(text.utf8.count) bytes")
        #expect(text.hasSuffix("line 0299\n") && !text.contains("line 0000"), "the newest lines are kept")
        #expect(logs.read(account: "111111111111", function: "f", tail: 10) == "line 0299\n")
        #expect(logs.read(account: "111111111111", function: "g") == "other\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: root + "/111111111111/f.log")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        logs.remove(account: "111111111111", function: "f")
        #expect(logs.read(account: "111111111111", function: "f") == "")
        logs.append(account: "111111111111", function: "f", "again\n")
        #expect(logs.read(account: "111111111111", function: "f") == "again\n")
    }

    @Test("close releases the file's descriptor and keeps the log; the next append opens it again")
    func closeReleasesTheDescriptor() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("corral-logs-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let logs = FunctionLogs(root: root)
        let file = root + "/111111111111/f.log"
        // Descriptors of this process open on the log file (other tests run meanwhile: count only this file's).
        func openOnFile() -> Int {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
            return entries.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)) == file }.count
        }
        logs.append(account: "111111111111", function: "f", "one\n")
        #expect(openOnFile() == 1, "the file stays open between appends")
        logs.close(account: "111111111111", function: "f")
        #expect(openOnFile() == 0)
        logs.append(account: "111111111111", function: "f", "two\n")
        #expect(logs.read(account: "111111111111", function: "f") == "one\ntwo\n")
    }
}
