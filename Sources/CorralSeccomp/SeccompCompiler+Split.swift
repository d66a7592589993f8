/// A profile compiled as two stacked filters whose combination decides every system call exactly as the
/// profile does.
///
/// Loading a filter costs the kernel about 0.25 ms for the default profile's 722 instructions, mostly in
/// the JIT (docs/benchmarks.md), and a sandbox pays it at every start. Filters are inherited across clone
/// and stack: a call is allowed only if every filter allows it, and otherwise the strictest answer wins. So
/// the thread that clones sandboxes loads `outer` once, and each sandbox loads only the small `inner` last:
///
/// - `outer` is the profile with the `kept` calls allowed whatever their arguments. They are the calls the
///   cloning thread and the sandbox's own setup make (clone with namespace flags, the mount family, setns,
///   sethostname, ...), which the profile refuses to the workload.
/// - `inner` allows everything except the `kept` calls, which it decides as the profile does: their rules,
///   and the profile's default action where no rule matches.
///
/// For a call outside `kept`, `inner` allows and `outer` is the profile; for a call in `kept`, `outer`
/// allows and `inner` is the profile's rules for it. Either way the pair answers as the profile.
public struct SeccompSplit: Sendable, Equatable {
    public let outer: SeccompProgram
    public let inner: SeccompProgram
}

extension SeccompCompiler {
    /// Splits `profile` around the `kept` system calls (see `SeccompSplit`). Throws when the profile's rules
    /// for a kept call cannot be restated on their own (the same limits as `compile`); the caller then
    /// loads the whole profile in the sandbox instead.
    public static func split(_ profile: SeccompProfile, keeping kept: Set<String>) throws -> SeccompSplit {
        let (outer, inner) = try splitProfiles(profile, keeping: kept)
        return SeccompSplit(outer: try compile(outer), inner: try compile(inner))
    }

    /// The two profiles `split` compiles.
    static func splitProfiles(_ profile: SeccompProfile, keeping kept: Set<String>) throws -> (outer: SeccompProfile, inner: SeccompProfile) {
        try profile.check()
        let keptNames = kept.sorted()
        var outer = profile
        outer.syscalls = profile.syscalls.compactMap { rule in
            var rest = rule
            rest.names = rule.names.filter { !kept.contains($0) }
            return rest.names.isEmpty ? nil : rest
        }
        outer.syscalls.append(SeccompProfile.Rule(names: keptNames, action: .allow,
                                                  comment: "made by the sandbox's setup; refused by the inner filter"))

        var inner = SeccompProfile(defaultAction: .allow, badArchAction: profile.badArchAction,
                                   architectures: profile.architectures, syscalls: [])
        for name in keptNames {
            let rules = profile.syscalls.filter { $0.names.contains(name) }.map { rule in
                var own = rule
                own.names = [name]
                return own
            }
            // Where none of the call's rules match, the profile's default action decides: say it for this call.
            if !rules.contains(where: { ($0.args ?? []).isEmpty }) {
                inner.syscalls.append(SeccompProfile.Rule(names: [name], action: profile.defaultAction,
                                                          errnoRet: profile.defaultErrnoRet))
            }
            inner.syscalls += rules
        }
        return (outer, inner)
    }
}
