import Foundation
import Testing

extension PrivilegedSandboxTests {
    /// corral doctor, corral bench spawn and corral run --report: the contracts their users script against.
    @Suite struct Tools {
        @Test("corral doctor --json says this host can run sandboxes, and proves it with one")
        func doctor() throws {
            try privileged {
                let out = try Corral.raw(["doctor", "--json"])
                #expect(out.status == 0, "\(out)")
                let object = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any], "\(out)")
                #expect(object["ok"] as? Bool == true, "\(out)")
                #expect((object["sandbox"] as? String)?.hasPrefix("ok:") == true, "\(out)")
                let host = try #require(object["host"] as? [String: Any])
                let version = host["cgroupVersion"] as? String
                #expect(version == "v1" || version == "v2", "\(out)")
                // Oracle: the cgroup version it reports is the one the kernel mounted.
                let isV2 = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers")
                #expect(version == (isV2 ? "v2" : "v1"), "\(out)")
            }
        }

        @Test("corral bench spawn --json prints one object with corral, bwrap (or null), floor and ratio")
        func benchJSON() throws {
            try privileged {
                let out = try Corral.raw(["bench", "spawn", "--runs", "10", "--json"])
                #expect(out.status == 0, "\(out)")
                let object = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any], "\(out)")
                for key in ["corral", "corralUnpooled", "floor"] {
                    let p = try #require(object[key] as? [String: Double], "\(key) in \(out)")
                    let p50 = try #require(p["p50Ms"]), p99 = try #require(p["p99Ms"])
                    #expect(p50 > 0 && p99 >= p50, "\(key): \(p)")
                }
                let hasBwrap = FileManager.default.isExecutableFile(atPath: "/usr/bin/bwrap")
                if hasBwrap {
                    let bwrap = try #require(object["bwrap"] as? [String: Double], "\(out)")
                    let ratio = try #require(object["ratio"] as? Double)
                    #expect(abs(ratio - (object["corral"] as! [String: Double])["p50Ms"]! / bwrap["p50Ms"]!) < 1e-9)
                } else {
                    #expect(object["bwrap"] is NSNull && object["ratio"] is NSNull, "\(out)")
                }
                // Nothing of the pools is left behind (the per-test residue check also looks).
                #expect(out.stderr.isEmpty, "\(out)")
                // Oracle: a bad --runs is refused with 2.
                let bad = try Corral.raw(["bench", "spawn", "--runs", "3"])
                #expect(bad.status == 2, "\(bad)")
            }
        }

        @Test("--report prints one summary line on stderr with the exit, duration and peak memory")
        func reportLine() throws {
            try privileged {
                let run = try Corral.raw(["run", "--report", "--", "/bin/sh", "-c", "exit 3"])
                #expect(run.status == 3, "\(run)")
                let line = try #require(run.stderr.split(separator: "\n").last.map(String.init), "\(run)")
                #expect(line.hasPrefix("corral: exit 3, "), "\(run)")
                #expect(line.contains(" ms") && line.contains("max memory"), "\(run)")
                // Oracle: without --report, stderr stays the command's own.
                let quiet = try Corral.raw(["run", "--", "/bin/sh", "-c", "exit 3"])
                #expect(quiet.stderr.isEmpty, "\(quiet)")
            }
        }
    }
}
