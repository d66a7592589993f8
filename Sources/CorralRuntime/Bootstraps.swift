import CorralFunctions
import CorralSystem
import Crypto
import Foundation

/// Corral's own runtime clients (rootfs/runtime/bootstrap.{py,js}, embedded at build time), written once
/// to a content-named directory that each sandbox mounts read-only at /var/runtime.
public enum Bootstraps {
    /// The directory holding this build's bootstraps under `base`, written if missing.
    public static func install(under base: String) throws(SystemError) -> String {
        let digest = SHA256.hash(data: Data((python + "\0" + node).utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
        let directory = base + "/" + digest
        if FileSystem.isDirectory(directory) { return directory }
        try FileSystem.makeDirectories(base)
        let temporary = directory + ".tmp-\(getpid())"
        try FileSystem.makeDirectory(temporary, mode: 0o755, existOK: true)
        for (name, text) in [("bootstrap.py", python), ("bootstrap.js", node)] {
            let fd = try FileDescriptor.open(temporary + "/" + name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode: 0o444)
            defer { FileDescriptor.close(fd) }
            let outcome = Array(text.utf8).withUnsafeBytes { p in Result { () throws(SystemError) in try FileDescriptor.writeAll(fd, p) } }
            try outcome.get()
        }
        try syscall("chmod \(temporary)") { chmod(temporary, 0o555) }
        do {
            try syscall("rename \(temporary)") { rename(temporary, directory) }
        } catch {
            guard FileSystem.isDirectory(directory) else { throw error }
        }
        return directory
    }
}
