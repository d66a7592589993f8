import Foundation
import Testing

extension PrivilegedSandboxTests {
    /// What `corral run` exits with, and how it reports errors.
    @Suite struct CommandLine {
        @Test("the command's exit status passes through; death by signal N gives 128+N")
        func exitStatus() throws {
            try privileged {
                let seven = try Corral.run([], ["/bin/sh", "-c", "exit 7"])
                #expect(seven.status == 7, "\(seven)")
                #expect(seven.report?.exitCode == 7)
                let usr1 = try Corral.run([], ["/bin/sh", "-c", "kill -USR1 $$"])
                #expect(usr1.status == 138, "\(usr1)")
                #expect(usr1.report?.signal == 10, "\(usr1)")
                // Oracle: a command that succeeds exits 0.
                let zero = try Corral.run([], ["/bin/sh", "-c", "exit 0"])
                #expect(zero.status == 0, "\(zero)")
            }
        }

        @Test("a missing command exits 125 and names the failing step")
        func missingCommand() throws {
            try privileged {
                let missing = try Corral.run([], ["/nonexistent/corral-command"])
                #expect(missing.status == 125, "\(missing)")
                #expect(missing.stderr.contains("execve"), "\(missing)")
                // Oracle: an existing command starts.
                let present = try Corral.run([], ["/bin/true"])
                #expect(present.status == 0, "\(present)")
            }
        }

        @Test("bad options exit 2 with a message naming the option", arguments: [
            (["--memory", "1x"], "memory"),
            (["--bind", "nocolon"], "bind"),
            (["--no-such-flag"], "no-such-flag"),
        ])
        func badOptions(options: [String], named: String) throws {
            try privileged {
                let bad = try Corral.raw(["run"] + options + ["--", "/bin/true"])
                #expect(bad.status == 2, "\(bad)")
                #expect(bad.stderr.contains(named), "\(bad)")
                #expect(bad.stderr.lowercased().contains("error"), "\(bad)")
            }
        }

        @Test("oracle for the bad-option cases: valid values of the same options are accepted")
        func goodOptions() throws {
            try privileged {
                let dir = FileManager.default.temporaryDirectory.path
                let good = try Corral.raw(["run", "--memory", "64M", "--bind", "\(dir):/data", "--", "/bin/true"])
                #expect(good.status == 0, "\(good)")
            }
        }
    }
}
