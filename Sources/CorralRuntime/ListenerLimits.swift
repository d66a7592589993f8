import NIOCore

/// What one execution environment may hold of the supervisor through the listeners inside its sandbox
/// (the Runtime API, the egress proxy, the Lambda endpoint): connections, buffered bytes and time. The
/// supervisor serves them outside the sandbox's cgroup, so without these bounds one function could take
/// the supervisor's memory and fds from every tenant (issue 14 item 2). The fd cost of an environment at
/// these limits is what the pool's capacity budget reserves for each (`CapacityBudget.limited`).
public enum ListenerLimits {
    /// Connections open at once on one Runtime API (a runtime uses one or two; 503 past it).
    public static let runtimeConnections = 8
    /// A request body larger than this holds the environment's one large-body slot while it is received;
    /// a second large body at once gets 429. Smaller bodies are buffered freely, so at most
    /// `runtimeConnections` x this plus one 6 MB response are buffered per environment.
    public static let smallBodyBytes = 64 * 1024
    /// How long a Runtime API connection may take to send a whole request (head and body), counted from
    /// when it opened or was last answered; past it the connection closes. A parked invocation/next is
    /// answered, not timed.
    public static let runtimeRequestTimeout = TimeAmount.seconds(60)
    /// Connections open at once through one sandbox's Lambda endpoint (two fds each).
    public static let lambdaConnections = 16
    /// Connections open at once on one sandbox's egress proxy (two fds each while tunnelling).
    public static let egressConnections = 64
    /// The supervisor's fds for one environment besides its listeners' connections: the listening
    /// sockets, the pidfd, the status and output pipes and the log file, with room to spare.
    static let fixedDescriptors = 24

    /// The most fds the supervisor holds for one environment with every listener at its limit.
    public static var descriptorsPerEnvironment: Int {
        fixedDescriptors + runtimeConnections + 2 * lambdaConnections + 2 * egressConnections
    }

    /// The supervisor's fds kept for everything but environments: the API's clients, the store, logs.
    public static let reservedDescriptors = 256
}
