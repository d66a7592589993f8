import CorralPolicy
import Foundation

/// `corral policy simulate`'s output: text for people, or one JSON object (its shape is documented in
/// the command's --help).
struct PolicySimulationReport {
    let request: SimulatedRequest
    let simulation: PolicySimulation

    /// The decision as IAM's simulator names it.
    var decisionWord: String {
        switch simulation.decision.effect {
        case .allow: return "allowed"
        case .explicitDeny: return "explicitDeny"
        case .implicitDeny: return "implicitDeny"
        }
    }

    /// The decision word on the first line, then the request, the matched statements ('*' for those that
    /// decided) and why a denial is one.
    var text: String {
        let authorization = request.authorization
        var lines = [decisionWord]
        let principal = authorization.principal.arn + (request.principalIsDefault ? " (the default principal)" : "")
        let scope = authorization.isSameAccount ? "same account" : "cross-account"
        lines.append("request: \(principal) performs \(authorization.action) on \(authorization.resource) (\(scope))")
        if simulation.matchedStatements.isEmpty {
            lines.append("matched statements: none")
        } else {
            lines.append("matched statements (* decided):")
            for matched in simulation.matchedStatements {
                let mark = simulation.isDeciding(matched) ? "*" : " "
                let statement = matched.statement
                var line = "\(mark) \(statement.policyName) [\(statement.policyKind.rawValue)] statement \(statement.index)"
                if let sid = statement.sid { line += ", Sid \(sid)" }
                line += ": \(statement.effect.rawValue)"
                if matched.isUndecided {
                    line += statement.effect == .deny ? " (undecided condition: denies all the same)" : " (undecided condition: does not allow)"
                }
                lines.append(line)
            }
        }
        if let message = simulation.decision.accessDeniedMessage(for: authorization) {
            lines.append("AccessDenied: \(message)")
        } else if simulation.decision.statements.isEmpty {
            lines.append("the account root is allowed in its own account without a statement")
        }
        return lines.joined(separator: "\n")
    }

    /// One pretty-printed JSON object, keys sorted.
    var json: String {
        let authorization = request.authorization
        var context: [String: Any] = [:]
        for key in authorization.context.keys { context[key] = authorization.context.values(for: key) ?? [] }
        let object: [String: Any] = [
            "decision": decisionWord,
            "action": authorization.action,
            "resource": authorization.resource,
            "resourceAccount": authorization.resourceAccount,
            "principal": authorization.principal.arn,
            "sameAccount": authorization.isSameAccount,
            "context": context,
            "matchedStatements": simulation.matchedStatements.map { matched in
                PolicySimulationReport.statementJSON(matched.statement).merging([
                    "deciding": simulation.isDeciding(matched), "undecided": matched.isUndecided,
                ]) { first, _ in first }
            },
            "decidingStatements": simulation.decision.statements.map(PolicySimulationReport.statementJSON),
            "missingAllow": simulation.decision.missingAllow.map { $0.rawValue as Any } ?? NSNull(),
            "message": simulation.decision.accessDeniedMessage(for: authorization).map { $0 as Any } ?? NSNull(),
        ]
        let options: JSONSerialization.WritingOptions = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: options)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    private static func statementJSON(_ statement: DecidingStatement) -> [String: Any] {
        [
            "policy": statement.policyName,
            "kind": statement.policyKind.rawValue,
            "index": statement.index,
            "sid": statement.sid.map { $0 as Any } ?? NSNull(),
            "effect": statement.effect.rawValue,
        ]
    }
}
