import Hashing

/// What makes two deliveries of a notification the same notification: SHA-256 of the body with
/// the values of its top-level `Timestamp` and `Sign` left out (also inside a
/// `{"Response": …}` wrapper). A resend that MPS (or a proxy) signs again with a new expiry is a
/// duplicate; any other difference, down to a byte of whitespace, makes a distinct
/// notification. A body that is not well-formed JSON is hashed whole.
public enum NotificationFingerprint {
    public static func sha256(_ body: [UInt8]) -> [UInt8] {
        let ranges = body.withUnsafeBufferPointer { NotificationScanner.scan($0)?.signatureRanges }
        guard let ranges else { return SHA256.hash(body) }
        return sha256(body, leavingOut: ranges)
    }

    /// SHA-256 of `body` without the bytes in `ranges` (ascending, not overlapping).
    static func sha256(_ body: [UInt8], leavingOut ranges: [Range<Int>]) -> [UInt8] {
        if ranges.isEmpty { return SHA256.hash(body) }
        return SHA256.hash(blanked(body, leavingOut: ranges))
    }

    static func blanked(_ body: [UInt8], leavingOut ranges: [Range<Int>]) -> [UInt8] {
        var kept: [UInt8] = []
        kept.reserveCapacity(body.count)
        var start = 0
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            kept.append(contentsOf: body[start..<range.lowerBound])
            start = range.upperBound
        }
        kept.append(contentsOf: body[start...])
        return kept
    }

    /// `body` without its signature values, or nil when it is not a well-formed JSON object.
    static func blankingSignature(_ body: [UInt8]) -> [UInt8]? {
        guard let ranges = body.withUnsafeBufferPointer({ NotificationScanner.scan($0)?.signatureRanges }) else { return nil }
        return blanked(body, leavingOut: ranges)
    }
}
