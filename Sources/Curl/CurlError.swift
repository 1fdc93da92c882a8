import CLibCurl
import Redacting

/// A request that produced no HTTP response. An HTTP status, even 500, is never a `CurlError`.
///
/// `delivery` says whether the request may have reached the server: only `.notSent`
/// failures may be retried blindly. `description`, `message` and `url` never contain a
/// URL's query string, fragment or userinfo, where callback tokens and credentials live.
public struct CurlError: Error, Sendable, CustomStringConvertible {
    /// Whether the server may have received (and acted on) the request.
    public enum Delivery: Sendable, Hashable, CustomStringConvertible {
        /// Nothing of the request reached the server: resending it is safe.
        case notSent
        /// The request may have reached the server: resend only an idempotent request.
        case maybeSent

        public var description: String {
            switch self {
            case .notSent: "notSent"
            case .maybeSent: "maybeSent"
            }
        }
    }

    /// What went wrong, coarsely; `curlCode` keeps libcurl's exact code.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case couldNotResolveHost
            case couldNotConnect
            case connectTimeout
            case timeout
            case tls
            case unsupportedProtocol
            case malformedURL
            case invalidRequest
            case responseTooLarge
            case connectionLost
            case cancelled
            case other
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// The host (or proxy) name did not resolve.
        public static let couldNotResolveHost = Code(.couldNotResolveHost)
        /// The TCP connection was refused or failed.
        public static let couldNotConnect = Code(.couldNotConnect)
        /// Timed out before the request was sent: resolving, connecting or in the TLS handshake.
        public static let connectTimeout = Code(.connectTimeout)
        /// Timed out after the request (or part of it) was sent.
        public static let timeout = Code(.timeout)
        /// The TLS handshake failed, or the peer's certificate was not trusted.
        public static let tls = Code(.tls)
        /// The URL's scheme is not `http` or `https` (also for a redirect target).
        public static let unsupportedProtocol = Code(.unsupportedProtocol)
        /// The URL could not be parsed.
        public static let malformedURL = Code(.malformedURL)
        /// The request was refused locally: a method, header or user agent that would corrupt the request.
        public static let invalidRequest = Code(.invalidRequest)
        /// The response exceeded `CurlConfiguration.maxResponseBytes` (or the header cap); the transfer was aborted.
        public static let responseTooLarge = Code(.responseTooLarge)
        /// The connection broke: reset, closed without a reply, or a short body.
        public static let connectionLost = Code(.connectionLost)
        /// The calling task was cancelled.
        public static let cancelled = Code(.cancelled)
        /// Anything else; see `curlCode` and `message`.
        public static let other = Code(.other)

