import Foundation
@testable import MPS
import Testing

/// `NotificationReport.decode` (the hand-written reader) against ``CodableNotificationReport``
/// (the JSONDecoder decode it replaced): for every body here both give the same outcome, equal
/// reports or the same rejection. The bodies are every fixture, every shape the other report
/// tests use, the edge cases the reader had to match (duplicate and escaped keys, numbers,
/// invalid UTF-8), and thousands of deterministic mutations of real notifications.
@Suite struct NotificationReportDifferentialTests {
    // MARK: Comparing

    /// The bodies on which old and new disagree, at most `limit` of them, described.
    static func disagreements(_ bodies: some Sequence<[UInt8]>, limit: Int = 5) -> (count: Int, checked: Int, shown: [String]) {
        var count = 0, checked = 0
        var shown: [String] = []
        for body in bodies {
            checked += 1
            let old = Result { () throws(NotificationRejection) in try CodableNotificationReport.decode(body) }
            let new = Result { () throws(NotificationRejection) in try NotificationReport.decode(body) }
            guard old != new else { continue }
            count += 1
            if shown.count < limit {
                shown.append("body: \(String(decoding: body, as: UTF8.self))\n  codable: \(old)\n  reader:  \(new)")
            }
        }
        return (count, checked, shown)
    }

    static func expectAgreement(_ bodies: some Sequence<[UInt8]>, atLeast minimum: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        let result = disagreements(bodies)
        #expect(result.checked >= minimum, "only \(result.checked) bodies", sourceLocation: sourceLocation)
        #expect(result.count == 0, "\(result.count) of \(result.checked) bodies disagree:\n\(result.shown.joined(separator: "\n"))", sourceLocation: sourceLocation)
    }

