import CLibCrypto

/// HMAC-SHA-256 (RFC 2104, RFC 4231) through OpenSSL libcrypto.
public enum HMACSHA256 {
    /// The number of bytes in an HMAC-SHA-256 authentication code.
    public static let codeCount = 32

    /// The 32-byte HMAC-SHA-256 of `message` under `key` (keys of any length, including empty).
    /// Compare codes with `ConstantTime.equals`. If libcrypto fails (practically never) the result
    /// is empty, which never equals a real code.
    public static func authenticationCode(
        for message: some Sequence<UInt8>,
        key: some Sequence<UInt8>
    ) -> [UInt8] {
        withContiguousBytes(key) { keyPointer, keyCount in
            // HMAC takes the key length as an `int`. A longer key is first replaced by its
            // SHA-256 digest, exactly as RFC 2104 prescribes, so the result is unchanged.
            guard let keyLength = Int32(exactly: keyCount) else {
                let hashedKey = SHA256.hash(UnsafeBufferPointer(start: keyPointer, count: keyCount))
                return authenticationCode(for: message, key: hashedKey)
            }
            return withContiguousBytes(message) { messagePointer, messageCount in
                [UInt8](unsafeUninitializedCapacity: codeCount) { output, initialized in
                    var written: UInt32 = 0
                    let result = HMAC(
                        EVP_sha256(), keyPointer, keyLength,
                        messagePointer, messageCount,
                        output.baseAddress, &written
                    )
                    initialized = result != nil && Int(written) == codeCount ? codeCount : 0
                }
            }
        }
    }
}
