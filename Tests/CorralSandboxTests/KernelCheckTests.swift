import Testing
@testable import CorralSandbox

@Suite struct KernelCheckTests {
    @Test(arguments: [
        ("6.18.44-fc-v1045", KernelVersion(6, 18, 44)), ("5.15.0-91-generic", KernelVersion(5, 15, 0)),
        ("6.8.0+", KernelVersion(6, 8, 0)), ("6.1", KernelVersion(6, 1, 0)), ("4.19.325.1", KernelVersion(4, 19, 325)),
    ])
    func versionsParse(_ release: String, _ expected: KernelVersion) {
        #expect(KernelVersion(release: release) == expected)
    }

    @Test(arguments: ["", "linux", "6", "x.1.2"])
    func nonsenseDoesNotParseAndFails(_ release: String) {
        #expect(KernelVersion(release: release) == nil)
        #expect(!KernelCheck.passes(KernelCheck.evaluate(release: release)))
    }

    @Test func aCurrentKernelPassesEveryItem() {
        let items = KernelCheck.evaluate(release: "6.18.44-fc-v1045")
        #expect(KernelCheck.passes(items), "\(items)")
        #expect(items.count == 2 + KernelCheck.vulnerabilities.count)
    }

    @Test func tooOldFailsTheMinimum() {
        let items = KernelCheck.evaluate(release: "5.10.209")
        #expect(items.first { $0.name.hasPrefix("minimum") }?.passed == false)
    }

    @Test(arguments: [
        ("6.7.2", "CVE-2024-1086"), ("6.1.75", "CVE-2024-1086"), ("5.15.148", "CVE-2024-1086"),
        ("5.16.1", "CVE-2022-0185"), ("5.15.15", "CVE-2022-0185"), ("5.16.10", "CVE-2022-0847"),
        ("6.1.8", "CVE-2023-0386"), ("6.0.5", "CVE-2023-0386"),
    ])
    func knownBadVersionsFailTheirItem(_ release: String, _ id: String) {
        let items = KernelCheck.evaluate(release: release)
        #expect(items.first { $0.name == id }?.passed == false, "\(items)")
    }

    @Test(arguments: [
        ("6.7.3", "CVE-2024-1086"), ("6.1.76", "CVE-2024-1086"), ("6.8.0", "CVE-2024-1086"), ("5.15.149", "CVE-2024-1086"),
        ("5.16.2", "CVE-2022-0185"), ("5.15.16", "CVE-2022-0185"), ("6.1.9", "CVE-2023-0386"), ("5.10.300", "CVE-2023-0386"),
    ])
    func fixedVersionsPassTheirItem(_ release: String, _ id: String) {
        let items = KernelCheck.evaluate(release: release)
        #expect(items.first { $0.name == id }?.passed == true, "\(items)")
    }

    /// A distribution kernel that does not say its upstream version looks vulnerable: the release is all
    /// the check can see.
    @Test func aBackportedDistributionKernelIsFlaggedAndNeedsTheOverride() {
        #expect(!KernelCheck.passes(KernelCheck.evaluate(release: "5.15.0-91-generic")))
    }

    /// Debian and Ubuntu keep `uname -r` at the series' first release and say the upstream version
    /// elsewhere: that is the version checked (Debian 12's 6.1.0-57 is 6.1.192, past every fix).
    @Test func distributionsUpstreamVersionsAreRead() throws {
        let debian = try #require(KernelCheck.upstreamVersion(release: "6.1.0-57-amd64", build: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3 (2025-11-08)"))
        #expect(debian.version == KernelVersion(6, 1, 192) && debian.source.contains("Debian"))
        #expect(KernelCheck.passes(KernelCheck.evaluate(release: "6.1.0-57-amd64", build: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3 (2025-11-08)")))
        let ubuntu = try #require(KernelCheck.upstreamVersion(release: "5.15.0-91-generic", signature: "Ubuntu 5.15.0-91.101-generic 5.15.131"))
        #expect(ubuntu.version == KernelVersion(5, 15, 131))
        // An old Debian build is still old; a build string naming no distribution leaves the release.
        #expect(!KernelCheck.passes(KernelCheck.evaluate(release: "6.1.0-10-amd64", build: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.38-1 (2023-07-14)")))
        #expect(KernelCheck.upstreamVersion(release: "6.1.0-57-amd64", build: "#1 SMP PREEMPT_DYNAMIC")?.version == KernelVersion(6, 1, 0))
        // The oracle: without the build string the same Debian kernel is flagged.
        #expect(!KernelCheck.passes(KernelCheck.evaluate(release: "6.1.0-57-amd64")))
    }
}
