import Foundation
import Hashing

/// The fields of an MPS notification that the intake needs before storing it, read without
/// decoding the whole body (a 3 KB callback decodes in a fraction of the full model's time).
public struct NotificationEnvelope: Sendable, Hashable {
    /// `BatchTask` for BatchProcessMedia; others are stored but not applied.
    public var eventType: String
    /// Our correlation value, echoed by MPS.
    public var sessionContext: String
    /// The notification's expiry, UNIX seconds.
    public var timestamp: Int64?
    /// `MD5(Timestamp + NotifyKey)`, lower-case hex.
    public var sign: String?
}

/// Why a notification was refused. `description` names the reason, never the key or the sign.
public enum NotificationRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// The body is not JSON, or not a JSON object.
    case notJSON
    /// A required field is missing or has the wrong type.
    case missingField(String)
    /// A string holds `\u0000`: well-formed JSON, but no text store takes a NUL (and MPS sends none).
    case nulCharacter
    /// The body can be read more than one way: an envelope key (`EventType`, `SessionContext`,
    /// `Timestamp`, `Sign`, `BatchTaskEvent`, `Response`) written with escapes or given twice,
    /// or a `Response` wrapper beside top-level envelope members, or a `Response` that is not
    /// an object. MPS sends none of these.
    case ambiguous
    /// A `NotifyKey` is configured but the notification carries no `Sign`/`Timestamp`.
    case unsigned
    /// `Sign` does not equal `MD5(Timestamp + NotifyKey)`.
    case badSignature
    /// `Timestamp` (the expiry) plus the allowed skew is in the past.
    case expired(timestamp: Int64, now: Int64)
    /// `Timestamp` lies further ahead than any notification MPS signs (a forged or broken expiry
    /// that would otherwise never expire).
    case timestampTooFarAhead(timestamp: Int64, now: Int64)

    /// Every ``reason``, for counters made up front.
    public static let reasons = [
        "not_json", "missing_field", "nul_character", "ambiguous", "unsigned", "bad_signature", "expired", "timestamp_too_far_ahead",
    ]

    /// A short, stable label for metrics (`reason="bad_signature"`), one of ``reasons``.
    public var reason: String {
        switch self {
        case .notJSON: "not_json"
        case .missingField: "missing_field"
        case .nulCharacter: "nul_character"
        case .ambiguous: "ambiguous"
        case .unsigned: "unsigned"
        case .badSignature: "bad_signature"
        case .expired: "expired"
        case .timestampTooFarAhead: "timestamp_too_far_ahead"
        }
    }

    public var description: String {
        switch self {
        case .notJSON: "the body is not a JSON object"
        case .missingField(let field): "the notification has no valid \(field)"
        case .nulCharacter: "the body holds a NUL character (\\u0000), which cannot be stored"
        case .ambiguous:
            "the body can be read more than one way (an envelope key escaped or repeated, or a Response wrapper beside top-level envelope fields or not an object)"
        case .unsigned: "the notification carries no Sign and Timestamp but a NotifyKey is configured"
        case .badSignature: "Sign does not match MD5(Timestamp + NotifyKey)"
        case .expired(let timestamp, let now): "the notification expired at \(timestamp) (now \(now))"
        case .timestampTooFarAhead(let timestamp, let now): "the notification's expiry \(timestamp) is too far ahead (now \(now))"
        }
    }
}

/// Checks MPS notifications: parses the envelope (also inside a `{"Response": …}` wrapper) and,
/// when a `NotifyKey` is configured, verifies `Sign == MD5(Timestamp + NotifyKey)` in constant
/// time and that `now − skew ≤ Timestamp ≤ now + maximumLifetime`.
public struct NotificationVerifier: Sendable {
    /// MPS signs a notification with an expiry 600 s ahead; a day more covers any clock skew.
    public static let defaultMaximumLifetime: Int64 = 600 + 86_400

    /// The `NotifyKey` sent with each task; nil skips the Sign and expiry checks.
    public var notifyKey: String?
    /// How far past its `Timestamp` a notification is still accepted (clock skew, delays).
    public var allowedSkew: Int64
    /// How far ahead of now a `Timestamp` may lie.
    public var maximumLifetime: Int64

    public init(notifyKey: String?, allowedSkew: Int64 = 60, maximumLifetime: Int64 = defaultMaximumLifetime) {
        self.notifyKey = notifyKey.flatMap { $0.isEmpty ? nil : $0 }
        self.allowedSkew = max(0, allowedSkew)
        self.maximumLifetime = max(0, maximumLifetime)
    }