        public var description: String { self.base.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// Whether the request may have reached the server.
    public var delivery: Delivery
    /// libcurl's `CURLcode`, or 0 when the failure did not come from libcurl.
    public var curlCode: Int32
    /// A human-readable reason (libcurl's error buffer when it has one), with URL secrets removed.
    public var message: String
    /// The request URL without query, fragment or userinfo.
    public var url: String

    /// Creates an error; `message` and `url` are redacted here, so no secret can be stored.
    public init(code: Code, delivery: Delivery, curlCode: Int32 = 0, message: String, url: String) {
        self.code = code
        self.delivery = delivery
        self.curlCode = curlCode
        self.message = Redaction.text(message)
        self.url = Redaction.url(url)
    }

    public var description: String {
        "CurlError(\(self.code), \(self.delivery), curl \(self.curlCode), \(self.url)): \(self.message)"
    }
}

/// What libcurl reported about a failed transfer, enough to classify it.
package struct TransferFacts: Sendable, Equatable {
    /// libcurl's `CURLcode` from `curl_easy_perform`.
    package var curlCode: Int32
    /// `CURLINFO_REQUEST_SIZE`: request bytes libcurl wrote to the socket, over all hops.
    package var requestBytesSent: Int
    /// `CURLINFO_PRETRANSFER_TIME_T`: microseconds until the connection (and TLS) was ready; 0 if never.
    package var pretransferMicroseconds: Int64
    /// `CURLINFO_REDIRECT_COUNT`: redirects followed, each of which sent a request.
    package var redirectCount: Int
    /// Our write or header callback aborted because a limit was exceeded.
    package var exceededLimit: Bool
    /// Our progress callback aborted because the calling task was cancelled.
    package var cancelled: Bool

    package init(
        curlCode: Int32,
        requestBytesSent: Int = 0,
        pretransferMicroseconds: Int64 = 0,
        redirectCount: Int = 0,
        exceededLimit: Bool = false,
        cancelled: Bool = false
    ) {
        self.curlCode = curlCode
        self.requestBytesSent = requestBytesSent
        self.pretransferMicroseconds = pretransferMicroseconds
        self.redirectCount = redirectCount
        self.exceededLimit = exceededLimit
        self.cancelled = cancelled
    }

    /// True only when libcurl provably sent nothing: no request byte written, the connection
    /// never became ready for the request, and no earlier redirect hop sent one.
    /// Either counter alone could be 0 on a very fast path, so both must be.
    package var provablyNothingSent: Bool {
        self.requestBytesSent == 0 && self.pretransferMicroseconds == 0 && self.redirectCount == 0
    }
}

extension CurlError {
    /// Maps a failed transfer to a code and a delivery.
    ///
    /// Failures that can only happen before the request is written (DNS, connect, TLS
    /// handshake, bad URL, refused protocol) and ambiguous ones (timeouts, resets, cancellation)
    /// are `.notSent` only if `TransferFacts.provablyNothingSent`: a refused redirect target, for
    /// example, comes after the first hop was sent. A too-large response and anything unknown
    /// are always `.maybeSent`.
    package static func classify(_ facts: TransferFacts) -> (code: Code, delivery: Delivery) {
        if facts.exceededLimit || facts.curlCode == raw(CURLE_FILESIZE_EXCEEDED) {
            return (.responseTooLarge, .maybeSent)
        }
        let code: Code
        switch facts.curlCode {
        case raw(CURLE_UNSUPPORTED_PROTOCOL):
            code = .unsupportedProtocol
        case raw(CURLE_URL_MALFORMAT):
            code = .malformedURL
        case raw(CURLE_COULDNT_RESOLVE_HOST), raw(CURLE_COULDNT_RESOLVE_PROXY):
            code = .couldNotResolveHost
        case raw(CURLE_COULDNT_CONNECT):
            code = .couldNotConnect
        case raw(CURLE_OPERATION_TIMEDOUT):
            code = facts.provablyNothingSent ? .connectTimeout : .timeout
        case raw(CURLE_SSL_CONNECT_ERROR), raw(CURLE_PEER_FAILED_VERIFICATION), raw(CURLE_SSL_CERTPROBLEM),
            raw(CURLE_SSL_CACERT_BADFILE), raw(CURLE_SSL_CIPHER), raw(CURLE_SSL_ISSUER_ERROR),
            raw(CURLE_SSL_CRL_BADFILE), raw(CURLE_SSL_PINNEDPUBKEYNOTMATCH), raw(CURLE_SSL_INVALIDCERTSTATUS),
            raw(CURLE_SSL_CLIENTCERT), raw(CURLE_SSL_ENGINE_NOTFOUND), raw(CURLE_SSL_ENGINE_SETFAILED),
            raw(CURLE_SSL_ENGINE_INITFAILED):
            code = .tls
        case raw(CURLE_GOT_NOTHING), raw(CURLE_SEND_ERROR), raw(CURLE_RECV_ERROR), raw(CURLE_PARTIAL_FILE),
            raw(CURLE_HTTP2), raw(CURLE_HTTP2_STREAM), raw(CURLE_HTTP3):
            code = .connectionLost
        case raw(CURLE_ABORTED_BY_CALLBACK) where facts.cancelled:
            code = .cancelled
        default:
            return (.other, .maybeSent)
        }
        return (code, facts.provablyNothingSent ? .notSent : .maybeSent)
    }

    static func raw(_ code: CURLcode) -> Int32 {
        Int32(bitPattern: code.rawValue)
    }
}
