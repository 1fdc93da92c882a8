public import Foundation

/// Our own random 128-bit id for one step, committed before the step is sent, and carried in
/// `SessionContext` as `mh1:<32 lower-case hex digits>` so every callback finds its step.
public struct CorrelationId: Sendable, Hashable, CustomStringConvertible {
    /// The version prefix of the SessionContext form.
    public static let prefix = "mh1:"

    public let uuid: UUID

    public init(_ uuid: UUID = UUID()) {
        self.uuid = uuid
    }

    /// The `SessionContext` value to send (36 characters, far below MPS's 1000).
    public var sessionContext: String {
        Self.prefix + hex
    }

    /// Reads a `SessionContext` written by ``sessionContext``. Anything else (another format,
    /// upper case, extra characters) is not ours and gives nil.
    public init?(sessionContext: String) {
        let utf8 = Array(sessionContext.utf8)
        guard utf8.count == Self.prefix.utf8.count + 32, sessionContext.hasPrefix(Self.prefix) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        var index = Self.prefix.utf8.count
        while index < utf8.count {
            guard let high = Self.nibble(utf8[index]), let low = Self.nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        uuid = UUID(uuid: (
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
            bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
        ))
    }

    /// The 16 raw bytes (what callback tokens are computed over).
    public var bytes: [UInt8] {
        withUnsafeBytes(of: uuid.uuid) { Array($0) }
    }

    public var description: String { sessionContext }

    private var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(32)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
