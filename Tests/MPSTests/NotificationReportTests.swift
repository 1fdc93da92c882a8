import Foundation
@testable import MPS
import Testing

@Suite struct NotificationReportTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
        return Array(try Data(contentsOf: url))
    }

    @Test func readsWhatApplyingNeedsAsTheFullModelDoes() throws {
        for name in [
            "notification-success", "notification-failure", "notification-wrapped", "notification-extra-fields",
            "notification-recognition", "notification-multilanguage",
        ] {
            let bytes = try Self.fixture(name)
            let report = try NotificationReport.decode(bytes)
            let full = try MPSNotification.decode(from: bytes)
            let outputs = full.batchTaskEvent?.smartSubtitlesTaskResult?.outputs ?? []
            #expect(report.envelope.eventType == full.eventType, "\(name)")
            #expect(report.outputs.map(\.status) == outputs.map(\.status), "\(name)")
            #expect(report.outputs.map(\.progress) == outputs.map(\.progress), "\(name)")
            #expect(report.outputs.map(\.path) == outputs.map { $0.transTextTask?.path ?? $0.asrFullTextTask?.path }, "\(name)")
            #expect(report.outputs.map(\.errorCode) == outputs.map(\.errCodeExt), "\(name)")
        }
    }

    @Test func oddFieldsReadAsNilInsteadOfFailing() throws {
        let body = #"{"EventType":"BatchTask","SessionContext":"x","BatchTaskEvent":{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"SUCCESS","Progress":"100","AsrFullTextTask":{"Path":"/a.vtt"}},{"Status":null}]}}}"#
        let report = try NotificationReport.decode(Array(body.utf8))
        #expect(report.outputs.count == 2)
        #expect(report.outputs[0].status == .success)
        #expect(report.outputs[0].progress == nil)
        #expect(report.outputs[0].path == "/a.vtt")
        #expect(report.outputs[1].status == nil)
    }

    /// An event whose result or outputs are not MPS's shape is reported as a problem, never as
    /// "no outputs" (which the applier would take as a notification that changed nothing).
    @Test func anEventWhoseOutputsCannotBeReadSaysSoInsteadOfReportingNone() throws {
        let shapes = [
            #"{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"SUCCESS"},5]}}"#,
            #"{"SmartSubtitlesTaskResult":{"Outputs":{"Status":"SUCCESS"}}}"#,
            #"{"SmartSubtitlesTaskResult":"done"}"#,
            #""SUCCESS""#,
        ]
        for event in shapes {
            let body = #"{"EventType":"BatchTask","SessionContext":"x","BatchTaskEvent":\#(event)}"#
            let report = try NotificationReport.decode(Array(body.utf8))
            #expect(report.eventProblem != nil, "\(event)")
            #expect(report.outputs.isEmpty, "\(event)")
        }
        for event in ["null", "{}", #"{"SmartSubtitlesTaskResult":null}"#, #"{"SmartSubtitlesTaskResult":{"Outputs":null}}"#] {
            let body = #"{"EventType":"BatchTask","SessionContext":"x","BatchTaskEvent":\#(event)}"#
            #expect(try NotificationReport.decode(Array(body.utf8)).eventProblem == nil, "\(event)")
        }
    }

    /// The applier reads exactly what the door verified: the same envelope, top level or wrapped.
    @Test func theReportsEnvelopeIsTheDoorsForAcceptedBodies() throws {
        var bodies = try ["notification-success", "notification-failure", "notification-wrapped", "notification-extra-fields"].map(Self.fixture)
        bodies.append(Array(#"{"EventType":"BatchTask","SessionContext":"mh1:\u0061b","Timestamp":"17","Sign":"s","BatchTaskEvent":null}"#.utf8))
        bodies.append(Array(#"{"Response":{"EventType":"BatchTask","SessionContext":"w","Timestamp":17,"Sign":"s"},"RequestId":"r"}"#.utf8))
        for body in bodies {
            let door = try NotificationVerifier.read(body).get().envelope
            #expect(try NotificationReport.decode(body).envelope == door, "\(String(decoding: body.prefix(60), as: UTF8.self))")
        }
    }

    /// The outputs come from the `BatchTaskEvent` of the object holding the envelope, and only there.
    @Test func outputsComeFromTheEnvelopesOwnBatchTaskEvent() throws {
        let event = #"{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"SUCCESS","AsrFullTextTask":{"Path":"/ok.vtt"}}]}}"#
        let wrapped = #"{"Response":{"EventType":"BatchTask","SessionContext":"a","BatchTaskEvent":\#(event)},"Other":{"BatchTaskEvent":null}}"#
        #expect(try NotificationReport.decode(Array(wrapped.utf8)).outputs.map(\.path) == ["/ok.vtt"])
        let nested = #"{"EventType":"BatchTask","SessionContext":"a","Extra":{"BatchTaskEvent":\#(event)}}"#
        #expect(try NotificationReport.decode(Array(nested.utf8)).outputs.isEmpty)
    }

    /// The attack of issue 8: a verified envelope (PROCESSING) and an escaped `Response` wrapper
    /// carrying an unverified SUCCESS. The applier refuses it as the door does.
    @Test func aBodyTheDoorRefusesAsAmbiguousIsNotDecoded() {
        let attack = #"{"EventType":"BatchTask","SessionContext":"a","Timestamp":1,"Sign":"s","BatchTaskEvent":{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"PROCESSING"}]}},"Respons\u0065":{"EventType":"BatchTask","SessionContext":"a","BatchTaskEvent":{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"SUCCESS","AsrFullTextTask":{"Path":"/EVIL/injected.vtt"}}]}}}}"#
        #expect(throws: NotificationRejection.ambiguous) { try NotificationReport.decode(Array(attack.utf8)) }
    }

    @Test func aBodyThatIsNotAnObjectThrows() {
        #expect(throws: (any Error).self) { try NotificationReport.decode(Array("[1]".utf8)) }
    }

    // MARK: Every subtitle file, per language

    static let cos = "https://subs-1250000000.cos.ap-guangzhou.myqcloud.com"

    /// A body whose event is `{"SmartSubtitlesTaskResult": result}`.
    static func report(result: String) throws -> NotificationReport {
        try NotificationReport.decode(Array(#"{"EventType":"BatchTask","SessionContext":"x","BatchTaskEvent":{"SmartSubtitlesTaskResult":\#(result)}}"#.utf8))
    }

    @Test func recognitionOnlyGivesOneRecognitionFileWithItsLanguageAndSegments() throws {
        let report = try NotificationReport.decode(try Self.fixture("notification-recognition"))
        #expect(report.outputs.count == 2)
        #expect(report.outputs[0].files == [
            SubtitleFile(
                kind: .recognition, language: "ja", status: "Success", path: "/subtitles/talk_smartsubtitle_0.srt",
                url: Self.cos + "/subtitles/talk_smartsubtitle_0.srt", segmentCount: 3, lastSegmentEnd: 7.75
            )
        ])
        #expect(report.outputs[1].files == [])
        // The one-path fields stay as they were.
        #expect(report.outputs[0].path == "/subtitles/talk_smartsubtitle_0.srt")
        #expect(report.outputs[0].subtitleURL == Self.cos + "/subtitles/talk_smartsubtitle_0.srt")
    }

    /// The official example's shape: one target language, `SubtitleResults: []`, so the language
    /// pair comes from the echoed `RawParameter`.
    @Test func aSingleTranslationWithoutSubtitleResultsTakesItsLanguagesFromTheEcho() throws {
        let report = try NotificationReport.decode(try Self.fixture("notification-success"))
        #expect(report.outputs.map(\.files) == [[
            SubtitleFile(
                kind: .translation, language: "zh", sourceLanguage: "en", path: "/subtitles/demo_smartsubtitle_0.vtt",
                url: Self.cos + "/subtitles/demo_smartsubtitle_0.vtt", segmentCount: 2, lastSegmentEnd: 5.62
            )
        ]])
    }

    /// Several target languages: the recognition, then one file per `SubtitleResults` item with its
    /// own status; only the item at the task's own `Path` gets the task's URL and segments.
    @Test func aMultiLanguageTranslationKeepsEveryLanguageWithItsOwnStatus() throws {
        let report = try NotificationReport.decode(try Self.fixture("notification-multilanguage"))
        let files = try #require(report.outputs.first?.files)
        #expect(files == [
            SubtitleFile(
                kind: .recognition, language: "ja", status: "Success", path: "/subtitles/interview_smartsubtitle_0.vtt",
                url: Self.cos + "/subtitles/interview_smartsubtitle_0.vtt", segmentCount: 2, lastSegmentEnd: 6.125
            ),
            SubtitleFile(
                kind: .translation, language: "en", sourceLanguage: "ja", status: "Success",
                path: "/subtitles/interview_smartsubtitle_0_en.vtt",
                url: Self.cos + "/subtitles/interview_smartsubtitle_0_en.vtt", segmentCount: 2, lastSegmentEnd: 6.125
            ),
            SubtitleFile(
                kind: .translation, language: "ko", sourceLanguage: "ja", status: "Error",
                path: "/subtitles/interview_smartsubtitle_0_ko.vtt"
            ),
        ])
        // The one-path fields stay as they were: the translation's.
        #expect(report.outputs[0].path == "/subtitles/interview_smartsubtitle_0_en.vtt")
    }

    /// Languages fall back to the echo only when it names one language (`auto` and `en/ko` do not);
    /// recognition's path falls back to `SubtitleInfo.Path`.
    @Test func echoedLanguagesAreUsedOnlyWhenTheyNameOneLanguage() throws {
        let auto = try Self.report(result: #"""
            {"Input":{"RawParameter":{"VideoSrcLanguage":"auto","TranslateDstLanguage":"en/ko"}},"Outputs":[{"Status":"SUCCESS",
             "AsrFullTextTask":{"SubtitlePath":"https://h/r.vtt","SubtitleInfo":{"Path":"/r.vtt"}},
             "TransTextTask":{"Path":"/t.vtt","SubtitleResults":[]}}]}
            """#)
        #expect(auto.outputs.first?.files == [
            SubtitleFile(kind: .recognition, path: "/r.vtt", url: "https://h/r.vtt"),
            SubtitleFile(kind: .translation, path: "/t.vtt"),
        ])
        let named = try Self.report(result: #"""
            {"Input":{"RawParameter":{"VideoSrcLanguage":"fr","TranslateDstLanguage":"de"}},"Outputs":[{"Status":"SUCCESS",
             "AsrFullTextTask":{"Path":"/r.vtt"},"TransTextTask":{"Path":"/t.vtt"}}]}
            """#)
        #expect(named.outputs.first?.files == [
            SubtitleFile(kind: .recognition, language: "fr", path: "/r.vtt"),
            SubtitleFile(kind: .translation, language: "de", sourceLanguage: "fr", path: "/t.vtt"),
        ])
    }

    /// Odd echoes, results, segments and leaves read as nil; files with neither path nor URL are
    /// left out; the report never fails for them.
    @Test func oddSubtitleFieldsReadAsNilAndFilesWithoutLocationAreOmitted() throws {
        let report = try Self.report(result: #"""
            {"Input":{"RawParameter":5},"Outputs":[
             {"Status":"SUCCESS","TransTextTask":{"Path":"/t.vtt","SubtitlePath":7,"SubtitleResults":"odd","SegmentSet":{"n":1}},
              "AsrFullTextTask":{"Path":"","SubtitlePath":null,"SubtitleInfo":{"Language":"en"}}},
             {"Status":"SUCCESS","TransTextTask":{"Path":"/t.vtt","SubtitleResults":[5,{"TransDst":"fr","Path":"/fr.vtt","Status":3},{"TransDst":"it"}],
              "SegmentSet":[{"EndTimeOffset":"late","Text":9},4]}},
             {"Status":"SUCCESS","AsrFullTextTask":{"Path":"/r.vtt","SegmentSet":[{"EndTimeOffset":2,"Text":false},{"EndTimeOffset":"x"}]}},
             {"Status":"SUCCESS","AsrFullTextTask":{"Path":"/e.vtt","SegmentSet":[]},"TransTextTask":"odd"}
            ]}
            """#)
        #expect(report.eventProblem == nil)
        #expect(report.outputs.map(\.files) == [
            [SubtitleFile(kind: .translation, path: "/t.vtt")],
            [SubtitleFile(kind: .translation, language: "fr", path: "/fr.vtt")],
            [SubtitleFile(kind: .recognition, path: "/r.vtt", segmentCount: 2)],
            [SubtitleFile(kind: .recognition, path: "/e.vtt", segmentCount: 0)],
        ])
        let oddInput = try Self.report(result: #"{"Input":"x","Outputs":[{"AsrFullTextTask":{"Path":"/r.vtt"}}]}"#)
        #expect(oddInput.outputs.first?.files == [SubtitleFile(kind: .recognition, path: "/r.vtt")])
    }
}
