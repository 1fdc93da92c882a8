import Hashing

/// Signs Tencent Cloud API 3.0 requests with TC3-HMAC-SHA256.
///
/// Signs `content-type` and `host` exactly as sent (values verbatim), over the exact body
/// bytes; the date in the credential scope is the UTC date of the timestamp.
public struct TC3Signer: Sendable {
    public static let algorithm = "TC3-HMAC-SHA256"

    /// The key pair that signs.
    public var credentials: TencentCloudCredentials
    /// The service name in the credential scope (`mps` for every MPS host).
    public var service: String

    public init(credentials: TencentCloudCredentials, service: String = "mps") {
        self.credentials = credentials
        self.service = service
    }

    /// What one request needs signed.
    public struct Request: Sendable {
        public var method: String
        public var host: String
        public var contentType: String
        public var payload: [UInt8]
        public var timestamp: Int64
        /// The query string after `?`, already encoded; empty for POST.
        public var query: String

        public init(
            method: String = "POST", host: String, contentType: String = "application/json",
            payload: [UInt8], timestamp: Int64, query: String = ""
        ) {
            self.method = method
            self.host = host
            self.contentType = contentType
            self.payload = payload
            self.timestamp = timestamp
            self.query = query
        }
    }

    /// The value of the `Authorization` header for `request`.
    public func authorization(for request: Request) -> String {
        let date = Self.utcDate(request.timestamp)
        return Self.algorithm + " Credential=\(credentials.secretId)/\(date)/\(service)/tc3_request, "
            + "SignedHeaders=\(Self.signedHeaders), Signature=\(signature(for: request))"
    }

    /// The lower-case hex signature for `request`.
    public func signature(for request: Request) -> String {
        let date = Self.utcDate(request.timestamp)
        let key = signingKey(date: date)
        return Hex.encode(HMACSHA256.authenticationCode(for: Array(stringToSign(for: request).utf8), key: key))
    }

    static let signedHeaders = "content-type;host"

    func canonicalRequest(for request: Request) -> String {
        [
            request.method,
            "/",
            request.query,
            "content-type:\(request.contentType)\nhost:\(request.host)\n",
            Self.signedHeaders,
            Hex.encode(SHA256.hash(request.payload)),
        ].joined(separator: "\n")
    }

    func stringToSign(for request: Request) -> String {
        let date = Self.utcDate(request.timestamp)
        return [
            Self.algorithm,
            String(request.timestamp),
            "\(date)/\(service)/tc3_request",
            Hex.encode(SHA256.hash(Array(canonicalRequest(for: request).utf8))),
        ].joined(separator: "\n")
    }

    func signingKey(date: String) -> [UInt8] {
        let secretDate = HMACSHA256.authenticationCode(for: Array(date.utf8), key: Array(("TC3" + credentials.secretKey).utf8))
        let secretService = HMACSHA256.authenticationCode(for: Array(service.utf8), key: secretDate)
        return HMACSHA256.authenticationCode(for: Array("tc3_request".utf8), key: secretService)
    }

    /// `YYYY-MM-DD` of a UNIX timestamp in UTC (not local time: calls near midnight depend on it).
    public static func utcDate(_ timestamp: Int64) -> String {
        var days = timestamp / 86_400
        if timestamp % 86_400 < 0 { days -= 1 }
        // Howard Hinnant's civil-from-days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }
}
