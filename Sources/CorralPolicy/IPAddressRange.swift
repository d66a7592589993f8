import Foundation

/// An IPv4 or IPv6 CIDR block as IAM's `IpAddress` and `NotIpAddress` read it: `203.0.113.0/24`,
/// `2001:DB8:1234:5678::/64`; a bare address means `/32` or `/128`.
///
/// Host bits set below the prefix (`203.0.113.7/24`) are ignored, as IAM does. An IPv4-mapped IPv6
/// request address (`::ffff:203.0.113.7`) is compared as IPv4.
struct IPAddressRange: Sendable, Equatable {
    /// 4 bytes for IPv4, 16 for IPv6.
    let network: [UInt8]
    let prefixLength: Int

    /// Parses `address[/prefix]`; nil when either part is malformed or the prefix is too long.
    init?(cidr text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddressRange.address(String(parts[0])) else { return nil }
        let maximum = address.count * 8
        var length = maximum
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy(\.isASCII), let value = Int(digits),
                  (0...maximum).contains(value)
            else { return nil }
            length = value
        }
        network = address
        prefixLength = length
    }

    /// Whether `text`, an address without a prefix, lies in the block. Nil when `text` is not an address.
    func contains(_ text: String) -> Bool? {
        guard var address = IPAddressRange.address(text) else { return nil }
        if network.count == 4, address.count == 16, address[0..<10].allSatisfy({ $0 == 0 }),
           address[10] == 0xFF, address[11] == 0xFF {
            address = Array(address[12..<16])
        }
        guard address.count == network.count else { return false }
        var remaining = prefixLength
        for index in 0..<network.count where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            guard address[index] & mask == network[index] & mask else { return false }
            remaining -= bits
        }
        return true
    }

    /// The bytes of an IPv4 (dotted quad) or IPv6 address; nil when malformed.
    static func address(_ text: String) -> [UInt8]? {
        text.contains(":") ? ipv6(text) : ipv4(Substring(text))
    }

    private static func ipv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = UInt8(part)
            else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    private static func ipv6(_ text: String) -> [UInt8]? {
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        guard let head = groups(halves[0], allowIPv4Tail: halves.count == 1) else { return nil }
        if halves.count == 1 {
            return head.count == 16 ? head : nil
        }
        guard let tail = groups(halves[1], allowIPv4Tail: true), head.count + tail.count <= 14 else { return nil }
        return head + Array(repeating: 0, count: 16 - head.count - tail.count) + tail
    }

    /// Colon-separated hex groups (possibly none), the last of which may be a dotted IPv4 address.
    private static func groups(_ text: String, allowIPv4Tail: Bool) -> [UInt8]? {
        if text.isEmpty { return [] }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        var bytes: [UInt8] = []
        for (index, part) in parts.enumerated() {
            if allowIPv4Tail, index == parts.count - 1, part.contains(".") {
                guard let tail = ipv4(part) else { return nil }
                bytes += tail
                continue
            }
            guard (1...4).contains(part.count), part.allSatisfy(\.isHexDigit), let value = UInt16(part, radix: 16) else {
                return nil
            }
            bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
        }
        return bytes
    }
}
