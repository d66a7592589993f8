// libseccomp lets an unconditional rule silently replace every conditional rule of the same system call,
// whatever their actions (checked against 2.5.4: `ALLOW ioctl` plus `ERRNO ioctl if arg1 == TIOCSTI`
// compiles to a plain `ALLOW ioctl`). So "allow X except these argument values" cannot be said directly.
// The compiler says it exactly instead: the exceptions keep their action, and the unconditional action is
// given to a set of masked comparisons that together match every value no exception matches.

/// A set of 64-bit values: those `x` with `x & mask == value`.
struct BitPattern: Hashable {
    var mask: UInt64
    var value: UInt64

    func contains(_ other: BitPattern) -> Bool {
        other.mask & mask == mask && other.value & mask == value
    }
}

/// Patterns whose union is exactly the values that match none of `excluded`; nil when that takes more than
/// `limit` patterns. Patterns in the result may overlap each other, never an excluded pattern.
func complementCover(of excluded: [BitPattern], limit: Int) -> [BitPattern]? {
    var cover = [BitPattern(mask: 0, value: 0)]  // everything
    for hole in excluded {
        var next: [BitPattern] = []
        for piece in cover {
            // Already disjoint from the hole: some bit both fix disagrees.
            if (piece.value ^ hole.value) & piece.mask & hole.mask != 0 {
                next.append(piece)
                continue
            }
            // Otherwise split on each bit the hole fixes and the piece leaves free: flip it away from the hole.
            for bit in 0..<64 {
                let b = UInt64(1) << UInt64(bit)
                guard hole.mask & b != 0, piece.mask & b == 0 else { continue }
                next.append(BitPattern(mask: piece.mask | b, value: piece.value | (~hole.value & b)))
            }
        }
        cover = removeSubsumed(next)
        if cover.count > limit { return nil }
    }
    return cover
}

/// Drops patterns contained in another pattern of the list, and duplicates, keeping the order.
private func removeSubsumed(_ patterns: [BitPattern]) -> [BitPattern] {
    var kept: [BitPattern] = []
    var seen: Set<BitPattern> = []
    for (i, p) in patterns.enumerated() where !seen.contains(p) {
        let inside = patterns.indices.contains { j in j != i && patterns[j] != p && patterns[j].contains(p) }
        if !inside {
            kept.append(p)
            seen.insert(p)
        }
    }
    return kept
}
