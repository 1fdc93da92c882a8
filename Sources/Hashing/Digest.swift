import CLibCrypto

/// One-shot `EVP_Digest` with the given algorithm. Returns an empty array if libcrypto fails
/// (allocation failure, or the algorithm disabled, as MD5 is under a FIPS provider), so a failure
/// can never be mistaken for, or compare equal to, a real digest.
func evpDigest(
    _ data: some Sequence<UInt8>,
    algorithm: OpaquePointer?,
    length: Int
) -> [UInt8] {
    withContiguousBytes(data) { pointer, count in
        [UInt8](unsafeUninitializedCapacity: length) { output, initialized in
            var written: UInt32 = 0
            let ok = EVP_Digest(pointer, count, output.baseAddress, &written, algorithm, nil)
            initialized = ok == 1 && Int(written) == length ? length : 0
        }
    }
}
