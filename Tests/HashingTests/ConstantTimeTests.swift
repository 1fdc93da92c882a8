import Hashing
import Testing

@Suite struct ConstantTimeTests {
    @Test func equalBytes() {
        #expect(ConstantTime.equals([1, 2, 3, 4] as [UInt8], [1, 2, 3, 4] as [UInt8]))
        #expect(ConstantTime.equals("secret".utf8, Array("secret".utf8)))
    }

    @Test func differInLastByte() {
        #expect(!ConstantTime.equals([1, 2, 3, 4] as [UInt8], [1, 2, 3, 5] as [UInt8]))
    }

    @Test func differInFirstByte() {
        #expect(!ConstantTime.equals([0, 2, 3, 4] as [UInt8], [1, 2, 3, 4] as [UInt8]))
    }

    @Test func differentLengths() {
        #expect(!ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2, 3, 4] as [UInt8]))
        #expect(!ConstantTime.equals([1, 2, 3, 4] as [UInt8], [1, 2, 3] as [UInt8]))
        #expect(!ConstantTime.equals([UInt8](), [0] as [UInt8]))
        #expect(!ConstantTime.equals([0] as [UInt8], [UInt8]()))
    }

    @Test func emptyEqualsEmpty() {
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
    }
}
