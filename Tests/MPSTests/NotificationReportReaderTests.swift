import Foundation
@testable import MPS
import Testing

/// The event reader on its own: what it reads for the edge cases JSONDecoder decided (pinned
/// as values, so a change on either side shows), and that no byte sequence makes it trap, loop
/// or read past its bytes.
@Suite struct NotificationReportReaderTests {
    static func report(output: String) throws -> NotificationReport {
        try NotificationReport.decode(NotificationReportDifferentialTests.body(output: output))
    }

    static func read(_ event: [UInt8]) -> Result<NotificationReport.Wire.Event, NotificationReport.EventProblem> {
        event.withUnsafeBufferPointer { NotificationReport.EventReader(JSONValueReader(bytes: $0)).event(at: 0) }
    }

    @Test func theFirstOfTwoEqualKeysCountsAndKeysAreMatchedUnescaped() throws {
        #expect(try Self.report(output: #""Status":"SUCCESS","Status":"FAIL""#).outputs.first?.status == .success)
        #expect(try Self.report(output: #""Status":null,"Status":"FAIL""#).outputs.first?.status == nil)
        #expect(try Self.report(output: #""Stat\u0075s":"FAIL","Status":"SUCCESS""#).outputs.first?.status == .fail)
        #expect(try Self.report(output: #""St\u0061tus":"\u0053UCCESS""#).outputs.first?.status == .success)
    }

    @Test func progressReadsAsJSONDecoderReadsAnInt() throws {
        let cases: [(String, Int?)] = [
            ("50", 50), ("50.0", 50), ("5e1", 50), ("-1", -1), ("-0.0", 0), ("1.0000000000000001", 1), ("1e-400", 0),
            ("9007199254740993.5", 9_007_199_254_740_993), ("9223372036854775807", .max), ("-9223372036854775808", .min),
            ("1.5", nil), ("1e400", nil), ("1e19", nil), ("99999999999999999999", nil), ("9223372036854775808", nil),
            ("9.223372036854775807e18", nil), ("\"50\"", nil), ("true", nil), ("null", nil), ("[50]", nil),
        ]
        for (text, expected) in cases {
            #expect(try Self.report(output: #""Progress":\#(text)"#).outputs.first?.progress == expected, "\(text)")
        }
    }

