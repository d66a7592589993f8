@testable import CorralSandbox

/// A made-up host tree for mount-plan tests: paths map to kinds; realpath follows the symlinks listed.
struct FakeInspector: PathInspector {
    var entries: [String: PathKind]

    /// A merged-/usr Debian host: /bin, /lib, /lib64, /sbin are symlinks into /usr.
    static let debian = FakeInspector(entries: [
        "/usr": .directory, "/usr/bin": .directory, "/usr/local": .directory, "/usr/share": .directory,
        "/bin": .symlink(target: "usr/bin"), "/sbin": .symlink(target: "usr/sbin"),
        "/lib": .symlink(target: "usr/lib"), "/lib64": .symlink(target: "usr/lib64"),
        "/etc/ld.so.cache": .file, "/etc/ssl": .directory, "/etc/localtime": .symlink(target: "/usr/share/zoneinfo/Etc/UTC"),
        "/srv": .directory, "/srv/data": .directory, "/srv/file.txt": .file, "/srv/link": .symlink(target: "/srv/data"),
        "/roots/deb": .directory, "/roots/deb/proc": .directory, "/roots/deb/dev": .directory, "/roots/deb/tmp": .directory,
        "/roots/deb/opt": .directory, "/roots/deb/var": .symlink(target: "/etc"),
        "/roots/bad": .directory, "/roots/bad/proc": .symlink(target: "/"), "/roots/bad/dev": .directory, "/roots/bad/tmp": .directory,
    ])

    func kind(of path: String) -> PathKind { entries[path] ?? .missing }

    func resolved(_ path: String) -> String? {
        if case let .symlink(target)? = entries[path] { return target.hasPrefix("/") ? target : "/" + target }
        return entries[path] == nil ? nil : path
    }
}
