/// How the emulator behaves: its keys, how long tasks take, how many outputs fail, its rate
/// limit, how it delivers callbacks, and the faults it injects.
public struct EmulatorConfiguration: Sendable {
    /// SecretId → SecretKey pairs it accepts.
    public var keys: [String: String]
    /// From acceptance to the final result of a task.
    public var processingTime: Duration
    /// Share (0…1) of outputs that fail with `SourceFileError`. Markers in an input's URL decide
    /// instead, so tests can choose exactly (the first that matches wins):
    /// - `fail-unless-auto`: fails unless the request's `VideoSrcLanguage` is `auto`;
    /// - `flaky`: fails the first time this emulator process runs that URL (`reset()` does not
    ///   forget it), succeeds every later time;
    /// - `fail`: always fails.
    ///
    /// With `VideoSrcLanguage` `auto`, the language "detected" is the one a `lang=xx` or
    /// `lang-xx` marker in the URL names, else `en`.
    public var failureShare: Double
    /// `BatchProcessMedia` calls allowed in any one-second window (MPS: 20).
    public var rateLimit: Int
    /// How long one callback delivery may take before it counts as failed.
    public var callbackTimeout: Duration
    /// Extra deliveries after a failed one (non-2xx or no answer), each after `callbackRetryDelay`.
    public var callbackRetries: Int
    public var callbackRetryDelay: Duration
    /// How long a notification stays valid: its `Timestamp` is send time + this (MPS: 600 s).
    public var notificationLifetime: Int64
    /// Seeds the generator behind `failureShare` and the fault shares, for repeatable runs.
    public var seed: UInt64
    /// Faults in force at start; the control endpoint can change them.
    public var faults: EmulatorFaults
    /// Deliver callbacks only to loopback hosts (127.0.0.0/8, `localhost`, `::1`). On by default:
    /// an emulator must never send traffic elsewhere; others are recorded as `refused`.
    public var loopbackCallbacksOnly: Bool

    /// The key pair the emulator accepts by default (tests and local runs). Deliberately not
    /// shaped like a Tencent Cloud key (no `AKID` prefix), so nobody takes it for one.
    public static let defaultSecretId = "mpshook-emulator-example-id"
    public static let defaultSecretKey = "mpshook-emulator-example-key-not-secret"

    public init(
        keys: [String: String] = [defaultSecretId: defaultSecretKey],
        processingTime: Duration = .seconds(2),
        failureShare: Double = 0,
        rateLimit: Int = 20,
        callbackTimeout: Duration = .seconds(5),
        callbackRetries: Int = 3,
        callbackRetryDelay: Duration = .seconds(1),
        notificationLifetime: Int64 = 600,
        seed: UInt64 = 0x6D70_7368_6F6F_6B,
        faults: EmulatorFaults = EmulatorFaults(),
        loopbackCallbacksOnly: Bool = true
    ) {
        self.keys = keys
        self.processingTime = processingTime
        self.failureShare = min(1, max(0, failureShare))
        self.rateLimit = max(1, rateLimit)
        self.callbackTimeout = callbackTimeout
        self.callbackRetries = max(0, callbackRetries)
        self.callbackRetryDelay = callbackRetryDelay
        self.notificationLifetime = notificationLifetime
        self.seed = seed
        self.faults = faults
        self.loopbackCallbacksOnly = loopbackCallbacksOnly
    }
}

