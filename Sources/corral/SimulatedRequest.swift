import ArgumentParser
import CorralPolicy
import Foundation

/// The request `corral policy simulate` evaluates: the options read, the default principal chosen and
/// the condition keys the server would set filled in.
struct SimulatedRequest {
    /// The user the request is made by when --principal is not given: a user rather than the account
    /// root, because the root is allowed everything in its own account and the policies would not matter.
    static let defaultUserName = "simulated-user"
    /// The resource's account when neither --resource nor --principal names one (`*`, an S3 ARN, a
    /// service principal): the admin tenant's account `corral serve` makes by default.
    static let defaultAccount = ServerConfiguration().account

    let authorization: AuthorizationRequest
    /// True when --principal was not given.
    let principalIsDefault: Bool

    /// The command line's request options, checked; every refusal is a ValidationError naming the option.
    struct Options {
        let action: String
        let resource: String
        /// Nil when --principal was not given (then: the default user of the resource's account).
        let principal: RequestPrincipal?
        let resourceAccount: String
        /// The --context values in the order given, each key's values gathered.
        let context: ConditionContext

        init(action: String, resource: String, principal principalText: String?, context pairs: [String]) throws {
            guard Options.isAction(action) else {
                throw ValidationError("--action \(action): expected service:Name, such as lambda:InvokeFunction (no wildcards)")
            }
            let resourceARN = ARN(resource)
            guard resource == "*" || (resourceARN != nil && !resource.contains(where: { "*?".contains($0) })) else {
                throw ValidationError("--resource \(resource): expected an ARN (arn:partition:service:region:account:resource, no wildcards) or *")
            }
            let principal = try principalText.map(Options.principal)
            let account = resourceARN.flatMap { $0.account.isEmpty ? nil : $0.account } ?? principal?.account
                ?? SimulatedRequest.defaultAccount
            var context = ConditionContext()
            for pair in pairs {
                guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                    throw ValidationError("--context \(pair): expected KEY=VALUE, such as aws:SourceIp=203.0.113.7")
                }
                let key = String(pair[..<equals])
                context.set(key, to: (context.values(for: key) ?? []) + [String(pair[pair.index(after: equals)...])])
            }
            self.action = action
            self.resource = resource
            self.principal = principal
            self.resourceAccount = account
            self.context = context
        }

        /// The request made at `now`: the default principal if none was given, and the keys the server
        /// sets that --context did not give.
        func request(now: Date) -> SimulatedRequest {
            let caller = principal ?? .iam(arn: "arn:aws:iam::\(resourceAccount):user/\(SimulatedRequest.defaultUserName)", account: resourceAccount)
            var filled = ConditionContext()
            filled.setRequestTime(now)
            if case let .iam(arn, account) = caller {
                filled.principalArn = arn
                filled.principalAccount = account
                if let parsed = ARN(arn), parsed.service == "iam", parsed.resource.hasPrefix("user/") {
                    filled.username = String(parsed.resource.split(separator: "/").last ?? "")
                }
            }
            if let parsed = ARN(resource), parsed.service == "lambda", parsed.resource.hasPrefix("function:") {
                filled.functionArn = resource
            }
            for key in context.keys { filled.set(key, to: context.values(for: key) ?? []) }
            let authorization = AuthorizationRequest(principal: caller, action: action, resource: resource,
                                                     resourceAccount: resourceAccount, context: filled)
            return SimulatedRequest(authorization: authorization, principalIsDefault: principal == nil)
        }

        /// `service:Name`: one colon, both parts non-empty, no wildcards or whitespace.
        private static func isAction(_ text: String) -> Bool {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
                && !text.contains(where: { $0.isWhitespace || $0 == "*" || $0 == "?" })
        }

        /// An IAM principal's ARN (iam or sts), an account id (its root), or a service principal's name.
        private static func principal(_ text: String) throws -> RequestPrincipal {
            if ARN.isAccountID(text) { return .accountRoot(text) }
            if let arn = ARN(text) {
                guard ["iam", "sts"].contains(arn.service), ARN.isAccountID(arn.account) else {
                    throw ValidationError("--principal \(text): expected an IAM principal's ARN with its account (arn:aws:iam::ACCOUNT:user/NAME, ...:role/NAME, ...:root)")
                }
                return .iam(arn: text, account: arn.account)
            }
            let isServiceName = text.contains(".") && !text.contains(where: { $0.isWhitespace || ":/*?".contains($0) })
            guard isServiceName else {
                throw ValidationError("--principal \(text): expected an IAM principal's ARN, a 12-digit account id or a service principal such as s3.amazonaws.com")
            }
            return .service(text)
        }
    }
}
