import CorralAuth
import CorralPolicy
import Foundation

/// Short-lived credentials for execution roles, held in memory only: each environment whose role may invoke
/// functions gets its own (AWS_ACCESS_KEY_ID `ASIA...`, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), valid
/// until the environment ends (revoked then) or `lifetime` passes, whichever is first. A request signed
/// with them must carry the token (X-Amz-Security-Token) and acts as the role's assumed-role principal,
/// with the role's policy as its identity policy.
public final class SessionCredentials: @unchecked Sendable {
    public struct Session: Sendable {
        public let accessKeyID: String
        public let secretAccessKey: String
        public let sessionToken: String
        public let account: String
        /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
        public let principalARN: String
        public let policy: PolicyDocument
        public let expires: Date
    }

    private let lock = NSLock()
    private var sessions: [String: Session] = [:]

    public init() {}

    /// New credentials acting as `role` for `session` (the environment's name), valid for `lifetime` seconds.
    public func issue(for role: ExecutionRole, session: String, lifetime: TimeInterval, now: Date = Date()) -> Session {
        let issued = Session(accessKeyID: AccessKeyGenerator.sessionKeyID(), secretAccessKey: AccessKeyGenerator.secret(),
                             sessionToken: AccessKeyGenerator.sessionToken(), account: role.account,
                             principalARN: role.principal(session: session).arn, policy: role.document, expires: now + lifetime)
        lock.withLock {
            sessions = sessions.filter { $0.value.expires > now }
            sessions[issued.accessKeyID] = issued
        }
        return issued
    }

    /// Ends the credentials at once.
    public func revoke(_ accessKeyID: String) {
        _ = lock.withLock { sessions.removeValue(forKey: accessKeyID) }
    }

    /// The live session for `accessKeyID`, or nil (unknown, revoked or expired).
    public func session(_ accessKeyID: String, now: Date = Date()) -> Session? {
        guard let found = lock.withLock({ sessions[accessKeyID] }), found.expires > now else { return nil }
        return found
    }

    /// Number of live sessions (for tests and status).
    public var count: Int { lock.withLock { sessions.count } }

    /// True for an id of this kind (`ASIA...`), which is never a stored key.
    public static func isSessionKeyID(_ id: String) -> Bool { id.hasPrefix("ASIA") }
}
