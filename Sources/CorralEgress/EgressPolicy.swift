/// Decides which destinations an egress proxy lets through. `EgressAllowlist` is the plain one; the server
/// passes one that also asks the function's execution role (so its Deny statements and conditions apply).
/// The host reaches it already parsed: ambiguous spellings a resolver could read as another address were
/// refused before.
public protocol EgressPolicy: Sendable {
    func allows(_ host: EgressHost, port: Int) -> Bool
}

extension EgressAllowlist: EgressPolicy {}
