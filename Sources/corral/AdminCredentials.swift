import CorralAuth
import CorralStore
import CorralSystem
import Foundation

/// The admin tenant and its first key, made when the server first starts on an empty database, and the
/// credentials file that hands the key to the CLI, boto3 and the aws CLI: `DATA/credentials`, mode 0600,
/// in the AWS shared-credentials format (profile `default`), so
/// `AWS_SHARED_CREDENTIALS_FILE=DATA/credentials aws --endpoint-url ... lambda list-functions` works.
enum AdminCredentials {
    static let fileName = "credentials"
    static let tenantName = "admin"

    /// Creates the admin tenant (with `account` as its id) and a root key when there is no tenant yet,
    /// and writes the credentials file. Returns the key it created, or nil when tenants existed.
    static func bootstrap(_ tenants: TenantStore, account: String, file: String) throws -> AccessKey? {
        guard try tenants.tenants().isEmpty else { return nil }
        let tenant = try tenants.createTenant(name: tenantName, account: account)
        let secret = AccessKeyGenerator.secret()
        let key = try tenants.createKey(account: tenant.account, id: AccessKeyGenerator.keyID(), secret: secret)
        try write(SigV4.Credentials(accessKeyID: key.id, secretAccessKey: secret), to: file)
        return key
    }

    /// Writes `credentials` as an AWS shared-credentials file, atomically and 0600 from the start.
    static func write(_ credentials: SigV4.Credentials, to file: String, profile: String = "default") throws {
        let text = """
            # Corral's admin credentials, written when the server first started. Keep this file private.
            # Use: AWS_SHARED_CREDENTIALS_FILE=\(file) aws --endpoint-url http://127.0.0.1:9000 lambda list-functions
            [\(profile)]
            aws_access_key_id = \(credentials.accessKeyID)
            aws_secret_access_key = \(credentials.secretAccessKey)

            """
        let temporary = file + ".tmp-\(getpid())"
        let fd = try FileDescriptor.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode: 0o600)
        do {
            let outcome = Array(text.utf8).withUnsafeBytes { bytes in Result { () throws(SystemError) in try FileDescriptor.writeAll(fd, bytes) } }
            try outcome.get()
            FileDescriptor.close(fd)
            try syscall("rename \(temporary)") { rename(temporary, file) }
        } catch {
            FileDescriptor.close(fd)
            unlink(temporary)
            throw error
        }
    }
}
