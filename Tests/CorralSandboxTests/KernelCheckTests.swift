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
        #expect(items.count == 1 + KernelCheck.vulnerabilities.count)
    }

    @Test func tooOldFailsTheMinimum() {
        let items = KernelCheck.evaluate(release: "5.10.209")
        #expect(items.first?.passed == false)
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

    /// A distribution kernel with backports looks vulnerable: the version is all the check can see.
    @Test func aBackportedDistributionKernelIsFlaggedAndNeedsTheOverride() {
        #expect(!KernelCheck.passes(KernelCheck.evaluate(release: "5.15.0-91-generic")))
    }
}
