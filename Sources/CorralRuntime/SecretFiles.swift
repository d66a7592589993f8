import CorralSandbox
import Foundation

/// One environment's granted secrets as files: a directory of its own under the server's run directory,
/// owned by the sandbox's host uid (root inside) with modes 0500 and 0400, bound read-only at
/// /run/secrets. Removed when the environment ends.
struct SecretFiles {
    let directory: String

    /// Writes `secrets` into a new directory `base/<random>`. Names are role/secret names (letters,
    /// digits, `+=,.@_-`), never a path.
    static func write(_ secrets: [String: [UInt8]], under base: String, owner: SandboxIdentity) throws -> SecretFiles {
        let manager = FileManager.default
        try manager.createDirectory(atPath: base, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let directory = base + "/" + UUID().uuidString.lowercased()
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let files = SecretFiles(directory: directory)
        do {
            for (name, value) in secrets {
                guard !name.contains("/"), name != ".", name != ".." else { throw SecretFilesError(name: name) }
                let path = directory + "/" + name
                guard manager.createFile(atPath: path, contents: Data(value), attributes: [.posixPermissions: 0o400]) else {
                    throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
                }
                try own(path, owner)
            }
            try own(directory, owner)
            try manager.setAttributes([.posixPermissions: 0o500], ofItemAtPath: directory)
        } catch {
            files.remove()
            throw error
        }
        return files
    }

    private static func own(_ path: String, _ owner: SandboxIdentity) throws {
        try FileManager.default.setAttributes([.ownerAccountID: NSNumber(value: owner.hostUID), .groupOwnerAccountID: NSNumber(value: owner.hostGID)],
                                              ofItemAtPath: path)
    }

    /// The bind that shows the files at /run/secrets.
    var bind: BindMount { BindMount(source: directory, destination: GrantedPlaces.secretsDirectory, readOnly: true) }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}

struct SecretFilesError: Error, CustomStringConvertible {
    let name: String
    var description: String { "secret name '\(name)' cannot be a file name" }
}
