import MPS
import Testing
import Workflows

/// An output's `mediaSeconds` is its input's duration from the report that made it `SUCCESS`.
@Suite struct OutputMediaSecondsTests {
    static let start = OutputRecord(inputIndex: 0, jobInputIndex: 0, inputURL: "https://e/a.mp4")

    @Test func theReportThatMakesAnOutputSucceedSetsItsMediaSeconds() throws {
        let success = NotificationReport.Output(status: .success, progress: 100, path: "/s/a.vtt", mediaSeconds: 55.455)
        #expect(try #require(Self.start.merging(success)).mediaSeconds == 55.455)
        let processed = try #require(Self.start.merging(NotificationReport.Output(status: .processing, progress: 40)))
        #expect(try #require(processed.merging(success)).mediaSeconds == 55.455)
    }

    /// Only what finished counts as processed media: a PROCESSING or FAIL report, even one that
    /// names a duration, leaves the output's as it was.
    @Test func reportsThatDoNotSucceedLeaveMediaSecondsAsItWas() throws {
        let processing = NotificationReport.Output(status: .processing, progress: 40, mediaSeconds: 10)
        let fail = NotificationReport.Output(status: .fail, errorCode: "SourceFileError", mediaSeconds: 10)
        #expect(try #require(Self.start.merging(processing)).mediaSeconds == nil)
        #expect(try #require(Self.start.merging(fail)).mediaSeconds == nil)
        var known = Self.start
        known.mediaSeconds = 7
        #expect(try #require(known.merging(processing)).mediaSeconds == 7)
        #expect(try #require(known.merging(fail)).mediaSeconds == 7)
    }

    /// A SUCCESS report without a duration does not erase one already known.
    @Test func aSuccessWithoutADurationKeepsTheKnownOne() throws {
        var known = OutputRecord(inputIndex: 0, jobInputIndex: 0, inputURL: "https://e/a.mp4", state: .processing, progress: 50, mediaSeconds: 7)
        #expect(try #require(known.merging(NotificationReport.Output(status: .success, progress: 100))).mediaSeconds == 7)
        known.mediaSeconds = nil
        #expect(try #require(known.merging(NotificationReport.Output(status: .success, progress: 100))).mediaSeconds == nil)
    }

    /// End to end, as the applier merges a decoded notification into a step's outputs: each
    /// output takes its own input's duration (`Outputs[i]` and `Metadatas[i]` are input i).
    @Test func aDecodedNotificationGivesEachSucceededOutputItsInputsDuration() throws {
        let body = #"""
            {"EventType":"BatchTask","SessionContext":"x","Timestamp":1,"Sign":"s","BatchTaskEvent":{
             "Metadatas":[{"Duration":55.455,"VideoDuration":54.9},{"Duration":3600},{"Duration":12}],
             "SmartSubtitlesTaskResult":{"Outputs":[
              {"Status":"SUCCESS","Progress":100,"AsrFullTextTask":{"Path":"/a.vtt"}},
              {"Status":"SUCCESS","Progress":100,"AsrFullTextTask":{"Path":"/b.vtt"}},
              {"Status":"FAIL","ErrCodeExt":"SourceFileError"}]}}}
            """#
        let report = try NotificationReport.decode(Array(body.utf8))
        var outputs = (0..<3).map { OutputRecord(inputIndex: $0, jobInputIndex: $0, inputURL: "https://e/\($0).mp4") }
        for (index, output) in report.outputs.enumerated() {
            outputs[index] = try #require(outputs[index].merging(output))
        }
        #expect(outputs.map(\.state) == [.success, .success, .fail])
        #expect(outputs.map(\.mediaSeconds) == [55.455, 3600, nil])
    }
}
