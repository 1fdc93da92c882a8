public import Foundation

/// The JSON coders every MPS body goes through: one configuration, deterministic bytes.
///
/// `MPSJSON.encoder` and `MPSJSON.decoder` are factories: call them for a fresh, configured coder
/// (`MPSJSON.encoder()`), or use them directly (`MPSJSON.encoder.encode(value)`), which makes
/// one per call. No coder is shared between tasks.
public enum MPSJSON {
    /// Compact output with sorted keys and unescaped slashes (URLs and `OutputDir` read as in
    /// Tencent's examples); `nil` optionals are omitted, never `null`. Keys are sorted because
    /// `JSONEncoder` otherwise orders them by per-process hash seeding, so the same request would
    /// give different bytes (and payload hashes) from run to run.
    public static let encoder = EncoderFactory()

    /// Default decoding; every model ignores unknown keys.
    public static let decoder = DecoderFactory()

    /// Makes `JSONEncoder`s configured for MPS.
    public struct EncoderFactory: Sendable {
        /// A fresh encoder.
        public func callAsFunction() -> JSONEncoder {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return encoder
        }

        /// Encodes `value` with a fresh encoder.
        public func encode(_ value: some Encodable) throws -> Data {
            try self().encode(value)
        }
    }

    /// Makes `JSONDecoder`s configured for MPS.
    public struct DecoderFactory: Sendable {
        /// A fresh decoder.
        public func callAsFunction() -> JSONDecoder {
            JSONDecoder()
        }

        /// Decodes a `T` from `data` with a fresh decoder.
        public func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
            try self().decode(type, from: data)
        }
    }
}
