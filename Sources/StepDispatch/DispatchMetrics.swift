import Metrics
import MPS
import Synchronization

/// Metrics of the calls the dispatcher and the reconciler make to MPS: every call by action,
/// error code and class (`success` with code `none` when it worked), its latency by action, and
/// the time spent waiting for a call slot of the shared rate limit, by action.
///
/// Error codes are a label, so they are bounded: a code MPS documents (``MPSError/classifiedCodes``
/// and the service codes below), one of ours (`ClientValidation`, `ClientNetworkError.<curl
/// reason>`, `ServerNetworkError`, `InvalidResponse`, `UnknownError`), or else `other`.
public enum DispatchMetrics {
    /// The actions mpshook calls.
    static let actions = ["BatchProcessMedia", "DescribeBatchTaskDetail"]

    /// MPS service codes its reference lists for these two actions, beyond the classified ones.
    static let serviceCodes: Set<String> = [
        "AuthFailure.SignatureFailure", "AuthFailure.SecretIdNotFound", "AuthFailure.InvalidSecretId",
        "AuthFailure.InvalidAuthorization", "AuthFailure.TokenFailure", "AuthFailure.UnauthorizedOperation", "AuthFailure.MFAFailure",
        "RequestLimitExceeded.UinLimitExceeded", "RequestLimitExceeded.GlobalRegionUinLimitExceeded",
        "RequestLimitExceeded.IPLimitExceeded", "ResourceNotFound.UserUnregister", "InvalidParameter.InputInfo",
        "InvalidParameterValue.InputInfo", "InvalidParameter.InvalidUrl", "InvalidParameter.Url", "InvalidParameter.Output",
        "InvalidParameterValue.Definition", "ResourceNotFound.TemplateNotExist", "InvalidParameterValue.SubtitleType",
        "InvalidParameterValue.VideoSrcLanguage", "InvalidParameterValue.SubtitleFormat", "InvalidParameterValue.TranslateSwitch",
        "InvalidParameterValue.TranslateDstLanguage", "InvalidParameterValue.SubtitleEmbedId",
        "ResourceNotFound.CosBucketNameInvalid", "ResourceNotFound.CosBucketNotExist", "ResourceNotFound.DownloadError",
        "InvalidParameterValue.TaskId", "ResourceNotFound.TaskNotFound",
    ]

    /// Codes mpshook itself gives a failed call.
    static let ownCodes: Set<String> = ["ClientValidation", "ServerNetworkError", "InvalidResponse", "UnknownError"]

    /// Every code label but `ClientNetworkError.*`, whose reasons come from ``CurlError/Code``.
    static let knownCodes = MPSError.classifiedCodes.union(serviceCodes).union(ownCodes)

    /// The `code` label for `code`: itself when known, else `other`.
    static func label(code: String) -> String {
        if knownCodes.contains(code) { return code }
        let reason = code.utf8.dropFirst(19)
        if code.hasPrefix("ClientNetworkError."), !reason.isEmpty, reason.count <= 29,
            reason.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || $0 == 0x5F })
        {
            // Curl's reasons: a short fixed list of words (`ClientNetworkError.timeout`).
            return code
        }
        return "other"
    }

    private struct CallKey: Hashable {
        var action: String
        var code: String
        var errorClass: String
    }

    /// Calls by (action, code, class), made on first use: at most a few dozen, and calls are
    /// rate-limited to a few dozen a second, so the lock here is never contended.
    private static let calls = Mutex<[CallKey: Counter]>([:])
    private static let durations: [String: Metrics.Timer] = Dictionary(uniqueKeysWithValues: actions.map { action in
        (action, Metrics.Timer(label: "mpshook_mps_call_duration_seconds", dimensions: [("action", action)], preferredDisplayUnit: .seconds))
    })
    private static let permitWaits: [String: Metrics.Timer] = Dictionary(uniqueKeysWithValues: actions.map { action in
        (action, Metrics.Timer(label: "mpshook_mps_rate_limit_wait_seconds", dimensions: [("action", action)], preferredDisplayUnit: .seconds))
    })

    /// From a few milliseconds (the emulator, a slot free at once) to the longest call timeout.
    public static let durationBuckets: [String: [Duration]] = {
        let buckets: [Duration] = [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        ]
        return ["mpshook_mps_call_duration_seconds": buckets, "mpshook_mps_rate_limit_wait_seconds": buckets]
    }()

    /// Makes every series now, so each is scraped (at zero) before its first event: the
    /// histograms, and each action's successful calls.
    public static func prepare() {
        _ = (durations, permitWaits)
        for action in actions { _ = counter(action: action, code: "none", errorClass: "success") }
    }

    /// One call of `action` that took `elapsed`; `error` nil when it worked.
    static func call(_ action: String, error: MPSError?, elapsed: Duration) {
        counter(action: action, code: error.map { label(code: $0.code) } ?? "none", errorClass: error?.errorClass.rawValue ?? "success")
            .increment()
        durations[action]?.recordNanoseconds(Int64(elapsed / .nanoseconds(1)))
    }

    /// Time spent in the rate limiter before a call of `action` (or before giving up on one).
    static func waitedForPermit(_ action: String, _ elapsed: Duration) {
        permitWaits[action]?.recordNanoseconds(Int64(elapsed / .nanoseconds(1)))
    }

    private static func counter(action: String, code: String, errorClass: String) -> Counter {
        calls.withLock { table in
            let key = CallKey(action: action, code: code, errorClass: errorClass)
            if let counter = table[key] { return counter }
            let counter = Counter(
                label: "mpshook_mps_calls_total", dimensions: [("action", action), ("code", code), ("class", errorClass)]
            )
            table[key] = counter
            return counter
        }
    }
}
