/// Something in a profile that compiles but may not do what its author meant.
public struct SeccompProfileWarning: Sendable, Equatable, CustomStringConvertible {
    /// Where, e.g. `syscalls[3].names[2]`.
    public var field: String
    public var message: String

    public var description: String { "\(field): \(message)" }
}

extension SeccompProfile {
    /// Checks the profile like `check()`, then lists what the compiler will quietly skip: names libseccomp
    /// does not know (a typo, or a call newer than the installed libseccomp) and names that are not system
    /// calls on this machine's architecture. Skipping them is what Docker does, so one profile can serve
    /// several architectures and kernels.
    public func validate() throws(SeccompProfileError) -> [SeccompProfileWarning] {
        try check()
        var warnings: [SeccompProfileWarning] = []
        for (i, rule) in syscalls.enumerated() {
            for (j, name) in rule.names.enumerated() {
                let field = "syscalls[\(i)].names[\(j)]"
                guard let number = resolveSyscall(name) else {
                    warnings.append(.init(field: field, message: "libseccomp does not know \"\(name)\"; the rule skips it"))
                    continue
                }
                if number < 0 {
                    warnings.append(.init(field: field, message: "\"\(name)\" is not a system call on this architecture"))
                }
            }
        }
        return warnings
    }
}
