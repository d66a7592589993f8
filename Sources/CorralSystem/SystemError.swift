#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: the stage that failed (the syscall or the step, e.g. `"write uid_map"`) and its errno.
public struct SystemError: Error, CustomStringConvertible, Equatable, Sendable {
    public let stage: String
    public let errno: Int32

    public init(stage: String, errno: Int32) {
        self.stage = stage
        self.errno = errno
    }

    public var description: String {
        "\(stage): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}
