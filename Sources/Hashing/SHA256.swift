import CLibCrypto

/// SHA-256 (FIPS 180-4) through OpenSSL libcrypto.
public enum SHA256 {
    /// The number of bytes in a SHA-256 digest.
    public static let digestCount = 32

    /// The 32-byte SHA-256 digest of `data`. Never returns a wrong digest: in the practically
    /// impossible case that libcrypto fails, the result is empty.
    public static func hash(_ data: some Sequence<UInt8>) -> [UInt8] {
        evpDigest(data, algorithm: EVP_sha256(), length: digestCount)
    }

    /// The 32-byte SHA-256 digest of the UTF-8 bytes of `string`.
    public static func hash(_ string: some StringProtocol) -> [UInt8] {
        hash(string.utf8)
    }
}
