import CLibCrypto

/// Comparison whose running time does not depend on the contents being compared.
public enum ConstantTime {
    /// True when `a` and `b` hold the same bytes. Runs `CRYPTO_memcmp` over the whole input
    /// whatever the contents; only the lengths (public for MACs and digests) may affect timing,
    /// and different lengths are never equal.
    public static func equals(_ a: some Sequence<UInt8>, _ b: some Sequence<UInt8>) -> Bool {
        withContiguousBytes(a) { aPointer, aCount in
            withContiguousBytes(b) { bPointer, bCount in
                // On a length mismatch, still compare `a` with itself so the work done does not
                // depend on where the contents would have differed.
                let sameLength = aCount == bCount
                let other = sameLength ? bPointer : aPointer
                let differs = CRYPTO_memcmp(aPointer, other, aCount)
                return sameLength && differs == 0
            }
        }
    }
}
