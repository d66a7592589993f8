/// Which cgroup interface the host offers: v1 (one hierarchy per controller, hybrid hosts included) or the
/// unified v2 hierarchy.
public enum CgroupVersion: String, Sendable {
    case v1, v2
}
