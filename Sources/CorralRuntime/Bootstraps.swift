import CorralFunctions
import CorralSystem
import Crypto
import Foundation

/// Corral's own runtime clients (rootfs/runtime/bootstrap.{py,js}, embedded at build time), written once
/// to a content-named directory that each sandbox mounts read-only at /var/runtime.
///
/// The Python bootstrap is also compiled, once per interpreter, to `bootstrap.<python3.N>.pyc`: a script
/// named on the command line is compiled on every start (1.7 ms of each cold start for this one), while a
/// .pyc file is loaded as it is. RuntimeCatalog.usingCompiledBootstraps starts the .pyc where it exists.
public enum Bootstraps {
    /// The directory holding this build's bootstraps under `base`, written if missing. `pythons` maps
    /// runtime identifiers (python3.N) to host interpreters that compile the Python bootstrap; one that
    /// fails leaves its runtime on the source file.
    public static func install(under base: String, pythons: [String: String] = [:]) throws(SystemError) -> String {
        // The directory's name covers the sources and each interpreter's identity, so an upgraded
        // interpreter gets a fresh directory rather than bytecode it cannot read.
        var identity = python + "\0" + node
        for (name, interpreter) in pythons.sorted(by: { $0.key < $1.key }) {
            var info = stat()
            let stamp = stat(interpreter, &info) == 0 ? "\(info.st_size):\(info.st_mtim.tv_sec):\(info.st_ino)" : "missing"
            identity += "\0\(name)=\(interpreter):\(stamp)"
        }
        let digest = SHA256.hash(data: Data(identity.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
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
        for (name, interpreter) in pythons {
            compile(temporary + "/bootstrap.py", to: temporary + "/" + compiledName(name), with: interpreter)
        }
        try syscall("chmod \(temporary)") { chmod(temporary, 0o555) }
        do {
            try syscall("rename \(temporary)") { rename(temporary, directory) }
        } catch {
            guard FileSystem.isDirectory(directory) else { throw error }
        }
        return directory
    }

    /// The compiled Python bootstrap's file name for runtime `name` (python3.N).
    public static func compiledName(_ name: String) -> String { "bootstrap.\(name).pyc" }

    /// Compiles `source` to `target` with `interpreter` (isolated mode, so no site or environment of the
    /// server's changes it). Unchecked-hash bytecode: loaded without looking at the source, which sits
    /// beside it in the same read-only, content-named directory. Tracebacks name the file as the sandbox
    /// sees it (/var/runtime/bootstrap.py), not the host's scratch path it was compiled from.
    static func compile(_ source: String, to target: String, with interpreter: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: interpreter)
        process.arguments = ["-I", "-c", """
            import py_compile, sys
            py_compile.compile(sys.argv[1], cfile=sys.argv[2], dfile=sys.argv[3], doraise=True,
                               invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
            """, source, target, "/var/runtime/bootstrap.py"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return }
        process.waitUntilExit()
        if process.terminationStatus != 0 { unlink(target) }
    }
}
