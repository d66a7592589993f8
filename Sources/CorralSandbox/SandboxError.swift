import CorralSystem

/// Why a sandbox could not be started.
public enum SandboxError: Error, CustomStringConvertible, Sendable {
    /// The spec is wrong (a field at fault); nothing was started.
    case invalidSpec(SandboxSpecError)
    /// A host-side step failed (cgroup, pipes, uid map, ...).
    case host(SystemError)
    /// A step in the child failed, with errno: `step` names it (e.g. "bind /srv on /data", "execve").
    case child(step: String, errno: Int32)
    /// The host cannot run sandboxes at all (not root, no user namespaces, ...).
    case unsupported(String)

    public var description: String {
        switch self {
        case let .invalidSpec(error): return error.description
        case let .host(error): return error.description
        case let .child(step, errno): return SystemError(stage: step, errno: errno).description
        case let .unsupported(message): return message
        }
    }
}
