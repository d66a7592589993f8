import CorralSystem
import Testing

@testable import CorralSeccomp

@Suite struct CompilerTests {
    @Test func defaultProfileCompilesDeterministically() throws {
        let profile = try SeccompProfile.builtInDefault
        let first = try SeccompCompiler.compile(profile)
        let second = try SeccompCompiler.compile(profile)
        #expect(first.instructionCount > 100)
        #expect(first.instructionCount <= 4096)  // BPF_MAXINSNS: the kernel refuses longer programs
        #expect(first.bytes.count == first.instructionCount * 8)
        #expect(first == second)
        first.withUnsafeFilter { pointer, count in
            #expect(count == first.instructionCount)
            // The first instruction loads seccomp_data.arch (offset 4): BPF_LD|BPF_W|BPF_ABS = 0x20.
            #expect(pointer.loadUnaligned(as: UInt16.self) == 0x20)
            #expect(pointer.loadUnaligned(fromByteOffset: 4, as: UInt32.self) == 4)
        }
    }

    @Test func smallProfileCompiles() throws {
        let profile = SeccompProfile(defaultAction: .allow, syscalls: [.init(names: ["ptrace"], action: .errno)])
        let program = try SeccompCompiler.compile(profile)
        #expect(program.instructionCount > 3)
        #expect(program.instructionCount < 20)
    }

    @Test func compileChecksProfilesBuiltInCode() {
        let profile = SeccompProfile(defaultAction: .allow, syscalls: [
            .init(names: ["kill"], action: .allow, args: [.init(index: 9, value: 0, op: .equal)]),
        ])
        #expect(throws: SeccompProfileError.self) { try SeccompCompiler.compile(profile) }
    }

    @Test func extraArchitecturesAreAccepted() throws {
        var profile = SeccompProfile(defaultAction: .allow, syscalls: [.init(names: ["ptrace"], action: .errno)])
        let native = try SeccompCompiler.compile(profile)
        profile.architectures = [.x86_64, .x86, .x32]
        let multi = try SeccompCompiler.compile(profile)
        #expect(multi.instructionCount > native.instructionCount)
    }

    @Test func clashingUnconditionalRulesAreRefused() {
        let profile = SeccompProfile(defaultAction: .errno, syscalls: [
            .init(names: ["read"], action: .allow),
            .init(names: ["write", "read"], action: .errno),
        ])
        #expect {
            try SeccompCompiler.compile(profile)
        } throws: { error in
            let e = error as? SeccompProfileError
            return e?.field == "syscalls[1]" && e?.message.contains("syscalls[0]") == true
        }
    }

    @Test func exceptionsToAnUnconditionalRuleMustBeSimple() {
        let profile = SeccompProfile(defaultAction: .errno, syscalls: [
            .init(names: ["ioctl"], action: .allow),
            .init(names: ["ioctl"], action: .errno, args: [.init(index: 1, value: 5, op: .greaterThan)]),
        ])
        #expect {
            try SeccompCompiler.compile(profile)
        } throws: { error in
            (error as? SeccompProfileError)?.message.contains("SCMP_CMP_EQ or SCMP_CMP_MASKED_EQ") == true
        }
    }

    @Test func tooManyExceptionsAreRefused() {
        // Five full-width values need hundreds of masked comparisons: refuse rather than bloat the filter.
        let values: [UInt64] = [0, 8, 0x20000, 0x20008, 0xffff_ffff]
        let profile = SeccompProfile(defaultAction: .errno, syscalls: [.init(names: ["personality"], action: .errno)]
            + values.map { .init(names: ["personality"], action: .allow, args: [.init(index: 0, value: $0, op: .equal)]) })
        #expect(throws: SeccompProfileError.self) { try SeccompCompiler.compile(profile) }
    }

    @Test func sameActionConditionalRulesFoldIntoTheUnconditionalOne() throws {
        let group = SeccompCompiler.groupBySyscall(SeccompProfile(defaultAction: .errno, syscalls: [
            .init(names: ["read"], action: .allow, args: [.init(index: 0, value: 3, op: .equal)]),
            .init(names: ["read"], action: .allow),
        ]))
        #expect(group.count == 1)
        #expect(try SeccompCompiler.plan(group[0]).map(\.args) == [[]])
    }
}

