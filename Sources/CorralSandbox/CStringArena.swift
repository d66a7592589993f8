#if canImport(Glibc)
import Glibc
#endif

/// Owns the C memory handed to the child: strings, arrays and buffers allocated before the clone (the
/// child may not allocate) and freed together once the spawn call has returned.
final class CStringArena {
    private var allocations: [UnsafeMutableRawPointer] = []

    /// A NUL-terminated copy of `string`.
    func string(_ string: String) -> UnsafePointer<CChar> {
        let copy = strdup(string)!
        allocations.append(UnsafeMutableRawPointer(copy))
        return UnsafePointer(copy)
    }

    func optionalString(_ string: String?) -> UnsafePointer<CChar>? {
        string.map { self.string($0) }
    }

    /// A NULL-terminated array of C strings, as execve takes.
    func stringArray(_ strings: [String]) -> UnsafePointer<UnsafeMutablePointer<CChar>?> {
        let array = allocate(UnsafeMutablePointer<CChar>?.self, count: strings.count + 1)
        for (i, s) in strings.enumerated() {
            array[i] = UnsafeMutablePointer(mutating: string(s))
        }
        array[strings.count] = nil
        return UnsafePointer(array)
    }

    /// A copy of `bytes` (not NUL-terminated).
    func bytes(_ bytes: [UInt8]) -> UnsafePointer<CChar> {
        let buffer = allocate(CChar.self, count: bytes.count)
        for i in 0..<bytes.count { buffer[i] = CChar(bitPattern: bytes[i]) }
        return UnsafePointer(buffer)
    }

    /// A copy of `values` as a C array.
    func array<T>(_ values: [T]) -> UnsafePointer<T> {
        let buffer = allocate(T.self, count: values.count)
        buffer.initialize(from: values, count: values.count)
        return UnsafePointer(buffer)
    }

    /// malloc'd memory for `count` values of a trivial type, freed with the arena.
    private func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let raw = malloc(MemoryLayout<T>.stride * max(count, 1))!
        allocations.append(raw)
        return raw.bindMemory(to: T.self, capacity: max(count, 1))
    }

    deinit {
        for pointer in allocations { free(pointer) }
    }
}
