/// A profile that cannot be used: unreadable, not JSON, or naming something libseccomp cannot express.
///
/// The description reads `FILE: FIELD: MESSAGE`, e.g.
/// `/etc/corral/seccomp/web.json: syscalls[3].args[0].index: argument index 7 is out of range (0 to 5)`.
public struct SeccompProfileError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file the profile came from, or nil for bytes or a profile built in code.
    public var file: String?
    /// Where in the profile, e.g. `syscalls[3].action`; empty for the whole document.
    public var field: String
    public var message: String

    public init(file: String? = nil, field: String, message: String) {
        self.file = file
        self.field = field
        self.message = message
    }

    public var description: String {
        let place = [file, field.isEmpty ? nil : field].compactMap { $0 }.joined(separator: ": ")
        return place.isEmpty ? message : "\(place): \(message)"
    }

    func inFile(_ path: String?) -> SeccompProfileError {
        var copy = self
        copy.file = path
        return copy
    }
}
