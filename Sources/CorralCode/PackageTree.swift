/// A code package's entries as a tree of names, for checking its symlinks before anything is written.
///
/// A link's target is resolved against the package as a whole, the way the kernel would resolve it once
/// the tree is on disk: each component that names another link of the package is replaced by that link's
/// target, and `..` climbs from where the walk really is, not from where the text says. A textual check
/// alone passes `a/b/c/q -> ../../..` with `a/b/c/e -> q/../../../x`, which leaves the package. A link
/// whose resolution climbs above the package's top, or that loops, is refused. A component the package
/// does not hold is taken as a plain directory, which is never more lenient than the kernel (it would stop
/// there with ENOENT).
struct PackageTree {
    enum Node: Equatable {
        case directory
        case file
        case symlink(target: String)
    }

    /// Components joined with "/" -> what the package holds there. Parents of an entry are directories
    /// even when the zip lists no entry for them.
    private(set) var nodes: [String: Node] = [:]

    /// The most links one resolution follows, as the kernel's own limit (40).
    static let maxLinks = 40

    /// Adds an entry. Throws when the entry puts something under a file or a link (the unpacker would
    /// refuse it too, but only once it got there).
    mutating func add(_ parts: [String], _ node: Node, entry: String) throws(CodePackageError) {
        var prefix = ""
        for part in parts.dropLast() {
            prefix = prefix.isEmpty ? part : prefix + "/" + part
            switch nodes[prefix] {
            case nil: nodes[prefix] = .directory
            case .directory?: break
            case .file?, .symlink?:
                throw .invalidZip("entry '\(entry)': '\(prefix)' is a symlink or a file, not a directory")
            }
        }
        let key = parts.joined(separator: "/")
        if let existing = nodes[key], !(existing == .directory && node == .directory) {
            throw .invalidZip("entry '\(entry)' appears twice or overlaps another entry")
        }
        nodes[key] = node
    }

    /// Checks every link: its resolution must stay inside the package.
    func checkLinks() throws(CodePackageError) {
        for (path, node) in nodes.sorted(by: { $0.key < $1.key }) {
            guard case let .symlink(target) = node else { continue }
            var followed = 0
            let directory = Array(path.split(separator: "/").map(String.init).dropLast())
            guard resolve(target, from: directory, followed: &followed) != nil else {
                throw .invalidZip("symlink '\(path)' points outside the package (\(target)), through the package's own links")
            }
        }
    }

    /// The components `target` (relative, as links in a package must be) leads to from `directory`, or nil
    /// when it leaves the package or follows more than `maxLinks` links.
    private func resolve(_ target: String, from directory: [String], followed: inout Int) -> [String]? {
        guard !target.hasPrefix("/") else { return nil }
        var position = directory
        for part in target.split(separator: "/").map(String.init) where part != "." {
            if part == ".." {
                guard !position.isEmpty else { return nil }
                position.removeLast()
                continue
            }
            let candidate = position + [part]
            if case let .symlink(inner)? = nodes[candidate.joined(separator: "/")] {
                followed += 1
                guard followed <= Self.maxLinks, let landed = resolve(inner, from: position, followed: &followed) else { return nil }
                position = landed
            } else {
                position = candidate
            }
        }
        return position
    }
}
