/// The character rules of Lambda's identifiers (botocore's model patterns), as plain predicates.
public enum FunctionNames {
    /// `[a-zA-Z0-9-_]{1,64}`.
    public static func isFunctionName(_ s: String) -> Bool {
        (1...64).contains(s.utf8.count) && s.utf8.allSatisfy(isNameByte)
    }

    /// `$LATEST`, a version number (`[0-9]+`) or an alias name.
    public static func isQualifier(_ s: String) -> Bool {
        s == "$LATEST" || isVersionNumber(s) || isAliasName(s)
    }

    /// A published version: digits, no leading zero.
    public static func isVersionNumber(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 20 && s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && (s == "0" || !s.hasPrefix("0"))
    }

    /// `(?!^[0-9]+$)[a-zA-Z0-9-_]{1,128}`: not all digits.
    public static func isAliasName(_ s: String) -> Bool {
        (1...128).contains(s.utf8.count) && s.utf8.allSatisfy(isNameByte) && !s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// Twelve digits.
    public static func isAccountID(_ s: String) -> Bool {
        s.utf8.count == 12 && s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// `[a-z]{2}(-gov)?-[a-z]+-\d` (us-east-1, eu-central-2, us-gov-west-1).
    public static func isRegion(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3 || (parts.count == 4 && parts[1] == "gov") else { return false }
        let isLower = { (p: Substring) in !p.isEmpty && p.utf8.allSatisfy { $0 >= 0x61 && $0 <= 0x7a } }
        guard parts[0].utf8.count == 2, isLower(parts[0]), isLower(parts[parts.count - 2]) else { return false }
        let last = parts[parts.count - 1]
        return last.utf8.count == 1 && last.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    static func isNameByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x2d || c == 0x5f
    }
}
