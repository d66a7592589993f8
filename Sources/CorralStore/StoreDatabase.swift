import Foundation
import GRDB

/// Corral's one SQLite database (WAL, through GRDB), opened once and shared by the stores: functions,
/// tenants and keys. Its files are the owner's only (0600): they hold access keys' secrets.
public final class StoreDatabase: Sendable {
    let pool: DatabasePool
    public let path: String

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    public init(path: String) throws(StoreError) {
        self.path = path
        // The file is made 0600 before SQLite opens it; SQLite gives its -wal and -shm files the database
        // file's mode. (Not umask: it is the whole process's, and would make other threads' files 0600 too.)
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        if fd >= 0 { close(fd) }
        do {
            var configuration = Configuration()
            configuration.foreignKeysEnabled = true
            pool = try DatabasePool(path: path, configuration: configuration)
            try Schema.migrator.migrate(pool)
        } catch {
            throw .database("cannot open the database at \(path): \(error)")
        }
        // A database made by an older Corral (before secrets were stored in it) may be wider; its -wal and
        // -shm files were made with its old mode.
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            chmod(path + suffix, 0o600)
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try pool.read(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw .database("\(error)")
        }
    }

    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try pool.write(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw .database("\(error)")
        }
    }
}
