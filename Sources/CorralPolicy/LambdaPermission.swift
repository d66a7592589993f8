/// The parameters of Lambda's AddPermission, and the statement Lambda builds from them.
public struct LambdaPermission: Sendable, Equatable {
    /// `StatementId`: 1 to 100 of `[a-zA-Z0-9-_.]`; becomes the Sid.
    public var statementId: String
    /// `Action`: `lambda:InvokeFunction`, `lambda:*`, any `lambda:<Name>`, or `*` (botocore's pattern).
    public var action: String
    /// `Principal`: an account id, an IAM ARN, `*`, or a service name such as `s3.amazonaws.com`.
    public var principal: String
    /// The function's unqualified ARN.
    public var functionArn: String
    /// `Qualifier`: a version or alias; appended to the resource. `$LATEST` is refused.
    public var qualifier: String?
    public var sourceArn: String?
    public var sourceAccount: String?
    public var principalOrgID: String?
    public var eventSourceToken: String?
    /// `NONE` or `AWS_IAM`.
    public var functionUrlAuthType: String?
    public var invokedViaFunctionUrl: Bool?

    public init(
        statementId: String, action: String, principal: String, functionArn: String, qualifier: String? = nil,
        sourceArn: String? = nil, sourceAccount: String? = nil, principalOrgID: String? = nil,
        eventSourceToken: String? = nil, functionUrlAuthType: String? = nil, invokedViaFunctionUrl: Bool? = nil
    ) {
        self.statementId = statementId
        self.action = action
        self.principal = principal
        self.functionArn = functionArn
        self.qualifier = qualifier
        self.sourceArn = sourceArn
        self.sourceAccount = sourceAccount
        self.principalOrgID = principalOrgID
        self.eventSourceToken = eventSourceToken
        self.functionUrlAuthType = functionUrlAuthType
        self.invokedViaFunctionUrl = invokedViaFunctionUrl
    }

    /// The statement AddPermission adds: Sid, `Allow`, the principal, the action, the (qualified) function
    /// ARN, and conditions `StringEquals` (`AWS:SourceAccount`, `aws:PrincipalOrgID`,
    /// `lambda:EventSourceToken`, `lambda:FunctionUrlAuthType`), `ArnLike` (`AWS:SourceArn`) and `Bool`
    /// (`lambda:InvokedViaFunctionUrl`), in that order. Errors name the offending parameter.
    public func statement() throws(PolicyError) -> PolicyStatement {
        guard (1...100).contains(statementId.count), statementId.allSatisfy(LambdaPermission.isStatementIdCharacter) else {
            throw .invalidParameter("StatementId", "must be 1 to 100 letters, digits, hyphens, underscores or periods")
        }
        guard action == "*" || LambdaPermission.isLambdaAction(action) else {
            throw .invalidParameter("Action", "\"\(action)\" is not lambda:<Action>, lambda:* or *")
        }
        guard let function = ARN(functionArn) else {
            throw .invalidParameter("FunctionName", "\"\(functionArn)\" is not a function ARN")
        }
        var resource = functionArn
        if let qualifier {
            guard qualifier != "$LATEST" else {
                throw .invalidParameter("Qualifier", "a permission cannot be added to $LATEST; omit the Qualifier")
            }
            guard !qualifier.isEmpty, qualifier.count <= 128, qualifier.allSatisfy(LambdaPermission.isStatementIdCharacter) else {
                throw .invalidParameter("Qualifier", "\"\(qualifier)\" is not a version or alias name")
            }
            resource += ":" + qualifier
        }
        return PolicyStatement(
            sid: statementId, effect: .allow,
            principal: .listed(try principalElement(partition: function.partition)),
            actions: .listed([action]), resources: .listed([resource]), conditions: try conditions()
        )
    }

    private func principalElement(partition: String) throws(PolicyError) -> PolicyPrincipal {
        if principal == "*" { return .anyone }
        if ARN.isAccountID(principal) { return .listed([PrincipalEntry.account(principal, partition: partition)]) }
        if principal.hasPrefix("arn:") {
            guard ARN(principal) != nil else { throw .invalidParameter("Principal", "\"\(principal)\" is not a valid ARN") }
            return .listed([PrincipalEntry(.aws, [principal])])
        }
        let labels = principal.split(separator: ".", omittingEmptySubsequences: false)
        let isServiceName = labels.count >= 2 && labels.allSatisfy { label in
            !label.isEmpty && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
        guard isServiceName else {
            throw .invalidParameter("Principal", "\"\(principal)\" is not an account id, an ARN, * or a service name such as s3.amazonaws.com")
        }
        return .listed([PrincipalEntry(.service, [principal])])
    }

    private func conditions() throws(PolicyError) -> [PolicyCondition] {
        var conditions: [PolicyCondition] = []
        let stringEquals = ConditionOperator(.stringEquals)
        if let sourceAccount {
            guard ARN.isAccountID(sourceAccount) else { throw .invalidParameter("SourceAccount", "must be a 12-digit account id") }
            conditions.append(PolicyCondition(stringEquals, key: "AWS:SourceAccount", values: [sourceAccount]))
        }
        if let principalOrgID {
            let body = principalOrgID.dropFirst(2)
            guard principalOrgID.hasPrefix("o-"), (10...32).contains(body.count),
                  body.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber) })
            else { throw .invalidParameter("PrincipalOrgID", "\"\(principalOrgID)\" is not an organization id (o-...)") }
            conditions.append(PolicyCondition(stringEquals, key: "aws:PrincipalOrgID", values: [principalOrgID]))
        }
        if let eventSourceToken {
            guard (1...256).contains(eventSourceToken.count), eventSourceToken.allSatisfy(LambdaPermission.isStatementIdCharacter) else {
                throw .invalidParameter("EventSourceToken", "must be 1 to 256 letters, digits, periods, underscores or hyphens")
            }
            conditions.append(PolicyCondition(stringEquals, key: "lambda:EventSourceToken", values: [eventSourceToken]))
        }
        if let functionUrlAuthType {
            guard ["NONE", "AWS_IAM"].contains(functionUrlAuthType) else {
                throw .invalidParameter("FunctionUrlAuthType", "must be NONE or AWS_IAM")
            }
            conditions.append(PolicyCondition(stringEquals, key: "lambda:FunctionUrlAuthType", values: [functionUrlAuthType]))
        }
        if let sourceArn {
            guard sourceArn.hasPrefix("arn:"), sourceArn.split(separator: ":", omittingEmptySubsequences: false).count >= 6 else {
                throw .invalidParameter("SourceArn", "\"\(sourceArn)\" is not an ARN")
            }
            conditions.append(PolicyCondition(ConditionOperator(.arnLike), key: "AWS:SourceArn", values: [sourceArn]))
        }
        if let invokedViaFunctionUrl {
            conditions.append(PolicyCondition(ConditionOperator(.bool), key: "lambda:InvokedViaFunctionUrl",
                                              values: [invokedViaFunctionUrl ? "true" : "false"]))
        }
        return conditions
    }

    private static func isStatementIdCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || "-_.".contains(character))
    }

    private static func isLambdaAction(_ action: String) -> Bool {
        guard action.hasPrefix("lambda:") else { return false }
        let name = action.dropFirst("lambda:".count)
        return name == "*" || (!name.isEmpty && name.allSatisfy { $0.isASCII && $0.isLetter })
    }
}
