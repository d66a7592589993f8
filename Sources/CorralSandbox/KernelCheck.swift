import CorralSystem
import Foundation

/// The kernel rule `corral doctor` prints and `corral serve` enforces (security checklist A17): namespaces,
/// seccomp and cgroups cannot stop a kernel bug, so the supervisor refuses a kernel too old for what the
/// sandbox relies on, or one in a known-vulnerable range of an escape class reachable from an unprivileged
/// user namespace.
///
/// The check reads the upstream version the kernel is built from. Distributions keep `uname -r` at the
/// series' first release (Debian's 6.1.0-57-amd64 is 6.1.192) and say the real one elsewhere: Debian in
/// `uname -v` ("... Debian 6.1.192-3 ..."), Ubuntu in /proc/version_signature ("Ubuntu 5.15.0-91.101-generic
/// 5.15.131"); `upstreamVersion` reads those first. A kernel that says neither and carries backports can fail
/// here: the operator then checks the distribution's advisory for each CVE named and starts with
/// `--allow-unpatched-kernel`. The reverse also holds: passing says nothing about bugs not in this table.
public enum KernelCheck {
    /// The oldest kernel the sandbox's features all exist on: openat2 (5.6), clone3 with CLONE_INTO_CGROUP
    /// (5.7), close_range (5.9), mount_setattr (5.12), and rlimits counted per user namespace (5.14: without
    /// it RLIMIT_NPROC and RLIMIT_MSGQUEUE count per host uid, shared by every sandbox).
    public static let minimum = KernelVersion(5, 14, 0)

    /// A known escape class: vulnerable from `introduced` up to `fixed` on mainline, and below each listed
    /// fix on the stable series that got a backport.
    public struct Vulnerability: Sendable, Equatable {
        public var id: String
        public var summary: String
        public var introduced: KernelVersion
        public var fixed: KernelVersion
        public var stableFixes: [KernelVersion]

        /// Whether `version` lies in the vulnerable range.
        public func affects(_ version: KernelVersion) -> Bool {
            if version < introduced || version >= fixed { return false }
            if let backport = stableFixes.first(where: { $0.major == version.major && $0.minor == version.minor }) {
                return version < backport
            }
            return true
        }
    }

    /// Escapes that matter to unprivileged user namespaces (the sandbox's own, and the mount, netfilter and
    /// overlay code they reach), with the versions that fixed them.
    public static let vulnerabilities: [Vulnerability] = [
        Vulnerability(id: "CVE-2016-5195", summary: "Dirty COW: write to read-only mappings (madvise race)",
                      introduced: KernelVersion(2, 6, 22), fixed: KernelVersion(4, 8, 3),
                      stableFixes: [KernelVersion(4, 7, 9), KernelVersion(4, 4, 26)]),
        Vulnerability(id: "CVE-2021-22555", summary: "netfilter x_tables heap out-of-bounds write",
                      introduced: KernelVersion(2, 6, 19), fixed: KernelVersion(5, 12, 0),
                      stableFixes: [KernelVersion(5, 11, 15), KernelVersion(5, 10, 31), KernelVersion(5, 4, 113)]),
        Vulnerability(id: "CVE-2022-0185", summary: "fsconfig legacy_parse_param heap overflow",
                      introduced: KernelVersion(5, 1, 0), fixed: KernelVersion(5, 16, 2),
                      stableFixes: [KernelVersion(5, 15, 16), KernelVersion(5, 10, 93), KernelVersion(5, 4, 173)]),
        Vulnerability(id: "CVE-2022-0492", summary: "cgroup v1 release_agent without capability check",
                      introduced: KernelVersion(2, 6, 24), fixed: KernelVersion(5, 17, 0),
                      stableFixes: [KernelVersion(5, 16, 6), KernelVersion(5, 15, 20), KernelVersion(5, 10, 97)]),
        Vulnerability(id: "CVE-2022-0847", summary: "Dirty Pipe: overwrite of read-only files via pipe flags",
                      introduced: KernelVersion(5, 8, 0), fixed: KernelVersion(5, 16, 11),
                      stableFixes: [KernelVersion(5, 15, 25), KernelVersion(5, 10, 102)]),
        Vulnerability(id: "CVE-2023-0386", summary: "overlayfs copy-up of setuid files from a user namespace",
                      introduced: KernelVersion(5, 11, 0), fixed: KernelVersion(6, 2, 0),
                      stableFixes: [KernelVersion(6, 1, 9), KernelVersion(5, 15, 91)]),
        Vulnerability(id: "CVE-2024-1086", summary: "nf_tables verdict use-after-free (nft_verdict_init)",
                      introduced: KernelVersion(3, 15, 0), fixed: KernelVersion(6, 8, 0),
                      stableFixes: [KernelVersion(6, 7, 3), KernelVersion(6, 6, 15), KernelVersion(6, 1, 76),
                                    KernelVersion(5, 15, 149), KernelVersion(5, 10, 209), KernelVersion(5, 4, 268)]),
    ]