/// Faults on demand. Shares are probabilities per callback; counts apply to the next N
/// `BatchProcessMedia` calls and go down as they are used.
/// As JSON (`PUT /_emulator/faults`), a member left out is off (0 or false), so a request
/// names only the faults it wants.
public struct EmulatorFaults: Sendable, Codable, Equatable {
    /// Share of callbacks never sent.
    public var dropShare: Double
    /// Share of callbacks sent twice; the copy goes 1.1 s later, signed again (a new Timestamp).
    public var duplicateShare: Double
    /// Added to every callback's send time, in milliseconds.
    public var callbackDelayMilliseconds: Int
    /// Send a task's `Change`-mode notifications newest first.
    public var reorder: Bool
    /// The next N calls create their task, then answer `InternalError`.
    public var internalErrorAfterCreate: Int
    /// The next N calls create their task, then never answer (the caller times out).
    public var hangAfterCreate: Int
    /// Keep every callback that falls due until this is switched off; then they go out, so a
    /// test can deliver a task's callback late, after what it wants to see first.
    public var holdCallbacks: Bool
    /// The next N calls answer HTTP 502 with a proxy's HTML page and create no task, as a
    /// gateway in front of MPS does when it cannot reach it (the caller cannot tell: unclear).
    public var badGateway: Int

    public init(
        dropShare: Double = 0, duplicateShare: Double = 0, callbackDelayMilliseconds: Int = 0, reorder: Bool = false,
        internalErrorAfterCreate: Int = 0, hangAfterCreate: Int = 0, holdCallbacks: Bool = false,
        badGateway: Int = 0
    ) {
        self.dropShare = dropShare
        self.duplicateShare = duplicateShare
        self.callbackDelayMilliseconds = callbackDelayMilliseconds
        self.reorder = reorder
        self.internalErrorAfterCreate = internalErrorAfterCreate
        self.hangAfterCreate = hangAfterCreate
        self.holdCallbacks = holdCallbacks
        self.badGateway = badGateway
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            dropShare: try container.decodeIfPresent(Double.self, forKey: .dropShare) ?? 0,
            duplicateShare: try container.decodeIfPresent(Double.self, forKey: .duplicateShare) ?? 0,
            callbackDelayMilliseconds: try container.decodeIfPresent(Int.self, forKey: .callbackDelayMilliseconds) ?? 0,
            reorder: try container.decodeIfPresent(Bool.self, forKey: .reorder) ?? false,
            internalErrorAfterCreate: try container.decodeIfPresent(Int.self, forKey: .internalErrorAfterCreate) ?? 0,
            hangAfterCreate: try container.decodeIfPresent(Int.self, forKey: .hangAfterCreate) ?? 0,
            holdCallbacks: try container.decodeIfPresent(Bool.self, forKey: .holdCallbacks) ?? false,
            badGateway: try container.decodeIfPresent(Int.self, forKey: .badGateway) ?? 0
        )
    }
}

/// One API call the emulator received, as tests count them.
public struct RecordedCall: Sendable, Codable, Equatable {
    public var action: String
    public var requestId: String
    /// The error code answered, or nil for success.
    public var errorCode: String?
    /// The task created, if any (also for `InternalError`-after-create and hangs).
    public var taskId: String?
    public var sessionContext: String?
    /// UNIX seconds with fractions.
    public var receivedAt: Double
}

/// One callback delivery attempt (or a decision not to send one).
public struct RecordedCallback: Sendable, Codable, Equatable {
    public var taskId: String
    public var sessionContext: String
    /// The `NotifyUrl` with its query string replaced by `?<redacted>`.
    public var url: String
    /// The output statuses the notification carried, in input order.
    public var statuses: [String]
    /// `sent`, `dropped`, `duplicate`, `failed`, or `refused` (not a loopback host).
    public var outcome: String
    /// 1 for the first delivery, 2+ for retries.
    public var attempt: Int
    /// The receiver's answer, when there was one.
    public var httpStatus: Int?
    /// The notification's `Timestamp` (expiry) and `Sign`.
    public var timestamp: Int64
    public var sign: String
    /// When the POST started, or when the emulator decided not to send (UNIX seconds with fractions).
    public var sentAt: Double
    /// When the receiver's HTTP answer arrived, whatever its status (UNIX seconds with
    /// fractions); nil when none did (dropped, refused, no answer in time). From the 200 of a
    /// completing callback to the next call's `receivedAt` is a chained workflow's latency.
    public var answeredAt: Double?
}
