import Correlation
import Foundation
import Hashing
public import MPS

/// The door's read path (IntakeController.receive without HTTP), with fixed keys, and the
/// properties it must keep on any input.
public enum Door {
    /// A fixed "now" for Sign/expiry checks, so a run is reproducible from its input alone.
    public static let now: Int64 = 1_790_000_000
    static let notifyKey = "fuzz-notify-key"
    static let skew: Int64 = 60
    static let lifetime = NotificationVerifier.defaultMaximumLifetime
    static let signed = NotificationVerifier(notifyKey: notifyKey, allowedSkew: skew)
    static let unsigned = NotificationVerifier(notifyKey: nil)
    static let staticToken = String(repeating: "s", count: 40)
    static let tokens: CallbackTokens = {
        guard let current = CallbackTokens.KeyId("fuzz"), let previous = CallbackTokens.KeyId("old"),
              let made = try? CallbackTokens(
                  keys: [current: Array(repeating: 7, count: 32), previous: Array(repeating: 9, count: 32)],
                  current: current, staticTokens: [staticToken]
              )
        else { violated("the fuzzer's own callback keys are valid") }
        return made
    }()
    /// Another step's correlation: its token must never open the door for the input's step.
    static let otherCorrelation = CorrelationId(UUID(uuid: (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16)))

    /// What the door reads from `body`, or nil where it answers 400 (not UTF-8, or refused by
    /// `NotificationVerifier.read`). Checks, on the way, every property of the read path:
    /// `read` and `parse` agree, the fingerprint is the one `NotificationFingerprint` computes,
    /// the token check accepts exactly the step's own token (or a static one), and `check`
    /// decides Sign and expiry as documented (no trap on any Timestamp, which one near Int64.max used to cause).
    @discardableResult
    public static func read(_ body: [UInt8]) -> NotificationEnvelope? {
        let parsed = NotificationVerifier.parse(body)
        let envelope: NotificationEnvelope
        switch NotificationVerifier.read(body) {
        case .failure(let rejection):
            guard case .failure(let again) = parsed, again == rejection else {
                violated("read and parse refuse the same bodies for the same reason", "read: \(rejection), parse: \(parsed)")
            }
            return nil
        case .success(let read):
            guard case .success(let again) = parsed, again == read.envelope else {
                violated("read and parse give the same envelope", "read: \(read.envelope), parse: \(parsed)")
            }
            guard read.fingerprint == NotificationFingerprint.sha256(body) else {
                violated("read's fingerprint is NotificationFingerprint.sha256(body)")
            }
            envelope = read.envelope
        }
        guard !envelope.eventType.isEmpty else { violated("an accepted envelope has an EventType") }
        checkTokens(for: envelope)
        checkSignature(envelope)
        // The door stores the body as text: it refuses what is not UTF-8 before reading it.
        guard String(validating: body, as: UTF8.self) != nil else { return nil }
        return envelope
    }

    /// Fuzzes the token check itself with `presented` (any text) as the URL's token: for one of
    /// our SessionContexts only that step's tokens (current or still-configured key) verify; for
    /// any other SessionContext only a static token does.
    public static func checkToken(_ presented: String, sessionContext: String) {
        let correlation = CorrelationId(sessionContext: sessionContext)
        let accepted = tokens.verify(presented, for: correlation)
        let expected = correlation.map { presented == tokens.token(for: $0) || presented == oldKeyToken(for: $0) }
            ?? (presented == staticToken)
        guard accepted == expected else {
            violated("the token check accepts exactly the step's tokens, or a static one for a foreign SessionContext", "accepted: \(accepted)")
        }
    }

    /// The token the second (rotated-out) key gives; it must still verify.
    static func oldKeyToken(for correlation: CorrelationId) -> String {
        "old." + Base64URL.encode(HMACSHA256.authenticationCode(for: correlation.bytes, key: Array(repeating: 9, count: 32)))
    }

    static func checkTokens(for envelope: NotificationEnvelope) {
        let correlation = CorrelationId(sessionContext: envelope.sessionContext)
        guard let correlation else {
            guard tokens.verify(staticToken, for: nil) else { violated("a static token opens the door for a SessionContext that is not ours") }
            guard !tokens.verify(tokens.token(for: otherCorrelation), for: nil) else {
                violated("no step token opens the door for a SessionContext that is not ours")
            }
            return
        }
        guard !tokens.verify(staticToken, for: correlation) else { violated("a static token moves no mpshook step") }
        guard correlation.sessionContext == envelope.sessionContext else {
            violated("a SessionContext read as ours is written back the same", envelope.sessionContext)
        }
        let own = tokens.token(for: correlation)
        guard tokens.verify(own, for: correlation) else { violated("a step's own token opens the door") }
        guard tokens.verify(oldKeyToken(for: correlation), for: correlation) else { violated("a token of a still-configured key opens the door") }
        guard !tokens.verify(tokens.token(for: otherCorrelation), for: correlation) || correlation == otherCorrelation else {
            violated("another step's token does not open the door")
        }
        var tampered = Array(own.utf8)
        tampered[tampered.count - 1] ^= 0x01
        guard !tokens.verify(String(decoding: tampered, as: UTF8.self), for: correlation) else {
            violated("a token with one bit changed does not open the door")
        }
    }

    static func checkSignature(_ envelope: NotificationEnvelope) {
        guard case .success(let open) = unsigned.check(envelope, now: now), open == envelope else {
            violated("without a NotifyKey, check accepts every envelope read")
        }
        // As sent: the body's own Sign (which the fuzzer rarely gets right).
        let asSent = signed.check(envelope, now: now)
        guard let timestamp = envelope.timestamp, let sign = envelope.sign else {
            guard case .failure(.unsigned) = asSent else { violated("an envelope without Sign or Timestamp is refused as unsigned", "\(asSent)") }
            return
        }
        let correct = NotificationVerifier.sign(timestamp: timestamp, notifyKey: notifyKey)
        // Signed with the key, as MPS would sign it: then only the expiry decides.
        var resigned = envelope
        resigned.sign = sign.count % 2 == 0 ? correct : correct.uppercased()
        // now − skew ≤ Timestamp ≤ now + lifetime; `now` is far from both ends of Int64.
        let expired = timestamp < now - skew
        let tooFarAhead = timestamp > now + lifetime
        switch signed.check(resigned, now: now) {
        case .success(let accepted):
            guard !expired, !tooFarAhead, accepted == resigned else {
                violated("a correctly signed notification is accepted only inside its window", "Timestamp \(timestamp)")
            }
        case .failure(.expired):
            guard expired else { violated("only a Timestamp before now − skew is refused as expired", "Timestamp \(timestamp)") }
        case .failure(.timestampTooFarAhead):
            guard tooFarAhead else { violated("only a Timestamp after now + lifetime is refused as too far ahead", "Timestamp \(timestamp)") }
        case .failure(let other):
            violated("a correctly signed notification is refused only for its Timestamp", "\(other)")
        }
        if sign.lowercased() != correct {
            guard case .failure(.badSignature) = asSent else { violated("a wrong Sign is refused", "\(asSent)") }
        }
    }
}
