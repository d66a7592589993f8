import ArgumentParser
import CorralPolicy
import Foundation

/// `corral policy simulate`: one request evaluated against policy files by the server's engine
/// (`PolicyEvaluator.simulate`), printed with the statements that matched.
struct PolicySimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Evaluate one request against policy files and print the decision and the statements that matched.",
        discussion: """
            The decision is named as IAM's policy simulator names it: allowed, explicitDeny or implicitDeny. \
            The engine is the server's, with AWS's evaluation logic: a matching Deny in any policy is an \
            explicit deny. In the resource's own account an Allow in an identity policy or in the resource \
            policy allows (the account root is allowed without one). From another account it takes both an \
            Allow in an identity policy and an Allow in the resource policy that names the principal. A \
            service principal is allowed by the resource policy alone. Anything else is an implicit deny.

            Condition keys set as the server sets them (a --context KEY=... replaces one):
              aws:CurrentTime, aws:EpochTime   now
              aws:PrincipalArn                 the principal's ARN (not for a service)
              aws:PrincipalAccount             the principal's account (not for a service)
              aws:username                     NAME, for arn:...:user/[PATH/]NAME
              lambda:FunctionArn               the resource, when it is a Lambda function
            Every other key (aws:SourceIp, aws:TagKeys, aws:SourceArn, ...) is missing unless \
            --context gives it.

            Output: the decision word on the first line; then the request; the matched statements, each \
            as its policy file, [identity] or [resource], its index (from 0), Sid and Effect, with a '*' \
            before those that decided; and for a denial AWS's AccessDenied message. A statement is \
            undecided when a condition cannot be evaluated (a value that is not a number, a date or an IP \
            address where the operator needs one): an undecided Deny denies all the same, an undecided \
            Allow never allows.

            With --json, one object (keys sorted):
              decision            allowed | explicitDeny | implicitDeny
              action, resource    the request
              resourceAccount     the account that owns the resource
              principal           the principal's ARN, or the service's name
              sameAccount         true when the principal's account owns the resource
              context             {KEY: [VALUE, ...]}, every key the engine saw
              matchedStatements   [{policy, kind, index, sid, effect, deciding,
                                    undecided}]
              decidingStatements  [{policy, kind, index, sid, effect}]
              missingAllow        identity | resource | null: the side that lacked
                                  an Allow, for an implicit deny
              message             AWS's AccessDenied text, or null when allowed
            policy is the file as given, kind is identity or resource, sid is null for a statement \
            without one.

            Exit status: 0 when the request was evaluated, whatever the decision (as `aws iam \
            simulate-custom-policy` does); 1 when a policy file cannot be read or is not a valid policy \
            (the message names the file and the element at fault, such as \
            Statement[1].Condition.NumericLessThan.s3:max-keys); 2 for bad options.

            Examples:
              corral policy simulate --policy ci.json --action lambda:GetFunction \\
                --resource arn:aws:lambda:us-east-1:111122223333:function:my-fn
              corral policy simulate --policy partner.json \\
                --resource-policy my-fn-policy.json \\
                --principal arn:aws:iam::444455556666:user/partner \\
                --action lambda:InvokeFunction --json \\
                --resource arn:aws:lambda:us-east-1:111122223333:function:my-fn
              corral policy simulate --policy tagging.json \\
                --action lambda:TagResource --context aws:TagKeys=team \\
                --context aws:TagKeys=cost-center --context aws:SourceIp=203.0.113.7 \\
                --resource arn:aws:lambda:us-east-1:111122223333:function:my-fn
            """)

    @Option(name: .customLong("policy"), parsing: .singleValue,
            help: ArgumentHelp("An identity-based policy (JSON) of the principal. Repeatable: all of them apply.", valueName: "file"))
    var policies: [String] = []

    @Option(help: ArgumentHelp("The resource's resource-based policy (JSON), such as a function's policy from GetPolicy. Its statements must name a Principal.",
                               valueName: "file"))
    var resourcePolicy: String?

    @Option(help: ArgumentHelp("The action requested, service:Name, e.g. lambda:InvokeFunction (no wildcards).", valueName: "action"))
    var action: String

    @Option(help: ArgumentHelp("The resource's ARN, e.g. arn:aws:lambda:us-east-1:111122223333:function:my-fn[:qualifier], or * for actions on no particular resource. Its account owns the resource; an ARN without one (arn:aws:s3:::bucket, *) is taken to be in the principal's account, or in \(SimulatedRequest.defaultAccount) (corral serve's default account) when neither names one.",
                               valueName: "arn"))
    var resource: String

    @Option(help: ArgumentHelp("Who asks: an IAM user, role or root ARN (arn:aws:iam::ACCOUNT:user/NAME), a 12-digit account id (its root), or a service principal (s3.amazonaws.com). Default: arn:aws:iam::ACCOUNT:user/\(SimulatedRequest.defaultUserName) in the resource's account: a user, not the root, so that the policies decide.",
                               valueName: "principal"))
    var principal: String?

    @Option(name: .customLong("context"), parsing: .singleValue,
            help: ArgumentHelp("A condition key's value. Repeat a key for several values (a multivalued key, for ForAnyValue/ForAllValues). KEY= gives the key one empty value; keys not given are missing.",
                               valueName: "key=value"))
    var contextPairs: [String] = []

    @Flag(help: "Print one JSON object (described above) instead of text.")
    var json = false

    func validate() throws {
        if policies.isEmpty && resourcePolicy == nil {
            throw ValidationError("give at least one --policy or a --resource-policy: with no policy every request is an implicit deny")
        }
        _ = try requestOptions()
    }

    func run() throws {
        let request = try requestOptions().request(now: Date())
        let identity = try policies.map { try PolicyFile.read($0, kind: .identity, option: "--policy", command: "policy simulate") }
        let resourceBased = try resourcePolicy.map {
            try PolicyFile.read($0, kind: .resource, option: "--resource-policy", command: "policy simulate")
        }
        let simulation = PolicyEvaluator.simulate(request.authorization, identityPolicies: identity, resourcePolicy: resourceBased)
        let report = PolicySimulationReport(request: request, simulation: simulation)
        print(json ? report.json : report.text)
    }

    /// The request options checked and read; a ValidationError (exit 2) names the option at fault.
    private func requestOptions() throws -> SimulatedRequest.Options {
        try SimulatedRequest.Options(action: action, resource: resource, principal: principal, context: contextPairs)
    }
}