    /// One line of the report.
    public struct Item: Sendable, Equatable, Encodable {
        public var name: String
        public var passed: Bool
        public var detail: String
    }

    /// The upstream version of a kernel with release `release` (`uname -r`), build string `build`
    /// (`uname -v`, /proc/sys/kernel/version) and Ubuntu's `signature` (/proc/version_signature, empty
    /// elsewhere), and where it was read from. Pure.
    public static func upstreamVersion(release: String, build: String = "", signature: String = "") -> (version: KernelVersion, source: String)? {
        let fields = signature.split(whereSeparator: \.isWhitespace)
        if fields.count >= 3, fields[0] == "Ubuntu", let version = KernelVersion(release: String(fields[fields.count - 1])) {
            return (version, "Ubuntu's upstream version in /proc/version_signature; release \(release)")
        }
        if let range = build.range(of: "Debian "), let version = KernelVersion(release: String(build[range.upperBound...])), version.patch > 0 {
            return (version, "Debian's upstream version in uname -v; release \(release)")
        }
        return KernelVersion(release: release).map { ($0, "uname -r") }
    }

    /// The running kernel's release, build string and (Ubuntu) version signature.
    public static func running() -> (release: String, build: String, signature: String) {
        func read(_ path: String) -> String {
            (try? FileSystem.read(path))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        }
        return (read("/proc/sys/kernel/osrelease"), read("/proc/sys/kernel/version"), read("/proc/version_signature"))
    }

    /// Every check for the running kernel.
    public static func evaluateRunning() -> [Item] {
        let kernel = running()
        return evaluate(release: kernel.release, build: kernel.build, signature: kernel.signature)
    }

    /// Every check for a kernel (see `upstreamVersion`), in order: the version parses, the minimum, then
    /// each vulnerability. Pure: the caller supplies the strings.
    public static func evaluate(release: String, build: String = "", signature: String = "") -> [Item] {
        guard let (version, source) = upstreamVersion(release: release, build: build, signature: signature) else {
            return [Item(name: "kernel version", passed: false, detail: "cannot read a version from '\(release)'")]
        }
        let read = Item(name: "kernel version", passed: true, detail: "\(version) (\(source))")
        var items = [read, Item(name: "minimum \(minimum)", passed: version >= minimum,
                          detail: version >= minimum ? "\(version) has every feature the sandbox uses"
                                                     : "\(version) is older than \(minimum)")]
        for v in vulnerabilities {
            let bad = v.affects(version)
            items.append(Item(name: v.id, passed: !bad,
                              detail: bad ? "\(version) is in the vulnerable range (fixed in \(v.fixed)\(v.stableNote)): \(v.summary)"
                                          : "not affected: \(v.summary)"))
        }
        return items
    }

    /// Whether every item passed.
    public static func passes(_ items: [Item]) -> Bool { items.allSatisfy(\.passed) }
}

extension KernelCheck.Vulnerability {
    var stableNote: String {
        stableFixes.isEmpty ? "" : "; stable " + stableFixes.map(\.description).joined(separator: ", ")
    }
}

/// major.minor.patch of a kernel release.
public struct KernelVersion: Sendable, Equatable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int

    public init(_ major: Int, _ minor: Int, _ patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Parses the leading "X.Y[.Z]" of a release such as "6.18.44-fc-v1045", "5.15.0-91-generic" or
    /// "6.8.0+"; nil when it does not start with one.
    public init?(release: String) {
        var numbers: [Int] = []
        var digits = ""
        for c in release {
            if c.isASCII && c.isNumber {
                digits.append(c)
            } else {
                guard let n = Int(digits) else { break }
                numbers.append(n)
                digits = ""
                if c != "." || numbers.count == 3 { break }
            }
        }
        if !digits.isEmpty, numbers.count < 3, let n = Int(digits) { numbers.append(n) }
        guard numbers.count >= 2 else { return nil }
        self.init(numbers[0], numbers[1], numbers.count > 2 ? numbers[2] : 0)
    }

    public static func < (a: KernelVersion, b: KernelVersion) -> Bool {
        (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
    }

    public var description: String { "\(major).\(minor).\(patch)" }
}
