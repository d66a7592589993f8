@testable import CorralRuntime
import Foundation
import Testing

@Suite struct BootstrapsTests {
    static let runtimeDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../rootfs/runtime").standardized.path

    @Test("the embedded runtime clients are rootfs/runtime's files (run rootfs/runtime/embed.sh after editing them)")
    func embeddedMatchesSources() throws {
        #expect(Bootstraps.python + "\n" == (try String(contentsOfFile: Self.runtimeDirectory + "/bootstrap.py", encoding: .utf8)))
        #expect(Bootstraps.node + "\n" == (try String(contentsOfFile: Self.runtimeDirectory + "/bootstrap.js", encoding: .utf8)))
    }
}
