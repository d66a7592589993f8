import CorralSystem

/// Why a code package was refused or could not be stored.
public enum CodePackageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The zip is corrupt, or an entry is unsafe (absolute, `..`, a symlink leaving the package, a
    /// duplicate). The API answers `InvalidZipFileException`.
    case invalidZip(String)
    /// Unpacked, the package would exceed `limit` bytes or entries (zip bombs included).
    case tooLarge(String)
    /// The host failed (disk full, permissions): not the caller's fault.
    case host(SystemError)

    public var description: String {
        switch self {
        case let .invalidZip(message): return "invalid zip file: \(message)"
        case let .tooLarge(message): return message
        case let .host(error): return "\(error)"
        }
    }
}
