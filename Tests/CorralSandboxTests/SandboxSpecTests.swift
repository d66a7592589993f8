import Testing
import CCorral
@testable import CorralSandbox

@Suite struct SandboxSpecTests {
    @Test func aPlainSpecIsValid() throws {
        try SandboxSpec(argv: ["/bin/true"]).validate()
    }

    @Test func anEmptyCommandIsRefused() {
        #expect(throws: SandboxSpecError.invalid("command", "no command given")) { try SandboxSpec(argv: []).validate() }
        #expect(throws: SandboxSpecError.self) { try SandboxSpec(argv: [""]).validate() }
    }

    @Test(arguments: ["A", "=x", "A\u{0}B=c"])
    func malformedEnvironmentIsRefused(_ entry: String) {
        #expect(throws: SandboxSpecError.self) { try SandboxSpec(argv: ["/bin/true"], environment: [entry]).validate() }
    }

    @Test(arguments: ["tmp", "/tmp/../etc", "/tmp/", "//tmp", "/a/./b"])
    func workingDirectoryMustBeNormalizedAbsolute(_ cwd: String) {
        #expect(throws: SandboxSpecError.self) { try SandboxSpec(argv: ["/bin/true"], workingDirectory: cwd).validate() }
    }

    @Test(arguments: ["", "-x", "a b", String(repeating: "h", count: 65), "x/y"])
    func badHostnamesAreRefused(_ name: String) {
        #expect(throws: SandboxSpecError.self) { try SandboxSpec(argv: ["/bin/true"], hostname: name).validate() }
    }

    @Test func hostRootIsNeverMapped() {
        #expect(throws: SandboxSpecError.self) {
            try SandboxSpec(argv: ["/bin/true"], identity: SandboxIdentity(hostUID: 0, hostGID: 0)).validate()
        }
        #expect(throws: SandboxSpecError.self) {
            try SandboxSpec(argv: ["/bin/true"], identity: SandboxIdentity(hostUID: 0x7000_0000, hostGID: 10)).validate()
        }
    }

    @Test func limitsAreChecked() {
        func spec(_ change: (inout ResourceLimits) -> Void) -> SandboxSpec {
            var limits = ResourceLimits()
            change(&limits)
            return SandboxSpec(argv: ["/bin/true"], limits: limits)
        }
        #expect(throws: SandboxSpecError.self) { try spec { $0.memoryBytes = 1 << 20 }.validate() }
        #expect(throws: SandboxSpecError.self) { try spec { $0.cpus = 0 }.validate() }
        #expect(throws: SandboxSpecError.self) { try spec { $0.pids = 1 }.validate() }
        #expect(throws: SandboxSpecError.self) { try spec { $0.timeoutMilliseconds = 0 }.validate() }
        #expect(throws: SandboxSpecError.self) { try spec { $0.tmpBytes = 0 }.validate() }
    }

    @Test func defaultsFillPathAndHome() {
        let env = SandboxSpec(argv: ["x"], environment: ["A=1"]).effectiveEnvironment
        #expect(env == ["A=1", "PATH=\(SandboxSpec.defaultPath)", "HOME=/tmp"])
        let own = SandboxSpec(argv: ["x"], environment: ["PATH=/opt", "HOME=/h"]).effectiveEnvironment
        #expect(own == ["PATH=/opt", "HOME=/h"])
    }

    @Test func rootfsArgument() throws {
        #expect(try RootFilesystem(argument: "host") == .host)
        #expect(try RootFilesystem(argument: "/srv/root") == .directory("/srv/root"))
        #expect(throws: SandboxSpecError.self) { try RootFilesystem(argument: "relative") }
    }
}

@Suite struct QuantityTests {
    @Test func sizes() {
        #expect(Quantity.bytes("128M") == 128 << 20)
        #expect(Quantity.bytes("1G") == 1 << 30)
        #expect(Quantity.bytes("512k") == 512 << 10)
        #expect(Quantity.bytes("4096") == 4096)
        #expect(Quantity.bytes("10B") == 10)
        #expect(Quantity.bytes("") == nil)
        #expect(Quantity.bytes("M") == nil)
        #expect(Quantity.bytes("-1M") == nil)
        #expect(Quantity.bytes("99999999999999999999G") == nil)
        #expect(Quantity.bytes("17179869184G") == nil) // overflows UInt64
    }