    /// Parses and checks `body` at time `now` (UNIX seconds).
    public func verify(_ body: some Sequence<UInt8>, now: Int64) -> Result<NotificationEnvelope, NotificationRejection> {
        switch Self.parse(body) {
        case .success(let envelope): return check(envelope, now: now)
        case .failure(let rejection): return .failure(rejection)
        }
    }

    /// Checks an envelope already read with ``parse(_:)``: `Sign` and expiry when a key is set.
    /// No `Timestamp`, clock or setting can make it trap.
    public func check(_ envelope: NotificationEnvelope, now: Int64) -> Result<NotificationEnvelope, NotificationRejection> {
        guard let notifyKey else { return .success(envelope) }
        guard let timestamp = envelope.timestamp, let sign = envelope.sign else { return .failure(.unsigned) }
        let expected = Self.sign(timestamp: timestamp, notifyKey: notifyKey)
        guard ConstantTime.equals(Array(expected.utf8), Array(sign.lowercased().utf8)) else {
            return .failure(.badSignature)
        }
        // Seconds until the expiry, without overflow: `Timestamp` is whatever an Int64 holds
        // (`Int64.max + skew` used to end the process). When the difference overflows, the two
        // are further apart than any window, and their order says which side.
        let (remaining, overflow) = timestamp.subtractingReportingOverflow(now)
        if overflow ? timestamp > now : remaining > max(0, maximumLifetime) {
            return .failure(.timestampTooFarAhead(timestamp: timestamp, now: now))
        }
        if overflow ? timestamp < now : remaining < -max(0, allowedSkew) {
            return .failure(.expired(timestamp: timestamp, now: now))
        }
        return .success(envelope)
    }

    /// `MD5(decimal(timestamp) + notifyKey)` as lower-case hex, as MPS computes it.
    public static func sign(timestamp: Int64, notifyKey: String) -> String {
        Hex.encode(MD5.hash(Array((String(timestamp) + notifyKey).utf8)))
    }

    /// Reads the envelope fields. `EventType` and `SessionContext` are required strings;
    /// `Timestamp` (a number, or digits in a string) and `Sign` are optional here. The body must
    /// be one well-formed JSON object with no `\u0000` in it, readable only one way.
    public static func parse(_ body: some Sequence<UInt8>) -> Result<NotificationEnvelope, NotificationRejection> {
        Array(body).withUnsafeBufferPointer { bytes in reading(bytes).map(\.envelope) }
    }

    /// ``parse(_:)`` and the body's ``NotificationFingerprint`` from one pass over the bytes.
    public static func read(_ body: [UInt8]) -> Result<(envelope: NotificationEnvelope, fingerprint: [UInt8]), NotificationRejection> {
        body.withUnsafeBufferPointer { bytes in
            reading(bytes).map { ($0.envelope, NotificationFingerprint.sha256(body, leavingOut: $0.signatureRanges)) }
        }
    }

    /// What one reading of a body yields: the envelope, where its signature values lie, and
    /// where the `BatchTaskEvent` of the same object lies.
    struct Reading {
        var envelope: NotificationEnvelope
        var signatureRanges: [Range<Int>]
        /// The `BatchTaskEvent` value's bytes, when the envelope's object has one.
        var event: Range<Int>?
    }

    /// The one reading of a notification, shared by the door (``read(_:)``) and the applier
    /// (``NotificationReport/decode(_:)``), so the applier applies exactly what the door checked.
    static func reading(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<Reading, NotificationRejection> {
        guard let scanned = NotificationScanner.scan(bytes) else { return .failure(.notJSON) }
        guard !scanned.hasNULEscape else { return .failure(.nulCharacter) }
        guard !scanned.isAmbiguous else { return .failure(.ambiguous) }
        let fields = scanned.envelope
        guard let eventType = NotificationScanner.string(fields.eventType, in: bytes), !eventType.isEmpty else {
            return .failure(.missingField("EventType"))
        }
        guard let sessionContext = NotificationScanner.string(fields.sessionContext, in: bytes) else {
            return .failure(.missingField("SessionContext"))
        }
        var timestamp: Int64?
        if let member = fields.timestamp, member.kind != .null {
            let text = member.kind == .number
                ? String(decoding: UnsafeBufferPointer(rebasing: bytes[member.range]), as: UTF8.self)
                : NotificationScanner.string(member, in: bytes)
            // `Int64(_:)` refuses what does not fit rather than trapping.
            guard let text, let value = Int64(text) else { return .failure(.missingField("Timestamp")) }
            timestamp = value
        }
        let envelope = NotificationEnvelope(
            eventType: eventType, sessionContext: sessionContext, timestamp: timestamp,
            sign: NotificationScanner.string(fields.sign, in: bytes)
        )
        return .success(Reading(envelope: envelope, signatureRanges: scanned.signatureRanges, event: fields.event?.range))
    }
}
