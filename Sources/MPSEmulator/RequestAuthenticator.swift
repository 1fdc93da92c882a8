import Hashing
import MPS

/// Checks a Tencent Cloud API 3.0 request the way the real gateway does: a well-formed
/// TC3-HMAC-SHA256 `Authorization`, a known SecretId, a timestamp within five minutes, and a
/// signature over `content-type;host` and the exact body bytes (for GET, the exact query string).
struct RequestAuthenticator: Sendable {
    /// SecretId → SecretKey.
    let keys: [String: String]
    /// How far `X-TC-Timestamp` may be from the emulator's clock.
    let maximumSkew: Int64 = 300

    struct Failure: Error, Equatable {
        let code: String
        let message: String
    }

    /// Verifies and returns the SecretId that signed the request. For GET the signature covers
    /// `query` (raw, as received) and an empty payload; for POST an empty query and `body`.
    func authenticate(
        method: String = "POST", query: String = "", authorization: String?, timestamp: String?, host: String?,
        contentType: String?, body: [UInt8], now: Int64
    ) -> Result<String, Failure> {
        guard let authorization, let parsed = Self.parse(authorization) else {
            return .failure(Failure(code: "AuthFailure.InvalidAuthorization", message: "Authorization header is missing or malformed."))
        }
        guard let timestampText = timestamp, let timestamp = Int64(timestampText) else {
            return .failure(Failure(code: "MissingParameter", message: "The request is missing a valid X-TC-Timestamp."))
        }
        guard let secretKey = keys[parsed.secretId] else {
            return .failure(Failure(code: "AuthFailure.SecretIdNotFound", message: "The SecretId is not found, please ensure that your SecretId is correct."))
        }
        guard abs(now - timestamp) <= maximumSkew else {
            return .failure(Failure(
                code: "AuthFailure.SignatureExpire",
                message: "Signature expired. Timestamp(\(timestamp)) and server time(\(now)) are more than 5 minutes apart."
            ))
        }
        guard parsed.signedHeaders == "content-type;host", parsed.service == "mps",
            parsed.date == TC3Signer.utcDate(timestamp), let host, let contentType
        else {
            return .failure(Failure(code: "AuthFailure.SignatureFailure", message: "The provided credentials could not be validated. Please check your signature is correct."))
        }
        let signer = TC3Signer(credentials: TencentCloudCredentials(secretId: parsed.secretId, secretKey: secretKey))
        let expected = signer.signature(for: TC3Signer.Request(
            method: method, host: host, contentType: contentType, payload: body, timestamp: timestamp, query: query
        ))
        guard ConstantTime.equals(Array(expected.utf8), Array(parsed.signature.utf8)) else {
            return .failure(Failure(code: "AuthFailure.SignatureFailure", message: "The provided credentials could not be validated. Please check your signature is correct."))
        }
        return .success(parsed.secretId)
    }

    struct Parsed: Equatable {
        var secretId: String
        var date: String
        var service: String
        var signedHeaders: String
        var signature: String
    }

    /// `TC3-HMAC-SHA256 Credential=ID/DATE/SERVICE/tc3_request, SignedHeaders=…, Signature=…`
    static func parse(_ header: String) -> Parsed? {
        let prefix = TC3Signer.algorithm + " "
        guard header.hasPrefix(prefix) else { return nil }
        var fields: [String: String] = [:]
        for part in header.dropFirst(prefix.count).split(separator: ",") {
            let trimmed = part.trimmingPrefix(while: { $0 == " " })
            guard let equals = trimmed.firstIndex(of: "=") else { return nil }
            fields[String(trimmed[..<equals])] = String(trimmed[trimmed.index(after: equals)...])
        }
        guard let credential = fields["Credential"], let signedHeaders = fields["SignedHeaders"],
            let signature = fields["Signature"]
        else { return nil }
        let scope = credential.split(separator: "/", omittingEmptySubsequences: false)
        guard scope.count == 4, scope[3] == "tc3_request", !scope[0].isEmpty else { return nil }
        return Parsed(
            secretId: String(scope[0]), date: String(scope[1]), service: String(scope[2]),
            signedHeaders: signedHeaders, signature: signature
        )
    }
}