    /// Including JSONDecoder's quirk on zeros written with an exponent (see
    /// `JSONValueReader.isZeroAsJSONDecoderSeesIt`): `0e5` reads as nil, `0e999` as 0.
    @Test func endTimeOffsetReadsAsJSONDecoderReadsADouble() throws {
        let cases: [(String, Double?)] = [
            ("2", 2), ("6.125", 6.125), ("-0", 0), ("0.0", 0), ("4.9e-324", .leastNonzeroMagnitude), ("0e999", 0), ("0.000e-5", 0),
            ("1e400", nil), ("1e-400", nil), ("0e5", nil), ("0E8", nil), ("\"3\"", nil), ("null", nil), ("{}", nil),
        ]
        for (text, expected) in cases {
            let files = try Self.report(output: #""AsrFullTextTask":{"Path":"/a","SegmentSet":[{"EndTimeOffset":\#(text)}]}"#).outputs.first?.files
            #expect(files?.first?.lastSegmentEnd == expected, "\(text)")
            #expect(files?.first?.segmentCount == 1, "\(text)")
        }
        let notAnArray = try Self.report(output: #""AsrFullTextTask":{"Path":"/a","SegmentSet":{"EndTimeOffset":1}}"#)
        #expect(notAnArray.outputs.first?.files == [SubtitleFile(kind: .recognition, path: "/a")])
    }

    /// A key JSONDecoder cannot read as UTF-8 makes its whole object unreadable: on the event's
    /// own path a problem, below an output the field is nil; a value that is not UTF-8 is nil.
    @Test func aKeyThatIsNotUTF8MakesItsObjectUnreadable() throws {
        func report(_ output: [UInt8]) throws -> NotificationReport {
            try NotificationReport.decode(
                NotificationReportDifferentialTests.body(event: Array(#"{"SmartSubtitlesTaskResult":{"Outputs":[{"#.utf8) + output + Array("}]}}".utf8))
            )
        }
        let inOutput = try report(Array(#""Status":"SUCCESS","X"#.utf8) + [0xFF] + Array(#"":1"#.utf8))
        #expect(inOutput.eventProblem == "BatchTaskEvent is not the shape MPS sends (not an object)")
        #expect(inOutput.outputs.isEmpty)
        let belowOutput = try report(Array(#""Status":"SUCCESS","TransTextTask":{"Path":"/t","X"#.utf8) + [0xFF] + Array(#"":1}"#.utf8))
        #expect(belowOutput.eventProblem == nil)
        #expect(belowOutput.outputs.first?.status == .success)
        #expect(belowOutput.outputs.first?.files == [])
        let inValue = try report(Array(#""Status":"SUCC"#.utf8) + [0xC3] + Array(#"","Message":"m""#.utf8))
        #expect(inValue.outputs.first?.status == nil)
        #expect(inValue.outputs.first?.message == "m")
    }

    @Test func problemsSayWhereAsJSONDecoderDid() throws {
        let cases: [(String, String?)] = [
            ("5", "not an object"),
            (#"{"SmartSubtitlesTaskResult":[]}"#, "at SmartSubtitlesTaskResult"),
            (#"{"SmartSubtitlesTaskResult":{"Outputs":{}}}"#, "at SmartSubtitlesTaskResult.Outputs"),
            (#"{"SmartSubtitlesTaskResult":{"Outputs":[{},null,5]}}"#, "at SmartSubtitlesTaskResult.Outputs[1]"),
            (#"{"SmartSubtitlesTaskResult":5,"SmartSubtitlesTaskResult":{}}"#, "at SmartSubtitlesTaskResult"),
            (#"{"SmartSubtitlesTaskResult":{},"SmartSubtitlesTaskResult":5}"#, nil),
        ]
        for (event, location) in cases {
            let report = try NotificationReport.decode(NotificationReportDifferentialTests.body(event: event))
            #expect(report.eventProblem == location.map { "BatchTaskEvent is not the shape MPS sends (\($0))" }, "\(event)")
        }
    }

    /// Every strict prefix of a real event is refused as a whole (never read as a shorter
    /// event), and no change of its bytes makes the reader trap or read outside them (ASan in
    /// the fuzzer checks the last part byte by byte; here every path must simply end).
    @Test func truncatedOrCorruptedBytesNeverTrapAndAPrefixIsNeverAnEvent() throws {
        let body = try NotificationReportTests.fixture("notification-multilanguage")
        let range = try #require(body.withUnsafeBufferPointer { NotificationVerifier.reading($0) }.get().event)
        let event = Array(body[range])
        guard case .success = Self.read(event) else {
            Issue.record("the whole event reads")
            return
        }
        for length in 0..<event.count {
            guard case .failure(let problem) = Self.read(Array(event[..<length])) else {
                Issue.record("a prefix of \(length) bytes read as an event")
                return
            }
            #expect(problem == .notAnObject)
        }
        var random = SplitMix64(seed: 0x5EED_0003)
        let special = Array(#"{}[]",:\ 0-1.5eE+tfn"#.utf8) + [0xFF, 0xC3, 0x80]
        for _ in 0..<3000 {
            var bytes = event
            for _ in 0..<random.int(in: 1...8) {
                let at = random.int(in: 0...(bytes.count - 1))
                switch random.int(in: 0...2) {
                case 0: bytes[at] = random.pick(special)
                case 1: bytes.insert(random.pick(special), at: at)
                default: bytes.remove(at: at)
                }
            }
            _ = Self.read(bytes)
        }
    }

    /// The reader's loops only move forward: a member or element callback that does not
    /// (which no caller here does) ends the object as malformed instead of looping.
    @Test func aCallbackThatDoesNotMoveForwardEndsTheLoop() {
        let bytes = Array(#"{"a":1,"b":[1,2]}"#.utf8)
        bytes.withUnsafeBufferPointer { buffer in
            let json = JSONValueReader(bytes: buffer)
            #expect(json.forEachMember(ofObjectAt: 0) { _, start in start } == nil)
            #expect(json.forEachMember(ofObjectAt: 0) { _, _ in buffer.count + 1 } == nil)
            #expect(json.forEachMember(ofObjectAt: 0) { _, start in json.end(ofValueAt: start) } == bytes.count)
            #expect(json.forEachElement(ofArrayAt: 11) { start in start } == nil)
            #expect(json.forEachElement(ofArrayAt: 11) { start in json.end(ofValueAt: start) } == 16)
            #expect(json.end(ofValueAt: -1) == nil)
            #expect(json.end(ofValueAt: bytes.count) == nil)
        }
    }
}
