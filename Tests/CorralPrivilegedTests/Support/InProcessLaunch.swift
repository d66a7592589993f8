import CorralSandbox
import Foundation
import Glibc

/// A sandbox started by a launcher in this process (not the `corral` binary), its stdout collected.
enum InProcess {
    struct Output {
        var exitCode: Int32
        var stdout: String
    }

    /// Launches `spec` with `launcher`, stdin and stderr on /dev/null, and waits for it to end.
    static func run(_ spec: SandboxSpec, launcher: SandboxLauncher) throws -> Output {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw POSIXError(.EMFILE) }
        let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(devNull) }
        let process: SandboxProcess
        do {
            process = try launcher.launch(spec, stdio: SandboxStdio(stdin: devNull, stdout: fds[1], stderr: devNull))
        } catch {
            close(fds[0])
            close(fds[1])
            throw error
        }
        close(fds[1])
        var output = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fds[0], &buffer, buffer.count)
            if n <= 0 { break }
            output += buffer[0..<n]
        }
        close(fds[0])
        return Output(exitCode: process.waitForExit().exitCode, stdout: String(decoding: output, as: UTF8.self))
    }
}
