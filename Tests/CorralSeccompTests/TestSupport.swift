import Foundation
#if canImport(Glibc)
import Glibc
#endif

@testable import CorralSeccomp

/// The package root, found from this file's path (Tests/CorralSeccompTests/TestSupport.swift).
let packageRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

struct TestFailure: Error, CustomStringConvertible {
    var description: String
}

func encodeJSON(_ profile: SeccompProfile) throws -> [UInt8] {
    Array(try JSONEncoder().encode(profile))
}

/// Writes `contents` to a new file under /tmp and returns its path; the caller removes it.
func temporaryFile(contents: String, suffix: String = ".json") throws -> String {
    try temporaryFile(bytes: Array(contents.utf8), suffix: suffix)
}

func temporaryFile(bytes: [UInt8], suffix: String = "") throws -> String {
    var template = Array("/tmp/corral-seccomp-test-XXXXXX\(suffix)".utf8CString)
    let fd = mkstemps(&template, Int32(suffix.utf8.count))
    guard fd >= 0 else { throw TestFailure(description: "mkstemps failed: errno \(errno)") }
    defer { close(fd) }
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard written == bytes.count else { throw TestFailure(description: "short write") }
    return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}

func readFile(_ path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw TestFailure(description: "cannot read \(path)")
    }
    return String(decoding: data, as: UTF8.self)
}

/// Removes a file `temporaryFile` made.
func removeFile(_ path: String) {
    unlink(path)
}
