import CLibCrypto

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Cryptographically secure random bytes, suitable for keys, tokens and nonces.
public enum SecureRandom {
    /// `count` bytes from OpenSSL's CSPRNG (`RAND_bytes`), falling back to `/dev/urandom`.
    /// Never returns weak or partial output: if both sources fail it waits and retries until one
    /// succeeds. A count of zero or less gives an empty array.
    public static func bytes(count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            while !fillFromOpenSSL(buffer) && !fillFromURandom(buffer) {
                // Both sources failing at once means a transient condition (allocation failure,
                // no free file descriptors); returning anything would be worse than waiting.
                usleep(1_000)
            }
            initialized = count
        }
    }

    private static func fillFromOpenSSL(_ buffer: UnsafeMutableBufferPointer<UInt8>) -> Bool {
        guard var pointer = buffer.baseAddress else { return true }
        var remaining = buffer.count
        while remaining > 0 {
            let chunk = min(remaining, Int(Int32.max))
            guard RAND_bytes(pointer, Int32(chunk)) == 1 else { return false }
            pointer += chunk
            remaining -= chunk
        }
        return true
    }

    private static func fillFromURandom(_ buffer: UnsafeMutableBufferPointer<UInt8>) -> Bool {
        guard var pointer = buffer.baseAddress else { return true }
        let descriptor = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var remaining = buffer.count
        while remaining > 0 {
            let result = read(descriptor, pointer, remaining)
            if result > 0 {
                pointer += result
                remaining -= result
            } else if result < 0 && errno == EINTR {
                continue
            } else {
                return false
            }
        }
        return true
    }
}