    /// A body whose `BatchTaskEvent` is `event` (raw bytes, so invalid UTF-8 can be tested).
    static func body(event: [UInt8]) -> [UInt8] {
        Array(#"{"EventType":"BatchTask","SessionContext":"x","Timestamp":1,"Sign":"s","BatchTaskEvent":"#.utf8) + event + Array("}".utf8)
    }

    static func body(event: String) -> [UInt8] { body(event: Array(event.utf8)) }

    static func body(result: String) -> [UInt8] { body(event: #"{"SmartSubtitlesTaskResult":\#(result)}"#) }

    /// A result with one output whose fields are `output`.
    static func body(output: String) -> [UInt8] { body(result: #"{"Outputs":[{\#(output)}]}"#) }

    static func fixtures() throws -> [[UInt8]] {
        let folder = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
        return try names.map { Array(try Data(contentsOf: folder.appendingPathComponent($0))) }
    }

    static func notificationFixtures() throws -> [[UInt8]] {
        try [
            "notification-success", "notification-failure", "notification-wrapped", "notification-extra-fields",
            "notification-recognition", "notification-multilanguage", "notification-durations",
        ].map(NotificationReportTests.fixture)
    }

    // MARK: Known bodies

    @Test func everyFixtureGivesTheSameReport() throws {
        Self.expectAgreement(try Self.fixtures(), atLeast: 12)
    }

    /// The bodies of NotificationReportTests, and the shapes of the event they cover.
    @Test func everyBodyTheReportTestsUseGivesTheSameReport() {
        var bodies: [[UInt8]] = [
            Array(#"{"EventType":"BatchTask","SessionContext":"x","BatchTaskEvent":{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"SUCCESS","Progress":"100","AsrFullTextTask":{"Path":"/a.vtt"}},{"Status":null}]}}}"#.utf8),
            Array(#"{"EventType":"BatchTask","SessionContext":"mh1:\u0061b","Timestamp":"17","Sign":"s","BatchTaskEvent":null}"#.utf8),
            Array(#"{"Response":{"EventType":"BatchTask","SessionContext":"w","Timestamp":17,"Sign":"s"},"RequestId":"r"}"#.utf8),
            Array(#"{"Response":{"EventType":"BatchTask","SessionContext":"a","BatchTaskEvent":{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"SUCCESS","AsrFullTextTask":{"Path":"/ok.vtt"}}]}}},"Other":{"BatchTaskEvent":null}}"#.utf8),
            Array(#"{"EventType":"BatchTask","SessionContext":"a","Extra":{"BatchTaskEvent":{"SmartSubtitlesTaskResult":{"Outputs":[]}}}}"#.utf8),
            Array(#"{"EventType":"BatchTask","SessionContext":"a","Timestamp":1,"Sign":"s","BatchTaskEvent":{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"PROCESSING"}]}},"Respons\u0065":{"EventType":"BatchTask"}}"#.utf8),
            Array("[1]".utf8),
        ]
        for event in [
            #"{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"SUCCESS"},5]}}"#,
            #"{"SmartSubtitlesTaskResult":{"Outputs":{"Status":"SUCCESS"}}}"#,
            #"{"SmartSubtitlesTaskResult":"done"}"#,
            #""SUCCESS""#, "null", "{}", #"{"SmartSubtitlesTaskResult":null}"#, #"{"SmartSubtitlesTaskResult":{"Outputs":null}}"#,
        ] {
            bodies.append(Self.body(event: event))
        }
        for result in [
            #"""
            {"Input":{"RawParameter":{"VideoSrcLanguage":"auto","TranslateDstLanguage":"en/ko"}},"Outputs":[{"Status":"SUCCESS",
             "AsrFullTextTask":{"SubtitlePath":"https://h/r.vtt","SubtitleInfo":{"Path":"/r.vtt"}},
             "TransTextTask":{"Path":"/t.vtt","SubtitleResults":[]}}]}
            """#,
            #"""
            {"Input":{"RawParameter":{"VideoSrcLanguage":"fr","TranslateDstLanguage":"de"}},"Outputs":[{"Status":"SUCCESS",
             "AsrFullTextTask":{"Path":"/r.vtt"},"TransTextTask":{"Path":"/t.vtt"}}]}
            """#,
            #"""
            {"Input":{"RawParameter":5},"Outputs":[
             {"Status":"SUCCESS","TransTextTask":{"Path":"/t.vtt","SubtitlePath":7,"SubtitleResults":"odd","SegmentSet":{"n":1}},
              "AsrFullTextTask":{"Path":"","SubtitlePath":null,"SubtitleInfo":{"Language":"en"}}},
             {"Status":"SUCCESS","TransTextTask":{"Path":"/t.vtt","SubtitleResults":[5,{"TransDst":"fr","Path":"/fr.vtt","Status":3},{"TransDst":"it"}],
              "SegmentSet":[{"EndTimeOffset":"late","Text":9},4]}},
             {"Status":"SUCCESS","AsrFullTextTask":{"Path":"/r.vtt","SegmentSet":[{"EndTimeOffset":2,"Text":false},{"EndTimeOffset":"x"}]}},
             {"Status":"SUCCESS","AsrFullTextTask":{"Path":"/e.vtt","SegmentSet":[]},"TransTextTask":"odd"}
            ]}
            """#,
            #"{"Input":"x","Outputs":[{"AsrFullTextTask":{"Path":"/r.vtt"}}]}"#,
        ] {
            bodies.append(Self.body(result: result))
        }
        Self.expectAgreement(bodies, atLeast: 19)
    }

    /// Where a hand-written reader could easily differ from JSONDecoder: which of two equal keys
    /// counts (the first), keys written with escapes (unescaped before they are matched), what
    /// is not the expected shape at each level, and where the problem text says it failed.
    @Test func duplicateEscapedAndOddlyShapedMembersGiveTheSameReport() {
        var bodies: [[UInt8]] = []
        for event in [
            "5", "[]", "true", "false", #""x""#, "[{}]", "-0.5e3",
            #"{"SmartSubtitlesTaskResult":[]}"#, #"{"SmartSubtitlesTaskResult":5}"#, #"{"SmartSubtitlesTaskResult":true}"#,
            #"{"SmartSubtitlesTaskResult":{"Outputs":[1]}}"#, #"{"SmartSubtitlesTaskResult":{"Outputs":[null]}}"#,
            #"{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"a"},null]}}"#, #"{"SmartSubtitlesTaskResult":{"Outputs":[{},[],5]}}"#,
            #"{"SmartSubtitlesTaskResult":{"Outputs":"x"}}"#, #"{"SmartSubtitlesTaskResult":{"Outputs":5}}"#,
            #"{"SmartSubtitlesTaskResult":{"Outputs":[1]},"SmartSubtitlesTaskResult":{"Outputs":[]}}"#,
            #"{"SmartSubtitlesTaskResult":{"Outputs":[]},"SmartSubtitlesTaskResult":{"Outputs":[1]}}"#,
            #"{"SmartSubtitlesTaskResult":{"Outputs":[]},"SmartSubtitlesTaskResult":5}"#,
            #"{"SmartSubtitlesTaskResult":5,"SmartSubtitlesTaskResult":{"Outputs":[]}}"#,
            #"{"SmartSubtitlesTaskResult":null,"SmartSubtitlesTaskResult":5}"#,
            #"{"SmartSubtitlesTaskResult":{"Outputs":null,"Outputs":5}}"#,
            #"{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"x"}]},"Junk":1e400}"#,
            #"{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"x"}],"Input":{"RawParameter":{"VideoSrcLanguage":"x","VideoSrcLanguage":"y"}}}}"#,
            #"{"SmartSubtitlesTaskResult":{"Input":5,"Input":{"RawParameter":{"VideoSrcLanguage":"x"}},"Outputs":[{"TransTextTask":{"Path":"/a"}}]}}"#,
            #"{"SmartSubtitle\u0073TaskResult":{"Outputs":[{"Status":"x","TransTextTask":{"Path":"/a"}}]}}"#,
            #"{"SmartSubtitlesTaskResult":{"\u004futputs":[{"Status":"x","TransTextTask":{"Path":"/a"}}]}}"#,
            #"{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"x","TransTextTask":{"Pat\u0068":"/a"}}]}}"#,
            #"{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"x","TransTextTask":{"Path\u0000":"/a"}}]}}"#,
        ] {
            bodies.append(Self.body(event: event))
        }
        for output in [
            #""Status":"A","Status":"B""#, #""Stat\u0075s":"A""#, #""Stat\u0075s":"A","Status":"B""#, #""Status":"B","Stat\u0075s":"A""#,
            #""Status":null,"Status":"B""#, #""Status":5,"Status":"B""#, #""St\u0061tus":"\u0053UCCESS""#, #""Status":"a\u0000b\ud83d\ude00\n""#,
            #""Status":"SUCCESS","Status":"FAIL","ErrCodeExt":"e","ErrCodeExt":"f","Message":"\"m\"""#,
            #""AsrFullTextTask":{"Path":"/a","SegmentSet":[{"EndTimeOffset":2,"EndTimeOffset":3}]}"#,
            #""AsrFullTextTask":{"Path":"/a","SegmentSet":[{"EndTimeOffset":1},null]}"#,
            #""AsrFullTextTask":{"Path":"/a","SegmentSet":[{"EndTimeOffset":1},{"EndTimeOffset":null}]}"#,
            #""AsrFullTextTask":{"Path":"/a","SegmentSet":[{"EndTimeOffset":1},{"EndTimeOffset":true}]}"#,
            #""AsrFullTextTask":{"Path":"/a","SegmentSet":[{"EndTimeOffset":1},{"EndTimeOffset":"3"}]}"#,
            #""AsrFullTextTask":{"Path":"/a","SegmentSet":[[],[{"EndTimeOffset":1}]]}"#,
            #""AsrFullTextTask":{"Path":"/a","SegmentSet":null}"#, #""AsrFullTextTask":{"Path":"/a","SegmentSet":{}}"#,
            #""AsrFullTextTask":{"Path":"/a","SegmentSet":"x","SegmentSet":[1]}"#,
            #""AsrFullTextTask":{"Path":"/a","SubtitleInfo":{"Language":"ja","Status":"Success","Path":"/b"},"SubtitleInfo":5}"#,
            #""AsrFullTextTask":{"SubtitleInfo":{"Path":"/b","Language":""}},"AsrFullTextTask":{"Path":"/c"}"#,
            #""TransTextTask":{"Path":"/a","SubtitleResults":[1,{"Path":"/x"},null,[],{"Path":5},{"Path":"/a","TransDst":"fr"}]}"#,
            #""TransTextTask":{"Path":"/a","SubtitlePath":"u","SegmentSet":[{}],"SubtitleResults":[{"Path":"/a"},{"Path":"/a"}]}"#,
            #""TransTextTask":{"SubtitleResults":{}}"#, #""TransTextTask":{"SubtitleResults":[],"SubtitleResults":[{"Path":"/x"}]}"#,
            #""TransTextTask":{"Path":"","SubtitleResults":[{"Path":""}]}"#, #""TransTextTask":null,"AsrFullTextTask":[]"#,
        ] {
            bodies.append(Self.body(output: output))
        }
        Self.expectAgreement(bodies, atLeast: 55)
    }

    /// `Metadatas[i].Duration`, read beside the outputs and never failing them: durations of
    /// every type, number and range, duplicate and escaped keys, a `Metadatas` that is not an
    /// array or has elements that are not objects, twice in the event, and inside a wrapper.
    @Test func metadatasAndDurationsGiveTheSameReport() {
        let metadatas = [
            #"[{"Duration":55.455},{"Duration":3600}]"#, #"[{"Duration":"55"}]"#, #"[{"Duration":""}]"#, #"[{"Duration":null}]"#,
            #"[{"Duration":true}]"#, #"[{"Duration":{}}]"#, #"[{"Duration":[1]}]"#, #"[{}]"#, #"[{"Duration":-1}]"#, #"[{"Duration":-0}]"#,
            #"[{"Duration":0}]"#, #"[{"Duration":-0.0}]"#, #"[{"Duration":0e5}]"#, #"[{"Duration":0.000e-5}]"#, #"[{"Duration":1e400}]"#,
            #"[{"Duration":-1e400}]"#, #"[{"Duration":1e-400}]"#, #"[{"Duration":2e3}]"#, #"[{"Duration":2E+3}]"#, #"[{"Duration":1e9}]"#,
            #"[{"Duration":999999999.99999994}]"#, #"[{"Duration":999999999.5}]"#, #"[{"Duration":1.7976931348623159e308}]"#,
            #"[{"Duration":12.5,"Duration":99}]"#, #"[{"Duration":null,"Duration":99}]"#, #"[{"Duration":"x","Duration":99}]"#,
            #"[{"Durat\u0069on":7}]"#, #"[{"Durat\u0069on":7,"Duration":8}]"#, #"[{"duration":7}]"#, #"[{"Duration\u0000":7}]"#,
            #"[{"VideoStreamSet":[{"Duration":3}],"VideoDuration":5,"Duration":4}]"#, #"[{"Metadatas":[{"Duration":1}]}]"#,
            #"[5,null,"x",[],true,{"Duration":4}]"#, #"[[{"Duration":4}]]"#, "[]", "null", #"{"Duration":5}"#, #""x""#, "5", "true",
        ]
        var bodies: [[UInt8]] = []
        for metadata in metadatas {
            let events = [
                #"{"Metadatas":\#(metadata),"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"SUCCESS","AsrFullTextTask":{"Path":"/a"}},{"Status":"FAIL"}]}}"#,
                #"{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"SUCCESS"}]},"Metadatas":\#(metadata)}"#,
                #"{"Metadatas":\#(metadata)}"#,
                #"{"Metadatas":\#(metadata),"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"SUCCESS"},5]}}"#,
                #"{"Metadatas":\#(metadata),"SmartSubtitlesTaskResult":"odd"}"#,
                #"{"Metadatas":[{"Duration":1}],"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"SUCCESS"}]},"Metadatas":\#(metadata)}"#,
                #"{"Metadatas":\#(metadata),"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"SUCCESS"}]},"Metadatas":[{"Duration":1}]}"#,
                #"{"Metadat\u0061s":\#(metadata),"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"SUCCESS"}]}}"#,
            ]
            for event in events {
                bodies.append(Self.body(event: event))
                bodies.append(Array(#"{"Response":{"EventType":"BatchTask","SessionContext":"x","BatchTaskEvent":\#(event)},"RequestId":"r"}"#.utf8))
            }
        }
        Self.expectAgreement(bodies, atLeast: 600)
    }

    /// `Progress` (an Int) and `EndTimeOffset` (a Double) read the way JSONDecoder reads them:
    /// a whole number written with a fraction or exponent is an Int, a non-whole one or one
    /// out of range is nil (through JSONDecoder's Double and Decimal paths), a Double that
    /// overflows or underflows to zero is nil.
    @Test func numbersReadAsJSONDecoderReadsThem() {
        var numbers = [
            "0", "-0", "-0.0", "0e5", "0.000e-5", "0e999", "0E-999", "50", "50.0", "5e1", "5E+1", "500e-1", "-1", "1.5", "-1.5", "100E-2",
            "1e400", "-1e400", "1e-400", "1.0e-400", "2e-324", "4.9e-324", "1.7976931348623157e308", "1.7976931348623159e308",
            "99999999999999999999", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
            "-9223372036854775810", "-9223372036854776832", "-9223372036854776833", "9223372036854775807.0", "9.223372036854775807e18",
            "9223372036854775295.0", "9223372036854775296.0", "-9223372036854775807.0", "-9223372036854775808.0",
            "12345678901234567.0", "1e18", "1e19", "1e16", "9007199254740992", "9007199254740993", "9007199254740992.0",
            "9007199254740993.0", "9007199254740993.5", "-9007199254740993.5", "9007199254740993.00000001", "9007199254740993e0",
            "1.0000000000000001", "0.99999999999999999", "90071992547409930000000000000000000000000000000000000000000000e-46",
            "9007199254740992.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001",
            "12345678901234567890123456789012345678901234567890e-30", "123456789012345678901234567890",
            "0.1", "0.2", "2.5", "6.125", "5.62", "7.75", "3.14159265358979323846264338327950288419716939937510",
        ]
        var random = SplitMix64(seed: 0x5EED_0001)
        for _ in 0..<3000 { numbers.append(random.numberText()) }
        var bodies: [[UInt8]] = []
        for number in numbers {
            bodies.append(Self.body(output: #""Progress":\#(number)"#))
            bodies.append(Self.body(output: #""AsrFullTextTask":{"Path":"/a","SegmentSet":[{"EndTimeOffset":\#(number)}]}"#))
            bodies.append(Self.body(event: #"{"Metadatas":[{"Duration":\#(number)}],"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"SUCCESS"}]}}"#))
        }
        Self.expectAgreement(bodies, atLeast: 9000)
    }

    /// Invalid UTF-8 (the report also decodes bodies the door never stored): a key JSONDecoder
    /// cannot read fails the object it is in, a value it cannot read is nil, a skipped value
    /// does not matter.
    @Test func invalidUTF8GivesTheSameReport() {
        let bad: [[UInt8]] = [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80], [0xC3, 0xA9]]
        var bodies: [[UInt8]] = []
        for bytes in bad {
            let places: [([UInt8], [UInt8])] = [
                (#"{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"x","Junk":""#, #""}]}}"#),
                (#"{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"x"#, #""}]}}"#),
                (#"{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"x\n"#, #""}]}}"#),
                (#"{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"x","Ju"#, #"nk":1}]}}"#),
                (#"{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"x"}],"Ju"#, #"nk":1}}"#),
                (#"{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"x"}]},"Ju"#, #"nk":1}"#),
                (#"{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"x"},{"\u0041"#, #"":1},5]}}"#),
                (#"{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"x","TransTextTask":{"Pa"#, #"th":1,"Path":"/a"}}]}}"#),
                (#"{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"x","TransTextTask":{"X":{"Pa"#, #"th":1},"Path":"/a"}}]}}"#),
                (#"{"SmartSubtitlesTaskResult":{"Outputs":[{"TransTextTask":{"Path":"/a","SubtitleResults":[{"Path":"/b"},{"P"#, #"":1}]}}]}}"#),
                (#"{"SmartSubtitlesTaskResult":{"Outputs":[{"AsrFullTextTask":{"Path":"/a","SegmentSet":[{"EndTimeOffset":1,"E"#, #"":1}]}}]}}"#),
                (#"{"SmartSubtitlesTaskResult":{"Input":{"RawParameter":{"VideoSrcLanguage":"e"#, #"n"}},"Outputs":[{"TransTextTask":{"Path":"/a"}}]}}"#),
                (#"{"SmartSubtitlesTaskResult":{"Input":{"RawParameter":{"VideoSrcLanguage":"en","#, #"":1}},"Outputs":[{"TransTextTask":{"Path":"/a"}}]}}"#),
                (#"{"Metadatas":[{"Duration":1,"Container":""#, #""},{"Duration":2}],"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"x"}]}}"#),
                (#"{"Metadatas":[{"Duration":1,"C"#, #"":1},{"Duration":2}],"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"x"}]}}"#),
                (#"{"Metadatas":[{"Duration":1,"VideoStreamSet":[{"C"#, #"":1}]},{"Duration":2}],"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"x"}]}}"#),
                (#"{"Metadatas":[{"Duration":""#, #""}],"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"x"}]}}"#),
                (#"""#, #"""#),
            ].map { (Array($0.0.utf8), Array($0.1.utf8)) }
            for (before, after) in places {
                bodies.append(Self.body(event: before + bytes + after))
            }
        }
        Self.expectAgreement(bodies, atLeast: 130)
    }

    // MARK: Generated bodies

    /// Thousands of real notifications, each changed a few times at random but reproducibly:
    /// members dropped, repeated, reordered, added, keys escaped, values of another type or
    /// nested, arrays cut, strings and numbers swapped for odd ones.
    @Test func mutatedNotificationsGiveTheSameReport() throws {
        let originals = try Self.notificationFixtures().map { try #require(JSONTree.parse($0)) }
        var random = SplitMix64(seed: 0x5EED_0002)
        var mutator = Mutator()
        let bodies = (0..<6000).lazy.map { index -> [UInt8] in
            var tree = originals[index % originals.count]
            mutator.strings = tree.strings()
            for _ in 0..<random.int(in: 1...6) {
                tree = mutator.mutate(tree, random: &random)
            }
            return tree.bytes()
        }
        Self.expectAgreement(bodies, atLeast: 6000)
    }

    /// The generator makes what it claims: most bodies are still accepted notifications, and
    /// their reports differ from the original's in outputs, files or problems (not vacuous).
    @Test func theMutatedBodiesAreMostlyAcceptedAndVaried() throws {
        let originals = try Self.notificationFixtures().map { try #require(JSONTree.parse($0)) }
        // Written back without its whitespace, a fixture still gives its own report.
        for (tree, fixture) in zip(originals, try Self.notificationFixtures()) {
            #expect(try NotificationReport.decode(tree.bytes()) == NotificationReport.decode(fixture))
        }
        var random = SplitMix64(seed: 0x5EED_0002)
        var mutator = Mutator()
        var accepted = 0, problems = 0
        var distinct = Set<NotificationReport>()
        for index in 0..<600 {
            var tree = originals[index % originals.count]
            mutator.strings = tree.strings()
            for _ in 0..<random.int(in: 1...6) {
                tree = mutator.mutate(tree, random: &random)
            }
            guard let report = try? NotificationReport.decode(tree.bytes()) else { continue }
            accepted += 1
            if report.eventProblem != nil { problems += 1 }
            distinct.insert(report)
        }
        #expect(accepted > 400)
        #expect(problems > 10 && problems < accepted / 2)
        #expect(distinct.count > 200)
    }
}

// MARK: - A JSON tree that keeps the bytes as written

/// Valid JSON as written: member order, duplicate keys, key and string escapes and number
/// texts are kept, so a mutation changes only what it means to change.
indirect enum JSONTree: Hashable {
    /// Each member's key is the raw bytes between its quotes.
    case object([Member])
    case array([JSONTree])
    /// A string, number or literal, as its raw bytes (a string with its quotes).
    case scalar([UInt8])

    struct Member: Hashable {
        var key: [UInt8]
        var value: JSONTree
    }

    static func parse(_ bytes: [UInt8]) -> JSONTree? {
        var parser = Parser(bytes: bytes)
        guard let tree = parser.value() else { return nil }
        parser.skipWhitespace()
        return parser.index == bytes.count ? tree : nil
    }

    func bytes() -> [UInt8] {
        var out: [UInt8] = []
        write(into: &out)
        return out
    }

    func write(into out: inout [UInt8]) {
        switch self {
        case .scalar(let raw): out += raw
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                element.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out.append(UInt8(ascii: "\""))
                out += member.key
                out += Array("\":".utf8)
                member.value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Every string value in the tree, raw (the pool mutations draw realistic strings from).
    func strings() -> [[UInt8]] {
        switch self {
        case .scalar(let raw): raw.first == UInt8(ascii: "\"") ? [raw] : []
        case .array(let elements): elements.flatMap { $0.strings() }
        case .object(let members): members.flatMap { $0.value.strings() }
        }
    }

    /// The number of nodes, and the paths (child indices) of those a mutation may pick.
    func paths(into paths: inout [[Int]], prefix: [Int] = [], interesting: Bool = true) {
        if interesting { paths.append(prefix) }
        switch self {
        case .scalar: break
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                element.paths(into: &paths, prefix: prefix + [index], interesting: interesting)
            }
        case .object(let members):
            for (index, member) in members.enumerated() {
                // Segment texts and word lists are most of a body and none of the report.
                let boring = ["Wordlist", "Text", "Trans", "OutputStorage", "InputInfos", "VideoStreamSet", "AudioStreamSet", "Confidence"]
                    .contains { Array($0.utf8) == member.key }
                member.value.paths(into: &paths, prefix: prefix + [index], interesting: interesting && !boring)
            }
        }
    }

    /// The tree with the node at `path` replaced by `change(node)`.
    func replacing(at path: ArraySlice<Int>, _ change: (JSONTree) -> JSONTree) -> JSONTree {
        guard let first = path.first else { return change(self) }
        switch self {
        case .scalar: return self
        case .array(var elements):
            guard elements.indices.contains(first) else { return self }
            elements[first] = elements[first].replacing(at: path.dropFirst(), change)
            return .array(elements)
        case .object(var members):
            guard members.indices.contains(first) else { return self }
            members[first].value = members[first].value.replacing(at: path.dropFirst(), change)
            return .object(members)
        }
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func value() -> JSONTree? {
            skipWhitespace()
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                var members: [Member] = []
                skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return .object(members)
                }
                while true {
                    skipWhitespace()
                    guard let key = string(), key.count >= 2 else { return nil }
                    skipWhitespace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
                    index += 1
                    guard let value = value() else { return nil }
                    members.append(Member(key: Array(key.dropFirst().dropLast()), value: value))
                    skipWhitespace()
                    guard index < bytes.count else { return nil }
                    index += 1
                    if bytes[index - 1] == UInt8(ascii: "}") { return .object(members) }
                    guard bytes[index - 1] == UInt8(ascii: ",") else { return nil }
                }
            case UInt8(ascii: "["):
                index += 1
                var elements: [JSONTree] = []
                skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return .array(elements)
                }
                while true {
                    guard let element = value() else { return nil }
                    elements.append(element)
                    skipWhitespace()
                    guard index < bytes.count else { return nil }
                    index += 1
                    if bytes[index - 1] == UInt8(ascii: "]") { return .array(elements) }
                    guard bytes[index - 1] == UInt8(ascii: ",") else { return nil }
                }
            case UInt8(ascii: "\""):
                return string().map(JSONTree.scalar)
            default:
                let start = index
                while index < bytes.count, !",]} \t\r\n".utf8.contains(bytes[index]) { index += 1 }
                return index > start ? .scalar(Array(bytes[start..<index])) : nil
            }
        }

        /// A string with its quotes, raw.
        mutating func string() -> [UInt8]? {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
            let start = index
            index += 1
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\\"): index += 2
                case UInt8(ascii: "\""):
                    index += 1
                    return Array(bytes[start..<index])
                default: index += 1
                }
            }
            return nil
        }
    }
}

// MARK: - Deterministic mutations

/// A small, fast, reproducible generator (SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func int(in range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }

    mutating func chance(_ percent: Int) -> Bool { int(in: 0...99) < percent }

    mutating func pick<T>(_ values: [T]) -> T { values[int(in: 0...(values.count - 1))] }

    mutating func digits(_ count: Int, leadingNonZero: Bool) -> String {
        String((0..<count).map { index in
            Character(String(leadingNonZero && index == 0 ? int(in: 1...9) : int(in: 0...9)))
        })
    }

    /// A JSON number text, biased toward what Int and Double reading must get right: small
    /// whole numbers, fractions and exponents, values around 2^53 and 2^63, tiny and huge ones.
    mutating func numberText() -> String {
        let sign = chance(25) ? "-" : ""
        let integer: String
        switch int(in: 0...9) {
        case 0: integer = "0"
        case 1...4: integer = digits(int(in: 1...3), leadingNonZero: true)
        case 5, 6: integer = pick(["9007199254740", "922337203685477", "18446744073709", "4503599627370"]) + digits(int(in: 1...5), leadingNonZero: false)
        default: integer = digits(int(in: 1...40), leadingNonZero: true)
        }
        var text = sign + integer
        if chance(50) {
            text += "." + (chance(50) ? String(repeating: "0", count: int(in: 1...45)) : "") + digits(int(in: 1...30), leadingNonZero: false)
        }
        if chance(40) {
            text += pick(["e", "E"]) + pick(["", "+", "-"]) + (chance(80) ? String(int(in: 0...25)) : String(int(in: 0...500)))
        }
        return text
    }
}

/// Changes one node of a notification tree at a time, the way a careless or hostile sender might.
struct Mutator {
    /// Strings of the body being mutated, reused so paths still match one another.
    var strings: [[UInt8]] = []

    static let names = [
        "SmartSubtitlesTaskResult", "Input", "RawParameter", "VideoSrcLanguage", "TranslateDstLanguage", "Outputs", "Status", "Progress",
        "ErrCodeExt", "Message", "TransTextTask", "AsrFullTextTask", "Path", "SubtitlePath", "SegmentSet", "SubtitleResults", "TransSrc",
        "TransDst", "SubtitleInfo", "Language", "EndTimeOffset", "Metadatas", "Duration",
    ]

    static let oddStrings: [[UInt8]] = [
        #""""#, #""auto""#, #""en/ko""#, #""ja""#, #""SUCCESS""#, #""FAIL""#, #""\u0053UCCESS""#, #""a\"b\\c\/d""#, #""\u0000""#,
        #""\ud83d\ude00""#, #""é""#, #""/subtitles/x.vtt""#, #""https://h/x.vtt""#,
    ].map { Array($0.utf8) } + [[0x22, 0xFF, 0x22], [0x22, 0x61, 0xC3, 0x22]]

    static let oddNumbers = [
        "0", "-0", "50", "50.0", "5e1", "-1", "1.5", "1e400", "1e-400", "99999999999999999999", "9007199254740993.5", "1e16", "100", "2.5", "7.75",
    ]

    func mutate(_ tree: JSONTree, random: inout SplitMix64) -> JSONTree {
        var paths: [[Int]] = []
        tree.paths(into: &paths)
        guard !paths.isEmpty else { return tree }
        let path = random.pick(paths)
        return tree.replacing(at: path[...]) { node in change(node, random: &random) }
    }

    func value(random: inout SplitMix64) -> JSONTree {
        switch random.int(in: 0...9) {
        case 0: .scalar(Array("null".utf8))
        case 1: .scalar(Array(random.pick(["true", "false"]).utf8))
        case 2: .scalar(Array(random.pick(Self.oddNumbers).utf8))
        case 3: .scalar(random.pick(Self.oddStrings))
        case 4: .object([])
        case 5: .array([])
        case 6: .array([.object([]), .scalar(Array("1".utf8))])
        case 7: .object([JSONTree.Member(key: Array(random.pick(Self.names).utf8), value: .scalar(strings.isEmpty ? Array(#""x""#.utf8) : random.pick(strings)))])
        default: .scalar(strings.isEmpty ? Array(#""x""#.utf8) : random.pick(strings))
        }
    }

    func change(_ node: JSONTree, random: inout SplitMix64) -> JSONTree {
        switch random.int(in: 0...9) {
        case 0: return value(random: &random)
        case 1: return random.chance(50) ? .array([node]) : .object([JSONTree.Member(key: Array(random.pick(Self.names).utf8), value: node)])
        default: break
        }
        switch node {
        case .scalar(let raw):
            if raw.first == UInt8(ascii: "\"") {
                return .scalar(random.chance(50) || strings.isEmpty ? random.pick(Self.oddStrings) : random.pick(strings))
            }
            if raw.first.map({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }) == true {
                return .scalar(Array((random.chance(50) ? random.pick(Self.oddNumbers) : random.numberText()).utf8))
            }
            return value(random: &random)
        case .array(var elements):
            guard !elements.isEmpty else { return .array([value(random: &random)]) }
            switch random.int(in: 0...5) {
            case 0: elements.removeLast(random.int(in: 1...elements.count))
            case 1: elements.remove(at: random.int(in: 0...(elements.count - 1)))
            case 2: elements.insert(random.pick(elements), at: random.int(in: 0...elements.count))
            case 3: elements.reverse()
            case 4: elements.append(value(random: &random))
            default: elements.insert(value(random: &random), at: 0)
            }
            return .array(elements)
        case .object(var members):
            guard !members.isEmpty else {
                return .object([JSONTree.Member(key: Array(random.pick(Self.names).utf8), value: value(random: &random))])
            }
            let index = random.int(in: 0...(members.count - 1))
            switch random.int(in: 0...7) {
            case 0: members.remove(at: index)
            case 1:
                // The same key again, before or after, with its value or another.
                var copy = members[index]
                if random.chance(50) { copy.value = value(random: &random) }
                members.insert(copy, at: random.chance(50) ? index : index + 1)
            case 2: members[index].key = Self.escaped(members[index].key, random: &random)
            case 3: members.shuffle(using: &random)
            case 4:
                members.insert(
                    JSONTree.Member(key: Array(random.pick(Self.names).utf8), value: value(random: &random)),
                    at: random.int(in: 0...members.count)
                )
            case 5:
                let other = random.int(in: 0...(members.count - 1))
                (members[index].value, members[other].value) = (members[other].value, members[index].value)
            case 6 where random.chance(20):
                // A key JSONDecoder cannot read as UTF-8.
                members[index].key.insert(random.pick([0xFF, 0xC3, 0x80]), at: random.int(in: 0...members[index].key.count))
            default: members[index].value = change(members[index].value, random: &random)
            }
            return .object(members)
        }
    }

    /// `key` with one ASCII letter written as a `\u00XX` escape.
    static func escaped(_ key: [UInt8], random: inout SplitMix64) -> [UInt8] {
        let letters = key.indices.filter { (UInt8(ascii: "A")...UInt8(ascii: "z")).contains(key[$0]) }
        guard !letters.isEmpty else { return key }
        let at = random.pick(letters)
        let hex = String(key[at], radix: 16, uppercase: random.chance(50))
        return Array(key[..<at]) + Array("\\u00\(hex)".utf8) + Array(key[(at + 1)...])
    }
}
