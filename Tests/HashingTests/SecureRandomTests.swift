import Hashing
import Testing

@Suite struct SecureRandomTests {
    @Test(arguments: [1, 16, 32, 1000, 1 << 20])
    func returnsRequestedLength(_ count: Int) {
        #expect(SecureRandom.bytes(count: count).count == count)
    }

    @Test func zeroOrNegativeCountGivesEmpty() {
        #expect(SecureRandom.bytes(count: 0).isEmpty)
        #expect(SecureRandom.bytes(count: -1).isEmpty)
    }

    @Test func drawsDiffer() {
        // A collision of two 256-bit draws has probability 2^-256.
        let first = SecureRandom.bytes(count: 32)
        let second = SecureRandom.bytes(count: 32)
        #expect(first != second)
        #expect(first != [UInt8](repeating: 0, count: 32))
    }

    @Test func largeDrawIsNotConstant() {
        // 1 MiB of CSPRNG output uses every byte value; a stuck or zero-filled buffer does not.
        let bytes = SecureRandom.bytes(count: 1 << 20)
        #expect(Set(bytes).count == 256)
    }
}
