import Foundation
import Testing
@testable import CorralPolicy

/// The table-driven evaluation corpus (EvaluationCorpus.json): AWS's documented examples and edge cases,
/// each run on its own and reported by name.
@Suite struct EvaluationCorpusTests {
    @Test("the corpus", arguments: try EvaluationCorpus.cases())
    func corpusCase(_ entry: EvaluationCorpus.Case) throws {
        let identity: [NamedPolicy]
        let resource: NamedPolicy?
        do {
            identity = try entry.identity.enumerated().map { index, text in
                NamedPolicy.identity("identity[\(index)]", try PolicyDocument.parse(text, kind: .identity))
            }
            resource = try entry.resourcePolicy.map { NamedPolicy.resource("resource", try PolicyDocument.parse($0, kind: .resource)) }
        } catch let error as PolicyError {
            #expect(entry.expect == "malformed", "a policy was refused: \(error)")
            if let path = entry.errorPath { #expect(error.path == path, "\(error)") }
            return
        }
        #expect(entry.expect != "malformed", "every policy parsed")
        let request = entry.request()
        let decision = PolicyEvaluator.evaluate(request, identityPolicies: identity, resourcePolicy: resource)
        #expect(EvaluationCorpus.word(decision.effect) == entry.expect, "deciding: \(decision.statements)")
        if let sid = entry.sid { #expect(decision.statement?.sid == sid, "deciding: \(decision.statements)") }
        let simulation = PolicyEvaluator.simulate(request, identityPolicies: identity, resourcePolicy: resource)
        #expect(simulation.decision == decision, "simulate and evaluate agree")
        #expect(decision.statements.allSatisfy { deciding in simulation.matchedStatements.contains { $0.statement == deciding } },
                "the deciding statements are among the matched ones")
    }

    @Test("the corpus has at least 150 distinct cases, and every outcome appears")
    func size() throws {
        let cases = try EvaluationCorpus.cases()
        #expect(cases.count >= 150, "\(cases.count) cases")
        #expect(Set(cases.map(\.name)).count == cases.count, "case names are unique")
        #expect(Set(cases.map(\.expect)) == ["allowed", "explicitDeny", "implicitDeny", "malformed"])
    }
}

/// Reads EvaluationCorpus.json (its "about" member describes the format) with the engine's own JSON
/// reader, so policies keep their members' order and their numbers' text.
enum EvaluationCorpus {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        /// The documents' JSON texts.
        var identity: [String]
        var resourcePolicy: String?
        var principal: String
        var action: String
        var resource: String
        var resourceAccount: String?
        var context: [(key: String, values: [String])]
        var expect: String
        var sid: String?
        var errorPath: String?

        var testDescription: String { name }

        /// The request, with the keys the server sets for the principal unless the case gives them.
        func request() -> AuthorizationRequest {
            let principal: RequestPrincipal = RequestPrincipal(arn: principal) ?? .service(principal)
            var values = ConditionContext()
            if case let .iam(arn, account) = principal {
                values.principalArn = arn
                values.principalAccount = account
                if let parsed = ARN(arn), parsed.resource.hasPrefix("user/") {
                    values.username = String(parsed.resource.split(separator: "/").last ?? "")
                }
            }
            for (key, list) in context { values.set(key, to: list) }
            let account = resourceAccount ?? ARN(resource).flatMap { $0.account.isEmpty ? nil : $0.account } ?? principal.account ?? ""
            return AuthorizationRequest(principal: principal, action: action, resource: resource, resourceAccount: account, context: values)
        }
    }

    struct FormatError: Error, CustomStringConvertible {
        var description: String
    }

    static let defaultPrincipal = "arn:aws:iam::111122223333:user/alice"

    /// IAM's simulator's word for a decision.
    static func word(_ effect: Decision.Effect) -> String {
        switch effect {
        case .allow: return "allowed"
        case .explicitDeny: return "explicitDeny"
        case .implicitDeny: return "implicitDeny"
        }
    }

    static func cases() throws -> [Case] {
        guard let url = Bundle.module.url(forResource: "EvaluationCorpus", withExtension: "json") else {
            throw FormatError(description: "EvaluationCorpus.json is not among the test resources")
        }
        let root = try JSONReader.parse(try String(contentsOf: url, encoding: .utf8))
        guard case let .array(entries)? = member(root, "cases") else { throw FormatError(description: "no cases list") }
        return try entries.map(read)
    }

    private static func read(_ entry: JSONValue) throws -> Case {
        let name = try string(entry, "name")
        func policy(_ value: JSONValue) throws -> String {
            switch value {
            case let .string(text): return text
            case .object: return value.compactText
            case .array: return JSONValue.object([JSONMember("Version", .string("2012-10-17")), JSONMember("Statement", value)]).compactText
            default: throw FormatError(description: "\(name): a policy must be a string, an object or a list")
            }
        }
        var identity: [String] = []
        if let list = member(entry, "identity") {
            guard case let .array(items) = list else { throw FormatError(description: "\(name): identity must be a list") }
            identity = try items.map(policy)
        }
        var context: [(key: String, values: [String])] = []
        if case let .object(members)? = member(entry, "context") {
            for item in members {
                switch item.value {
                case let .string(text): context.append((item.key, [text]))
                case let .array(values): context.append((item.key, try values.map { value in
                    guard case let .string(text) = value else { throw FormatError(description: "\(name): context values are strings") }
                    return text
                }))
                default: throw FormatError(description: "\(name): context \(item.key) must be a string or a list of strings")
                }
            }
        }
        return Case(name: name, identity: identity, resourcePolicy: try member(entry, "resourcePolicy").map(policy),
                    principal: try optionalString(entry, "principal") ?? defaultPrincipal, action: try string(entry, "action"),
                    resource: try string(entry, "resource"), resourceAccount: try optionalString(entry, "resourceAccount"),
                    context: context, expect: try string(entry, "expect"), sid: try optionalString(entry, "sid"),
                    errorPath: try optionalString(entry, "errorPath"))
    }

    private static func member(_ value: JSONValue, _ key: String) -> JSONValue? {
        guard case let .object(members) = value else { return nil }
        return members.first { $0.key == key }?.value
    }

    private static func optionalString(_ value: JSONValue, _ key: String) throws -> String? {
        guard let found = member(value, key) else { return nil }
        guard case let .string(text) = found else { throw FormatError(description: "\(key) must be a string") }
        return text
    }

    private static func string(_ value: JSONValue, _ key: String) throws -> String {
        guard let text = try optionalString(value, key) else { throw FormatError(description: "a case lacks \(key)") }
        return text
    }
}
