#if canImport(Glibc)
import Glibc
#endif

/// A tenant's root, made the tenant's: checked to sit on a nosuid,nodev mount, given to the tenant's
/// uid and gid, and rid of what an older release's shared sandbox identity left in it.
extension PinnedDirectory {
    /// Why a root cannot be a tenant's writable root.
    public func mountProblem() -> String? {
        let held: Int32
        do {
            held = try open("")
        } catch {
            return "cannot be opened: \(error)"
        }
        defer { FileDescriptor.close(held) }
        var info = statvfs()
        guard fstatvfs(held, &info) == 0 else { return "its mount cannot be read" }
        // ST_NOSUID (2) and ST_NODEV (4), which Glibc does not export to Swift.
        let missing = [(UInt(2), "nosuid"), (UInt(4), "nodev")].filter { info.f_flag & $0.0 == 0 }.map(\.1)
        guard !missing.isEmpty else { return nil }
        return "is on a mount without \(missing.joined(separator: ",")): a tenant's sandbox could leave a set-user-id file or a device there for host users to use. "
            + "Put it on a nosuid,nodev mount, e.g. `mount --bind \(path) \(path) && mount -o remount,bind,nosuid,nodev \(path)` (and the same in /etc/fstab)"
    }

    /// Makes the root belong to `uid`:`gid` with mode 0770 (the tenant's sandboxes write there, nobody
    /// else on the host may look in). On the first hand-over (the root is not yet `uid`'s) every entry
    /// beneath it owned by `legacyID` (uid or gid) is given to `uid`/`gid`; the walk never follows a
    /// symlink, never leaves the root's mount, and opens each directory beneath the pin. Returns the
    /// number of entries moved over.
    @discardableResult
    public func handOver(to uid: UInt32, gid: UInt32, movingFrom legacyID: UInt32) throws(SystemError) -> Int {
        let root = try open("", flags: O_RDONLY | O_DIRECTORY)
        defer { FileDescriptor.close(root) }
        var info = stat()
        _ = try syscall("stat \(path)") { fstat(root, &info) }
        var moved = 0
        if info.st_uid != uid || info.st_gid != gid {
            moved = try moveEntries(from: legacyID, to: uid, gid: gid, device: info.st_dev)
            _ = try syscall("chown \(path) to \(uid):\(gid)") { fchown(root, uid, gid) }
        }
        if info.st_mode & 0o7777 != 0o770 {
            _ = try syscall("chmod \(path) 0770") { fchmod(root, 0o770) }
        }
        return moved
    }

    private func moveEntries(from legacyID: UInt32, to uid: UInt32, gid: UInt32, device: dev_t) throws(SystemError) -> Int {
        var moved = 0
        var pending = [""]
        while let relative = pending.popLast() {
            let directory: Int32
            do {
                directory = try open(relative, flags: O_RDONLY | O_DIRECTORY)
            } catch {
                continue // gone, or a symlink raced in: nothing of ours to move there
            }
            guard let stream = fdopendir(directory) else {
                FileDescriptor.close(directory)
                continue
            }
            defer { closedir(stream) }
            while let entry = readdir(stream) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
                guard name != ".", name != ".." else { continue }
                var info = stat()
                guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
                let newUID = info.st_uid == legacyID ? uid : UInt32.max
                let newGID = info.st_gid == legacyID ? gid : UInt32.max
                if newUID != UInt32.max || newGID != UInt32.max {
                    _ = try syscall("chown \(path)/\(relative)\(relative.isEmpty ? "" : "/")\(name)") {
                        fchownat(directory, name, newUID, newGID, AT_SYMLINK_NOFOLLOW)
                    }
                    moved += 1
                }
                if info.st_mode & S_IFMT == S_IFDIR, info.st_dev == device {
                    pending.append(relative.isEmpty ? name : relative + "/" + name)
                }
            }
        }
        return moved
    }
}
