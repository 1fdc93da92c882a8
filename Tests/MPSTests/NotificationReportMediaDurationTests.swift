import Foundation
@testable import MPS
import Testing

/// `Metadatas[i].Duration`: read per input, leniently, without ever making the event a problem.
@Suite struct NotificationReportMediaDurationTests {
    /// A body whose event has `Metadatas` (raw JSON) beside two outputs that read fine.
    static func body(metadatas: String, wrapped: Bool = false) -> [UInt8] {
        let event = #"""
            {"InputInfos":[],"Metadatas":\#(metadatas),"SmartSubtitlesTaskResult":{"Outputs":[
             {"Status":"SUCCESS","Progress":100,"AsrFullTextTask":{"Path":"/a.vtt"}},{"Status":"FAIL","ErrCodeExt":"E"}]}}
            """#
        let envelope = #"{"EventType":"BatchTask","SessionContext":"x","Timestamp":1,"Sign":"s","BatchTaskEvent":\#(event)}"#
        return Array((wrapped ? #"{"Response":\#(envelope),"RequestId":"r"}"# : envelope).utf8)
    }

    @Test func readsEachInputsDurationFromARealShapedNotification() throws {
        let report = try NotificationReport.decode(try NotificationReportTests.fixture("notification-durations"))
        #expect(report.eventProblem == nil)
        #expect(report.mediaDurations == [55.455, 3600])
        // Outputs[i] and Metadatas[i] are both input i; the third input has no metadata.
        #expect(report.outputs.map(\.status) == [.success, .success, .fail])
        #expect(report.outputs.map(\.mediaSeconds) == [55.455, 3600, nil])
    }

    /// The report reads the durations the full model reads, on every notification fixture.
    @Test func readsTheDurationsTheFullModelReads() throws {
        let expected: [String: [Double?]] = [
            "notification-durations": [55.455, 3600], "notification-success": [55.455], "notification-failure": [],
            "notification-wrapped": [], "notification-extra-fields": [], "notification-recognition": [], "notification-multilanguage": [],
        ]
        for (name, durations) in expected {
            let bytes = try NotificationReportTests.fixture(name)
            let report = try NotificationReport.decode(bytes)
            let full = try MPSNotification.decode(from: bytes)
            #expect(report.mediaDurations == durations, "\(name)")
            #expect(report.mediaDurations == (full.batchTaskEvent?.metadatas ?? []).map(\.duration), "\(name)")
        }
    }

    @Test func aDurationIsUsableOnlyWhenFiniteAndFromZeroToBelowABillionSeconds() {
        #expect(NotificationReport.mediaDuration(reported: 55.455) == 55.455)
        #expect(NotificationReport.mediaDuration(reported: 0) == 0)
        #expect(NotificationReport.mediaDuration(reported: 999_999_999.5) == 999_999_999.5)
        let negativeZero = NotificationReport.mediaDuration(reported: -0.0)
        #expect(negativeZero == 0 && negativeZero?.sign == .plus)
        for unusable in [-1, -0.001, 1e9, 1e300, .infinity, -.infinity, .nan, .greatestFiniteMagnitude] {
            #expect(NotificationReport.mediaDuration(reported: unusable) == nil, "\(unusable)")
        }
    }

    /// Metadata is informational: whatever `Metadatas` holds, the outputs are read and the event
    /// has no problem; each element gives its duration or nil, and a non-array gives none.
    @Test func oddMetadatasReadAsMissingDurationsNeverAsAProblem() throws {
        let cases: [(String, [Double?])] = [
            (#"[{"Duration":55.455},{"Duration":3600}]"#, [55.455, 3600]),
            (#"[{"Duration":"55"}]"#, [nil]), (#"[{"Duration":null}]"#, [nil]), (#"[{"Duration":true}]"#, [nil]),
            (#"[{"Duration":{}}]"#, [nil]), (#"[{"Duration":[1]}]"#, [nil]), (#"[{}]"#, [nil]),
            (#"[{"Duration":-1}]"#, [nil]), (#"[{"Duration":-0}]"#, [0]), (#"[{"Duration":0}]"#, [0]),
            (#"[{"Duration":1e400}]"#, [nil]), (#"[{"Duration":-1e400}]"#, [nil]), (#"[{"Duration":1e-400}]"#, [nil]),
            (#"[{"Duration":2e3}]"#, [2000]), (#"[{"Duration":2E+3}]"#, [2000]), (#"[{"Duration":1e9}]"#, [nil]),
            (#"[{"Duration":999999999.5}]"#, [999_999_999.5]),
            (#"[{"Duration":12.5,"Duration":99}]"#, [12.5]), (#"[{"Duration":null,"Duration":99}]"#, [nil]),
            (#"[{"Durat\u0069on":7}]"#, [7]), (#"[{"duration":7}]"#, [nil]),
            (#"[{"VideoStreamSet":[{"Duration":3}],"VideoDuration":5,"Duration":4}]"#, [4]),
            (#"[5,null,"x",[],true,{"Duration":4}]"#, [nil, nil, nil, nil, nil, 4]),
            (#"[]"#, []), (#"null"#, []), (#"{"Duration":5}"#, []), (#""x""#, []), (#"5"#, []), (#"true"#, []),
        ]
        for (metadatas, durations) in cases {
            for wrapped in [false, true] {
                let report = try NotificationReport.decode(Self.body(metadatas: metadatas, wrapped: wrapped))
                #expect(report.eventProblem == nil, "\(metadatas)")
                #expect(report.mediaDurations == durations, "\(metadatas)")
                #expect(report.outputs.map(\.status) == [.success, .fail], "\(metadatas)")
                #expect(report.outputs.map(\.mediaSeconds) == [durations.first ?? nil, durations.dropFirst().first ?? nil], "\(metadatas)")
            }
        }
    }

    /// The first `Metadatas` of an event counts (as JSONDecoder reads a duplicate key).
    @Test func theFirstOfTwoMetadatasCounts() throws {
        let body = #"{"EventType":"BatchTask","SessionContext":"x","BatchTaskEvent":{"Metadatas":[{"Duration":1}],"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"SUCCESS"}]},"Metadatas":[{"Duration":2}]}}"#
        let report = try NotificationReport.decode(Array(body.utf8))
        #expect(report.mediaDurations == [1])
        #expect(report.outputs.map(\.mediaSeconds) == [1])
    }

    /// More durations than outputs, or more outputs than durations: each output takes its own
    /// input's, and none is shifted onto another input.
    @Test func eachOutputTakesOnlyItsOwnInputsDuration() throws {
        let more = Self.body(metadatas: #"[{"Duration":1},{"Duration":2},{"Duration":3}]"#)
        #expect(try NotificationReport.decode(more).outputs.map(\.mediaSeconds) == [1, 2])
        let fewer = Self.body(metadatas: #"[{"Duration":1}]"#)
        #expect(try NotificationReport.decode(fewer).outputs.map(\.mediaSeconds) == [1, nil])
        let gap = Self.body(metadatas: #"[null,{"Duration":2}]"#)
        #expect(try NotificationReport.decode(gap).outputs.map(\.mediaSeconds) == [nil, 2])
    }
}
