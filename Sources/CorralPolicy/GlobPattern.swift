/// A pattern of literal characters and the wildcards `*` (any run of characters, possibly empty) and `?`
/// (exactly one character), as IAM uses in actions, resources and `…Like` conditions.
///
/// Kept as elements rather than text so a literal `*` (from the policy variable `${*}`) stays distinct
/// from the wildcard.
struct GlobPattern: Sendable, Equatable {
    enum Element: Sendable, Equatable {
        case literal(Character)
        /// `*`: any run of characters, including none.
        case anyRun
        /// `?`: exactly one character.
        case anyOne
    }

    var elements: [Element]

    init(elements: [Element]) {
        self.elements = elements
    }

    /// `text` with `*` and `?` as wildcards and every other character literal.
    init(glob text: String) {
        elements = text.map { character in
            switch character {
            case "*": return .anyRun
            case "?": return .anyOne
            default: return .literal(character)
            }
        }
    }

    /// `text` with every character literal, `*` and `?` included.
    init(literal text: String) {
        elements = text.map { .literal($0) }
    }

    /// True when the pattern holds no wildcard.
    var isLiteral: Bool {
        elements.allSatisfy { if case .literal = $0 { return true } else { return false } }
    }

    /// True when the pattern is one or more `*` and nothing else: it matches any text.
    var matchesEverything: Bool {
        !elements.isEmpty && elements.allSatisfy { $0 == .anyRun }
    }

    /// The literal characters as text (wildcards written as `*` and `?`).
    var text: String {
        String(elements.map { element -> Character in
            switch element {
            case let .literal(character): return character
            case .anyRun: return "*"
            case .anyOne: return "?"
            }
        })
    }

    /// Whether the whole of `text` matches the whole pattern; `*` may span any character, `/` and `:`
    /// included. With `ignoringCase`, literal characters compare case-insensitively.
    func matches(_ text: String, ignoringCase: Bool = false) -> Bool {
        let characters = Array(text)
        var textIndex = 0
        var patternIndex = 0
        // Where the last `*` was seen, and how much text it has swallowed so far: on a mismatch the
        // star takes one more character and matching resumes after it.
        var starPattern = -1
        var starText = 0
        while textIndex < characters.count {
            if patternIndex < elements.count {
                switch elements[patternIndex] {
                case .anyRun:
                    starPattern = patternIndex
                    starText = textIndex
                    patternIndex += 1
                    continue
                case .anyOne:
                    textIndex += 1
                    patternIndex += 1
                    continue
                case let .literal(character):
                    if GlobPattern.same(character, characters[textIndex], ignoringCase: ignoringCase) {
                        textIndex += 1
                        patternIndex += 1
                        continue
                    }
                }
            }
            guard starPattern >= 0 else { return false }
            starText += 1
            textIndex = starText
            patternIndex = starPattern + 1
        }
        while patternIndex < elements.count, elements[patternIndex] == .anyRun { patternIndex += 1 }
        return patternIndex == elements.count
    }

    /// The pattern cut at its first `limit` literal `separator` characters (the separators dropped).
    func split(separator: Character, maxSplits limit: Int) -> [GlobPattern] {
        var pieces: [GlobPattern] = []
        var current: [Element] = []
        for element in elements {
            if pieces.count < limit, element == .literal(separator) {
                pieces.append(GlobPattern(elements: current))
                current = []
            } else {
                current.append(element)
            }
        }
        pieces.append(GlobPattern(elements: current))
        return pieces
    }

    private static func same(_ left: Character, _ right: Character, ignoringCase: Bool) -> Bool {
        left == right || (ignoringCase && left.lowercased() == right.lowercased())
    }
}
