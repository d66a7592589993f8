/// Who is calling, as far as the API is concerned: the account whose functions the request sees, and the
/// region ARNs are written with. The seam where authentication plugs in: until the tenancy issue lands,
/// every request acts as the configured default tenant, and the region comes from the request's SigV4
/// scope when it has one (signatures are not yet verified).
public struct Caller: Equatable, Sendable {
    public var account: String
    public var region: String

    public init(account: String, region: String) {
        self.account = account
        self.region = region
    }

    /// The region of an `Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/lambda/aws4_request, ...`
    /// header, if it is one.
    public static func signingRegion(authorization: String?) -> String? {
        guard let authorization, let range = authorization.range(of: "Credential=") else { return nil }
        let credential = authorization[range.upperBound...].prefix { $0 != "," && $0 != " " }
        let scope = credential.split(separator: "/")
        guard scope.count == 5, scope[3] == "lambda", scope[4] == "aws4_request", !scope[2].isEmpty else { return nil }
        return String(scope[2])
    }
}
