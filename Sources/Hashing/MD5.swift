import CLibCrypto

/// MD5 (RFC 1321) through OpenSSL's EVP interface. Not collision resistant: use it only where a
/// protocol demands MD5 (checksums, legacy identifiers), never for security.
public enum MD5 {
    /// The number of bytes in an MD5 digest.
    public static let digestCount = 16

    /// The 16-byte MD5 digest of `data`. Returns an empty array, never a wrong digest, if
    /// libcrypto refuses (for example when a FIPS provider disables MD5).
    public static func hash(_ data: some Sequence<UInt8>) -> [UInt8] {
        evpDigest(data, algorithm: EVP_md5(), length: digestCount)
    }

    /// The 16-byte MD5 digest of the UTF-8 bytes of `string`.
    public static func hash(_ string: some StringProtocol) -> [UInt8] {
        hash(string.utf8)
    }
}
