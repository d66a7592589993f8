import Testing

@testable import CorralSeccomp

@Suite struct DefaultProfileTests {
    static let file = packageRoot + "/config/seccomp/default.json"

    @Test func embeddedCopyMatchesTheFile() throws {
        // Fails after default.json is edited until config/seccomp/embed.sh is run.
        #expect(try readFile(Self.file) == embeddedDefaultProfileJSON, "run config/seccomp/embed.sh")
    }

    @Test func fileParsesAndEqualsTheBuiltIn() throws {
        #expect(try SeccompProfile.load(path: Self.file) == SeccompProfile.builtInDefault)
    }

    @Test func designDecisions() throws {
        let profile = try SeccompProfile.builtInDefault
        #expect(profile.defaultAction == .errno)
        #expect(profile.defaultErrnoRet == 38)  // ENOSYS: unknown calls look unimplemented, runtimes fall back
        #expect(profile.badArchAction == .killProcess)
        #expect(profile.architectures == nil)  // native only: i386 and x32 calls hit badArchAction
        for rule in profile.syscalls {
            #expect(rule.comment != nil || rule.names.count == 1, "group \(rule.names) needs a comment")
            guard rule.action == .errno else { continue }
            if rule.names == ["socket"] || rule.names == ["socketpair"] {
                // The kernel's own "not supported" answers (EPROTONOSUPPORT, EOPNOTSUPP, EAFNOSUPPORT).
                #expect([93, 95, 97].contains(rule.errnoRet), "\(rule)")
            } else {
                #expect(rule.errnoRet == 1 || (rule.names == ["clone3"] && rule.errnoRet == 38))
            }
        }
    }

    /// Which socket/socketpair rules of the profile match the arguments (EQ, NE and GT, the ones it uses).
    static func matching(_ name: String, _ args: [UInt64], in profile: SeccompProfile) -> [SeccompProfile.Rule] {
        profile.syscalls.filter { rule in
            rule.names.contains(name) && (rule.args ?? []).allSatisfy { arg in
                let x = args[Int(arg.index)]
                switch arg.op {
                case .equal: return x == arg.value
                case .notEqual: return x != arg.value
                case .greaterThan: return x > arg.value
                default: Issue.record("unexpected operator \(arg.op)"); return false
                }
            }
        }
    }

    @Test func socketRulesAllowExactlyTheAllowlistAndNeverOverlap() throws {
        let profile = try SeccompProfile.builtInDefault
        let families: [UInt64] = Array(0..<64) + [2 | (1 << 32), 16 | (1 << 32), 0xffff_ffff, UInt64.max]
        for family in families {
            for proto in (Array(0..<32) + [4 | (1 << 32), UInt64.max]) as [UInt64] {
                let rules = Self.matching("socket", [family, 1, proto], in: profile)
                // Exactly one rule: the ALLOW and ERRNO rules must not overlap (libseccomp would pick either).
                #expect(rules.count == 1, "socket(\(family), _, \(proto)) matches \(rules.count) rules")
                let allowed = rules.first?.action == .allow
                let expected = [1, 2, 10].contains(family) || (family == 16 && (proto == 0 || proto == 4))
                #expect(allowed == expected, "socket(\(family), _, \(proto))")
            }
            let pair = Self.matching("socketpair", [family, 1, 0], in: profile)
            #expect(pair.count == 1 && (pair.first?.action == .allow) == (family == 1), "socketpair(\(family))")
        }
    }

    @Test(arguments: [
        "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd", "kexec_load", "kexec_file_load",
        "open_by_handle_at", "name_to_handle_at", "init_module", "finit_module", "delete_module", "ptrace",
        "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "process_madvise", "mount", "umount2", "fsopen",
        "fsmount", "fsconfig", "fspick", "move_mount", "open_tree", "mount_setattr", "pivot_root", "chroot", "unshare",
        "setns", "swapon", "swapoff", "reboot", "acct", "quotactl", "syslog", "io_uring_setup", "io_uring_enter",
        "io_uring_register", "lookup_dcookie", "sethostname", "setdomainname", "clock_settime", "settimeofday",
        "adjtimex", "clock_adjtime", "iopl", "ioperm", "vhangup", "mbind", "set_mempolicy", "migrate_pages", "move_pages",
        "uselib", "ustat", "sysfs", "_sysctl", "nfsservctl",
    ])
    func dangerousCallsGetAnUnconditionalEPERM(_ name: String) throws {
        let rules = try SeccompProfile.builtInDefault.syscalls.filter { $0.names.contains(name) }
        #expect(rules.count == 1)
        #expect(rules.first?.action == .errno && rules.first?.errnoRet == 1 && rules.first?.args == nil)
    }

    @Test func onlyCallsNewerThanLibseccompOrForeignAreSkipped() throws {
        // Debian's libseccomp 2.5.4 knows calls up to map_shadow_stack (453); the list must not hold typos.
        let warnings = try SeccompProfile.builtInDefault.validate()
        #expect(warnings.isEmpty, "\(warnings)")
    }

    @Test func validateReportsUnknownAndForeignNames() throws {
        let profile = try SeccompProfile.parse(Array(#"""
            {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read", "raed", "socketcall"], "action": "SCMP_ACT_ALLOW"}]}
            """#.utf8))
        let warnings = try profile.validate()
        #expect(warnings.map(\.field) == ["syscalls[0].names[1]", "syscalls[0].names[2]"])
        #expect(warnings[0].message.contains("does not know \"raed\""))
        #expect(warnings[1].message.contains("not a system call on this architecture"))
        // Skipped, not fatal, when compiling.
        #expect(try SeccompCompiler.compile(profile).instructionCount > 0)
    }

    @Test func namedResolvesDefaultAndPaths() throws {
        let builtIn = try SeccompProfile.builtInDefault
        #expect(try SeccompProfile.named("default", configDirectory: packageRoot + "/config/seccomp") == builtIn)
        // Without the config directory, the embedded copy.
        #expect(try SeccompProfile.named("default", configDirectory: "/nonexistent") == builtIn)
        // A config directory's default.json wins over the embedded copy.
        let custom = #"{"defaultAction": "SCMP_ACT_LOG"}"#
        let path = try temporaryFile(contents: custom)
        defer { removeFile(path) }
        let directory = String(path[..<path.lastIndex(of: "/")!])
        let name = String(path[path.index(after: path.lastIndex(of: "/")!)...])
        #expect(try SeccompProfile.named(path, configDirectory: "/nonexistent").defaultAction == .log)
        #expect(throws: SeccompProfileError.self) { try SeccompProfile.named(directory + "/missing-" + name, configDirectory: directory) }
    }
}
