import Foundation
import ZIPFoundation

/// Builds zips in memory for tests, including ones no well-behaved tool would write.
struct ZipBuilder {
    enum Item {
        case file(String, String, executable: Bool = false)
        case directory(String)
        case symlink(String, to: String)
        case zeros(String, Int) // a deflated run of zeros (compresses ~1000:1)
        /// A directory's name (ending in /) with a regular file's attributes, as Python's zipfile writes
        /// `writestr("dir/", "")`.
        case fileNamedAsDirectory(String)
    }

    static func make(_ items: [Item]) throws -> [UInt8] {
        let archive = try Archive(data: Data(), accessMode: .create)
        for item in items {
            switch item {
            case let .file(path, text, executable):
                let data = Data(text.utf8)
                try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count),
                                     permissions: executable ? 0o755 : 0o644, compressionMethod: .deflate) { position, size in
                    data.subdata(in: Int(position)..<Int(position) + size)
                }
            case let .directory(path):
                try archive.addEntry(with: path, type: .directory, uncompressedSize: Int64(0)) { (_: Int64, _: Int) in Data() }
            case let .symlink(path, target):
                let data = Data(target.utf8)
                try archive.addEntry(with: path, type: .symlink, uncompressedSize: Int64(data.count)) { position, size in
                    data.subdata(in: Int(position)..<Int(position) + size)
                }
            case let .fileNamedAsDirectory(path):
                try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(0), permissions: 0o644) { (_: Int64, _: Int) in Data() }
            case let .zeros(path, count):
                try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(count), compressionMethod: .deflate) { _, size in
                    Data(count: size)
                }
            }
        }
        return Array(try require(archive.data))
    }

    /// Rewrites every entry's declared uncompressed size (local and central headers) to `size`: a zip
    /// whose headers lie, as a zip bomb's do.
    static func lyingAboutSizes(_ zip: [UInt8], size: UInt32) -> [UInt8] {
        var bytes = zip
        func u32(_ at: Int) -> UInt32 { UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24 }
        func put(_ value: UInt32, at: Int) { for i in 0..<4 { bytes[at + i] = UInt8((value >> (8 * UInt32(i))) & 0xff) } }
        var i = 0
        while i + 46 <= bytes.count {
            switch u32(i) {
            case 0x0403_4b50: put(size, at: i + 22)
            case 0x0201_4b50: put(size, at: i + 24)
            default: break
            }
            i += 1
        }
        return bytes
    }
}

private func require<T>(_ value: T?) throws -> T {
    guard let value else { throw CocoaError(.fileReadUnknown) }
    return value
}
