import CorralSeccomp

/// Everything that defines one sandbox: what runs, what it sees, and what it may use.
///
/// A spec is a plain value; `SandboxLauncher.launch` turns it into a running, isolated process tree.
/// `validate()` checks what can be checked without touching the host; the launcher checks the rest.
public struct SandboxSpec: Sendable {
    /// The command and its arguments; `argv[0]` is an absolute path or a name searched in the sandbox's PATH.
    public var argv: [String]
    /// Environment as `KEY=VALUE` entries. PATH and HOME get defaults when absent.
    public var environment: [String]
    /// The working directory inside the sandbox.
    public var workingDirectory: String
    public var rootFilesystem: RootFilesystem
    /// Extra host directories or files bound into the sandbox, applied in order.
    public var binds: [BindMount]
    /// Read-only directories held in the sandbox's memory only (secrets), made after the binds.
    public var memoryDirectories: [MemoryDirectory]
    public var limits: ResourceLimits
    public var network: NetworkMode
    /// nil runs without a seccomp filter (only for diagnosis; `corral run` always sets one).
    public var seccomp: SeccompProfile?
    public var hostname: String
    public var identity: SandboxIdentity
    /// The aggregate group the sandbox's own cgroup is made in (its tenant's), whose limits cap everything
    /// in it; nil: directly under the launcher's parent.
    public var group: SandboxGroup?

    public init(
        argv: [String],
        environment: [String] = [],
        workingDirectory: String = "/",
        rootFilesystem: RootFilesystem = .host,
        binds: [BindMount] = [],
        memoryDirectories: [MemoryDirectory] = [],
        limits: ResourceLimits = ResourceLimits(),
        network: NetworkMode = .loopback,
        seccomp: SeccompProfile? = nil,
        hostname: String = "corral",
        identity: SandboxIdentity = SandboxIdentity()
    ) {
        self.argv = argv
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.rootFilesystem = rootFilesystem
        self.binds = binds
        self.memoryDirectories = memoryDirectories
        self.limits = limits
        self.network = network
        self.seccomp = seccomp
        self.hostname = hostname
        self.identity = identity
    }

    /// The environment the workload receives: the spec's entries, plus PATH and HOME when absent.
    public var effectiveEnvironment: [String] {
        var env = environment
        if !env.contains(where: { $0.hasPrefix("PATH=") }) { env.append("PATH=\(SandboxSpec.defaultPath)") }
        if !env.contains(where: { $0.hasPrefix("HOME=") }) { env.append("HOME=/tmp") }
        return env
    }

    public static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Checks the spec on its own terms. Throws `SandboxSpecError` naming the offending field.
    public func validate() throws(SandboxSpecError) {
        guard let first = argv.first, !first.isEmpty else { throw .invalid("command", "no command given") }
        if argv.contains(where: { $0.utf8.contains(0) }) { throw .invalid("command", "arguments may not contain NUL bytes") }
        for entry in environment {
            guard let eq = entry.firstIndex(of: "="), eq != entry.startIndex else {
                throw .invalid("env", "'\(entry)' is not KEY=VALUE")
            }
            if entry.utf8.contains(0) { throw .invalid("env", "'\(entry.prefix(upTo: eq))' contains a NUL byte") }
        }
        guard SandboxPath.isNormalizedAbsolute(workingDirectory) else {
            throw .invalid("cwd", "'\(workingDirectory)' must be an absolute path without '.', '..' or '//'")
        }
        try SandboxSpec.validateHostname(hostname)
        try limits.validate()
        try identity.validate()
        for bind in binds { try bind.validate() }
        for directory in memoryDirectories { try directory.validate() }
    }

    static func validateHostname(_ name: String) throws(SandboxSpecError) {
        let allowed = name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x2E
        }
        guard !name.isEmpty, name.utf8.count <= 64, allowed, !name.hasPrefix("-") else {
            throw .invalid("hostname", "'\(name)' must be 1-64 letters, digits, '-' or '.'")
        }
    }
}

/// How the root filesystem is built.
public enum RootFilesystem: Sendable, Equatable {
    /// A fresh read-only root holding read-only binds of the host's /usr, /bin, /sbin, /lib* and a minimal /etc.
    case host
    /// A complete root directory (such as rootfs/ builds), bound read-only. It must hold real /proc, /dev and
    /// /tmp directories.
    case directory(String)

    /// Parses the `--rootfs` argument: `host` or an absolute path.
    public init(argument: String) throws(SandboxSpecError) {
        if argument == "host" {
            self = .host
        } else if argument.hasPrefix("/") {
            self = .directory(argument)
        } else {
            throw .invalid("rootfs", "'\(argument)' must be 'host' or an absolute path")
        }
    }
}

/// The sandbox's network namespace.
public enum NetworkMode: String, Sendable {
    /// A private network namespace holding only `lo`, brought up.
    case loopback
}

/// A cgroup above sandboxes' own: the parent's, or a tenant's beneath it. Its memory and pids limits
/// cap the sum of every sandbox in it (nil: no cap of its own).
public struct SandboxGroup: Sendable, Equatable, Hashable {
    /// One path component under the launcher's parent ("t-111122223333").
    public var name: String
    public var memoryBytes: UInt64?
    public var pids: Int?

    /// Tenants' groups are named "t-ACCOUNT".
    public static let tenantPrefix = "t-"

    public static func tenant(_ account: String, memoryBytes: UInt64?, pids: Int?) -> SandboxGroup {
        SandboxGroup(name: tenantPrefix + account, memoryBytes: memoryBytes, pids: pids)
    }

    public init(name: String, memoryBytes: UInt64? = nil, pids: Int? = nil) {
        self.name = name
        self.memoryBytes = memoryBytes
        self.pids = pids
    }
}

/// The unprivileged host uid and gid that root inside the sandbox maps to.
public struct SandboxIdentity: Sendable, Equatable {
    public var hostUID: UInt32
    public var hostGID: UInt32

    /// The operator's identity in the default pool (HostIDPool: block 0), for sandboxes no tenant owns.
    public static let operatorDefault: UInt32 = HostIDPool.default.first

    public init(hostUID: UInt32 = SandboxIdentity.operatorDefault, hostGID: UInt32 = SandboxIdentity.operatorDefault) {
        self.hostUID = hostUID
        self.hostGID = hostGID
    }

    func validate() throws(SandboxSpecError) {
        // Host ids below the range belong to the host's own users and services; 0 is host root.
        guard hostUID >= 1000, hostGID >= 1000, hostUID < UInt32.max - 1, hostGID < UInt32.max - 1 else {
            throw .invalid("identity", "host uid/gid \(hostUID)/\(hostGID) must be unprivileged (>= 1000)")
        }
    }
}

/// A spec that cannot be run, with the field at fault.
public enum SandboxSpecError: Error, Equatable, CustomStringConvertible, Sendable {
    case invalid(String, String)

    public var description: String {
        switch self {
        case let .invalid(field, message): return "\(field): \(message)"
        }
    }
}