    @Test func durations() {
        #expect(Quantity.milliseconds("3s") == 3000)
        #expect(Quantity.milliseconds("500ms") == 500)
        #expect(Quantity.milliseconds("1.5s") == 1500)
        #expect(Quantity.milliseconds("2m") == 120_000)
        #expect(Quantity.milliseconds("1h") == 3_600_000)
        #expect(Quantity.milliseconds("10") == 10_000)
        #expect(Quantity.milliseconds("0s") == nil)
        #expect(Quantity.milliseconds("xs") == nil)
        #expect(Quantity.milliseconds("-1s") == nil)
    }
}

@Suite struct ResourceLimitsKernelTests {
    @Test func rlimitsAreExplicitAndLoweredToTheSupervisorsCeiling() {
        var limits = ResourceLimits(pids: 64)
        let names = limits.rlimitList(ceiling: { _ in nil }).map(\.name)
        #expect(names == ["RLIMIT_NOFILE", "RLIMIT_CORE", "RLIMIT_NPROC", "RLIMIT_MSGQUEUE", "RLIMIT_SIGPENDING",
                          "RLIMIT_MEMLOCK", "RLIMIT_RTPRIO"])
        let values = Dictionary(uniqueKeysWithValues: limits.rlimitList(ceiling: { _ in nil }).map { ($0.name, $0.value) })
        #expect(values["RLIMIT_NPROC"] == 64 && values["RLIMIT_MSGQUEUE"] == 128 << 10 && values["RLIMIT_RTPRIO"] == 0)
        // A supervisor whose own hard limit is lower: the sandbox gets that (it could not raise it).
        let capped = limits.rlimitList(ceiling: { _ in 32 })
        #expect(capped.allSatisfy { $0.value <= 32 })
        limits.pids = nil
        #expect(limits.effectiveProcesses == 1024)
        limits.processes = 10
        #expect(limits.effectiveProcesses == 10)
        limits.fileSizeBytes = 1 << 20
        #expect(limits.rlimitList(ceiling: { _ in nil }).last?.name == "RLIMIT_FSIZE")
    }

    @Test func kernelCountsCoverInotifyFanotifyAndEveryNamespaceKind() throws {
        let settings = KernelCounts().settings
        #expect(settings.first { $0.name == "max_inotify_instances" }?.value == 16)
        #expect(settings.filter { $0.name.hasSuffix("_namespaces") }.count == 8)
        #expect(settings.filter { $0.name.hasSuffix("_namespaces") }.allSatisfy { $0.value == 0 })
        #expect(settings.filter { !$0.optional }.map(\.name).allSatisfy { $0.hasSuffix("_namespaces") })
        var limits = ResourceLimits()
        limits.kernelCounts.inotifyInstances = UInt32(Int32.max) + 1
        #expect(throws: SandboxSpecError.self) { try SandboxSpec(argv: ["/bin/true"], limits: limits).validate() }
        limits = ResourceLimits()
        limits.processes = 1
        #expect(throws: SandboxSpecError.self) { try SandboxSpec(argv: ["/bin/true"], limits: limits).validate() }
    }

    @Test func failedStepsNameTheLimit() {
        let limits = ResourceLimits()
        #expect(limits.childStepName(step: Int32(CORRAL_STEP_RLIMIT.rawValue), index: 2) == "setrlimit RLIMIT_NPROC")
        #expect(limits.childStepName(step: Int32(CORRAL_STEP_USER_SYSCTL.rawValue), index: 0) == "write /proc/sys/user/max_inotify_instances (16)")
        #expect(limits.childStepName(step: Int32(CORRAL_STEP_USER_SYSCTL.rawValue), index: -1) == "open /proc/sys/user")
        #expect(SpawnStep.name(Int32(CORRAL_STEP_USER_SYSCTL.rawValue)).contains("/proc/sys/user"))
    }
}
