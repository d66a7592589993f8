/// New access key ids and secrets, in AWS's shapes so clients and tools that check them accept them.
/// Drawn from the system's cryptographic generator (getrandom on Linux).
public enum AccessKeyGenerator {
    /// `AKIA` and 16 characters of A-Z and 2-7, like an AWS long-term key id (20 characters).
    public static func keyID() -> String {
        "AKIA" + random(count: 16, from: Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"))
    }

    /// `ASIA` and 16 characters of A-Z and 2-7, like an AWS temporary (session) key id.
    public static func sessionKeyID() -> String {
        "ASIA" + random(count: 16, from: Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"))
    }

    /// A session token: 128 characters of the base64 alphabet (about 768 bits).
    public static func sessionToken() -> String {
        random(count: 128, from: Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"))
    }

    /// 40 characters of the base64 alphabet (about 238 bits), like an AWS secret access key.
    public static func secret() -> String {
        random(count: 40, from: Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"))
    }

    private static func random(count: Int, from alphabet: [Character]) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
}