@Suite struct ExceptionCoverTests {
    /// Whether `x` falls in any pattern.
    private func inAny(_ x: UInt64, _ patterns: [BitPattern]) -> Bool {
        patterns.contains { x & $0.mask == $0.value }
    }

    @Test func coverIsExactForTheTerminalRequests() throws {
        let holes = [BitPattern(mask: 0xffff_ffff, value: 0x5412), BitPattern(mask: 0xffff_ffff, value: 0x541C)]
        let cover = try #require(complementCover(of: holes, limit: 64))
        #expect(cover.count <= 40)
        var samples: [UInt64] = [0, 0x5412, 0x541C, 0x5413, 0x541D, 0x5410, 0x5400, 0x1_0000_5412, 0xdead_0000_541C, .max]
        for bit in 0..<64 {
            samples.append(0x5412 ^ (1 << UInt64(bit)))
            samples.append(0x541C ^ (1 << UInt64(bit)))
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 { samples.append(generator.next()) }
        for x in samples {
            #expect(inAny(x, cover) != inAny(x, holes), "0x\(String(x, radix: 16))")
        }
    }

    @Test func coverOfNothingIsEverythingAndOfEverythingIsNothing() {
        #expect(complementCover(of: [], limit: 8) == [BitPattern(mask: 0, value: 0)])
        #expect(complementCover(of: [BitPattern(mask: 0, value: 0)], limit: 8) == [])
    }

    @Test func limitIsEnforced() {
        #expect(complementCover(of: [BitPattern(mask: .max, value: 0)], limit: 63) == nil)
        #expect(complementCover(of: [BitPattern(mask: .max, value: 0)], limit: 64)?.count == 64)
    }
}

@Suite struct SplitTests {
    static let setupCalls: Set<String> = ["clone", "clone3", "unshare", "setns", "sethostname", "mount", "umount2",
                                          "open_tree", "move_mount", "mount_setattr", "pivot_root"]

    @Test func theOuterHalfAllowsTheSetupCallsAndTheInnerOneDecidesOnlyThem() throws {
        let profile = try SeccompProfile.builtInDefault
        let (outer, inner) = try SeccompCompiler.splitProfiles(profile, keeping: Self.setupCalls)
        let outerRules = outer.syscalls.dropLast()
        #expect(!outerRules.contains { !Set($0.names).isDisjoint(with: Self.setupCalls) })
        #expect(outer.syscalls.last?.names == Self.setupCalls.sorted() && outer.syscalls.last?.action == .allow)
        #expect(outer.defaultAction == profile.defaultAction && outer.defaultErrnoRet == profile.defaultErrnoRet)
        #expect(inner.defaultAction == .allow && inner.badArchAction == profile.badArchAction)
        #expect(inner.syscalls.allSatisfy { $0.names.count == 1 && Self.setupCalls.contains($0.names[0]) })
        // clone has only conditional rules in the profile: the inner half states the default for the rest.
        #expect(inner.syscalls.contains { $0.names == ["clone"] && ($0.args ?? []).isEmpty && $0.action == profile.defaultAction })
    }

    @Test func theInnerHalfIsSmall() throws {
        let profile = try SeccompProfile.builtInDefault
        let whole = try SeccompCompiler.compile(profile)
        let split = try SeccompCompiler.split(profile, keeping: Self.setupCalls)
        #expect(split.inner.instructionCount * 5 < whole.instructionCount, "inner \(split.inner.instructionCount), whole \(whole.instructionCount)")
        #expect(split.outer.instructionCount <= whole.instructionCount + 8)
    }

    @Test func aKeptCallWhoseRulesCannotBeRestatedIsRefused() {
        // Only a range comparison for clone: the rest of its arguments fall to the default, which the inner
        // half would have to state as an unconditional rule with a range exception libseccomp cannot express.
        let profile = SeccompProfile(defaultAction: .errno, defaultErrnoRet: 38, syscalls: [
            .init(names: ["read"], action: .allow),
            .init(names: ["clone"], action: .allow, args: [.init(index: 0, value: 100, op: .lessThan)]),
        ])
        #expect(throws: (any Error).self) { try SeccompCompiler.split(profile, keeping: ["clone"]) }
        #expect(throws: Never.self) { try SeccompCompiler.split(profile, keeping: ["mount"]) }
    }
}
