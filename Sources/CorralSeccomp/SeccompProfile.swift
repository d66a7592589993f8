/// A seccomp profile: what the filter does with each system call.
///
/// The JSON shape follows the OCI runtime-spec `linux.seccomp` object, so a profile written for runc or Docker
/// reads the same here (Docker's `includes`/`excludes` extensions are not supported). Decoding is strict:
/// unknown keys and unknown action, operator or architecture names are errors, because a typo in a security
/// policy must not be silently ignored. Use `SeccompProfile.parse(_:)` or `load(path:)` for readable errors.
public struct SeccompProfile: Codable, Sendable, Equatable {
    /// What happens to a system call that no rule matches.
    public var defaultAction: Action
    /// The errno returned by `defaultAction` when it is `SCMP_ACT_ERRNO`; EPERM (1) when absent.
    public var defaultErrnoRet: UInt32?
    /// What happens to a system call made through an architecture (ABI) the filter was not built for;
    /// `SCMP_ACT_KILL_PROCESS` when absent.
    public var badArchAction: Action?
    /// Extra architectures to accept besides the native one. The native architecture is always included.
    public var architectures: [Architecture]?
    /// The rules, in order.
    public var syscalls: [Rule]
    /// Free text describing the profile; ignored by the compiler.
    public var comment: String?

    public init(
        defaultAction: Action, defaultErrnoRet: UInt32? = nil, badArchAction: Action? = nil,
        architectures: [Architecture]? = nil, syscalls: [Rule], comment: String? = nil
    ) {
        self.defaultAction = defaultAction
        self.defaultErrnoRet = defaultErrnoRet
        self.badArchAction = badArchAction
        self.architectures = architectures
        self.syscalls = syscalls
        self.comment = comment
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case defaultAction, defaultErrnoRet, badArchAction, architectures, syscalls, comment
    }

    /// One rule: the named system calls get `action` when every comparison in `args` holds (they are ANDed).
    ///
    /// libseccomp can compare each argument only once per rule; to express "A or B" on one argument, write
    /// two rules.
    public struct Rule: Codable, Sendable, Equatable {
        public var names: [String]
        public var action: Action
        /// The errno for `SCMP_ACT_ERRNO`; EPERM (1) when absent. Only valid with that action.
        public var errnoRet: UInt32?
        public var args: [Argument]?
        /// Why the rule exists; ignored by the compiler.
        public var comment: String?

        public init(names: [String], action: Action, errnoRet: UInt32? = nil, args: [Argument]? = nil, comment: String? = nil) {
            self.names = names
            self.action = action
            self.errnoRet = errnoRet
            self.args = args
            self.comment = comment
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case names, action, errnoRet, args, comment
        }
    }

    /// A comparison of one system call argument.
    ///
    /// For `SCMP_CMP_MASKED_EQ`, `value` is the mask and `valueTwo` the expected result of `arg & value`
    /// (the OCI and libseccomp convention). The other operators ignore `valueTwo`.
    /// Comparisons are on the full 64-bit register: for an `int` or `unsigned int` argument, which the kernel
    /// truncates, compare with `SCMP_CMP_MASKED_EQ` and mask 0xffffffff so high bits cannot slip past.
    public struct Argument: Codable, Sendable, Equatable {
        /// Which argument, 0 to 5.
        public var index: UInt32
        public var value: UInt64
        public var valueTwo: UInt64?
        public var op: Operator

        public init(index: UInt32, value: UInt64, valueTwo: UInt64? = nil, op: Operator) {
            self.index = index
            self.value = value
            self.valueTwo = valueTwo
            self.op = op
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case index, value, valueTwo, op
        }
    }

    /// What the filter does with a matching system call.
    public enum Action: String, Codable, Sendable, CaseIterable {
        case allow = "SCMP_ACT_ALLOW"
        case errno = "SCMP_ACT_ERRNO"
        case killProcess = "SCMP_ACT_KILL_PROCESS"
        case killThread = "SCMP_ACT_KILL_THREAD"
        case trap = "SCMP_ACT_TRAP"
        case log = "SCMP_ACT_LOG"
    }

    /// How an argument is compared with `value`.
    public enum Operator: String, Codable, Sendable, CaseIterable {
        case notEqual = "SCMP_CMP_NE"
        case lessThan = "SCMP_CMP_LT"
        case lessOrEqual = "SCMP_CMP_LE"
        case equal = "SCMP_CMP_EQ"
        case greaterOrEqual = "SCMP_CMP_GE"
        case greaterThan = "SCMP_CMP_GT"
        case maskedEqual = "SCMP_CMP_MASKED_EQ"
    }

    /// An architecture (system call ABI) libseccomp knows, by its OCI name.
    public enum Architecture: String, Codable, Sendable, CaseIterable {
        case x86 = "SCMP_ARCH_X86"
        case x86_64 = "SCMP_ARCH_X86_64"
        case x32 = "SCMP_ARCH_X32"
        case arm = "SCMP_ARCH_ARM"
        case aarch64 = "SCMP_ARCH_AARCH64"
        case riscv64 = "SCMP_ARCH_RISCV64"
        case ppc64le = "SCMP_ARCH_PPC64LE"
        case s390x = "SCMP_ARCH_S390X"

        /// The name `seccomp_arch_resolve_name` understands.
        var libseccompName: String {
            switch self {
            case .x86: "x86"
            case .x86_64: "x86_64"
            case .x32: "x32"
            case .arm: "arm"
            case .aarch64: "aarch64"
            case .riscv64: "riscv64"
            case .ppc64le: "ppc64le"
            case .s390x: "s390x"
            }
        }
    }
}
