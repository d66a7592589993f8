#if canImport(Glibc)
import Glibc
#endif

/// The funnel every Swift-side system call goes through: the only place errno is read.
///
/// Retries on EINTR. A result of -1 becomes a `SystemError` naming `stage`.
@discardableResult
@inline(__always)
public func syscall<T: FixedWidthInteger>(_ stage: @autoclosure () -> String, _ body: () -> T) throws(SystemError) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = Glibc.errno
        if code == EINTR { continue }
        throw SystemError(stage: stage(), errno: code)
    }
}

/// Like `syscall`, for calls that return a pointer and NULL on failure (e.g. `opendir`).
@inline(__always)
public func syscallPointer<T>(_ stage: @autoclosure () -> String, _ body: () -> T?) throws(SystemError) -> T {
    while true {
        if let result = body() { return result }
        let code = Glibc.errno
        if code == EINTR { continue }
        throw SystemError(stage: stage(), errno: code)
    }
}
