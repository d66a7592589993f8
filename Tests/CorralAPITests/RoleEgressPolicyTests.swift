@testable import CorralAPI
import CorralEgress
import CorralPolicy
import Testing

/// The egress decision for a role, as the proxy asks it: the allowlist of the role's Allow patterns and the
/// role's whole policy (its Deny statements) over the canonical destination.
@Suite struct RoleEgressPolicyTests {
    private func policy(_ statements: String) throws -> RoleEgressPolicy {
        let document = try PolicyDocument.parse(#"{"Version":"2012-10-17","Statement":[\#(statements)]}"#, kind: .identity)
        let role = ExecutionRole(account: "123456789012", name: "wide", document: document)
        return try RoleEgressPolicy(role: role, patterns: try role.compile(fsRoots: [], secretNames: []).egress)
    }

    /// Issue 14 item 4, as demonstrated: Allow `*` with Denies on loopback and link-local let
    /// [::ffff:127.0.0.1], [::ffff:7f00:1] and 0.0.0.0 reach Corral's API on the host's loopback.
    @Test func allowEverythingDenyLoopbackHoldsForEverySpelling() throws {
        let wide = try policy("""
            {"Effect":"Allow","Action":"net:Connect","Resource":"*"},
            {"Effect":"Deny","Action":"net:Connect","Resource":["arn:corral:net:::127.*","arn:corral:net:::localhost:*","arn:corral:net:::[::1]:*","arn:corral:net:::169.254.*"]}
            """)
        #expect(wide.allows(EgressHost("example.com")!, port: 443), "the oracle: names are allowed")
        for spelling in ["0.0.0.0", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::127.0.0.1]", "127.0.0.1", "[::1]", "[::]",
                         "169.254.169.254", "[::ffff:a9fe:a9fe]", "[fd00:ec2::254]"] {
            let host = try #require(EgressHost(spelling), "\(spelling)")
            #expect(!wide.allows(host, port: 9000), "\(spelling)")
        }
    }

    /// The Deny applies to the canonical address: an exact grant of the mapped spelling is still denied.
    @Test func aDenyOnTheIPv4AddressCoversItsIPv6Spellings() throws {
        let granted = try policy("""
            {"Effect":"Allow","Action":"net:Connect","Resource":["arn:corral:net:::127.0.0.1:9000","arn:corral:net:::192.0.2.7:443"]},
            {"Effect":"Deny","Action":"net:Connect","Resource":"arn:corral:net:::127.*"}
            """)
        #expect(granted.allows(EgressHost("[::ffff:192.0.2.7]")!, port: 443), "the oracle: the mapped spelling of a granted address passes")
        #expect(!granted.allows(EgressHost("[::ffff:7f00:1]")!, port: 9000))
        #expect(!granted.allows(EgressHost("127.0.0.1")!, port: 9000))
    }

    /// Issue 14 item 5: the supervisor's own unauthenticated listener (metrics) is no destination, even
    /// granted exactly; the oracle: another port of loopback granted exactly is reached.
    @Test func theSupervisorsMetricsListenerIsNoDestination() throws {
        let document = try PolicyDocument.parse(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"net:Connect","Resource":["arn:corral:net:::127.0.0.1:9464","arn:corral:net:::127.0.0.1:9000"]}]}"#, kind: .identity)
        let role = ExecutionRole(account: "123456789012", name: "scraper", document: document)
        let egress = try RoleEgressPolicy(role: role, patterns: try role.compile(fsRoots: [], secretNames: []).egress, supervisorPorts: [9464])
        #expect(!egress.allows(EgressHost("127.0.0.1")!, port: 9464))
        #expect(!egress.allows(EgressHost("[::ffff:127.0.0.1]")!, port: 9464))
        #expect(egress.allows(EgressHost("127.0.0.1")!, port: 9000))
    }
}
