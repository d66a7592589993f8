/// A compiled seccomp filter: the raw `struct sock_filter` array the kernel loads.
///
/// The spawn child loads it with `seccomp(SECCOMP_SET_MODE_FILTER, 0, &(struct sock_fprog){count, ptr})`
/// after setting no_new_privs, as the last step before `execve`; the child never calls libseccomp.
/// Instructions are in host byte order, 8 bytes each (`u16 code, u8 jt, u8 jf, u32 k`).
public struct SeccompProgram: Sendable, Equatable {
    /// The filter as bytes, `instructionCount * 8` long.
    public let bytes: [UInt8]

    /// The number of BPF instructions (`sock_fprog.len`).
    public var instructionCount: Int { bytes.count / Self.instructionSize }

    /// The size of one `struct sock_filter`.
    public static let instructionSize = 8

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Lends the filter as a pointer to `count` contiguous `struct sock_filter`s, valid only inside `body`.
    public func withUnsafeFilter<R>(_ body: (UnsafeRawPointer, Int) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes { raw in
            if let base = raw.baseAddress { return try body(base, instructionCount) }
            // Only an empty program has no storage; lend a valid pointer with a count of zero.
            return try withUnsafeBytes(of: UInt64(0)) { try body($0.baseAddress.unsafelyUnwrapped, 0) }
        }
    }
}
