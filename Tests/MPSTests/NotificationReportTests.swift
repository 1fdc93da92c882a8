import Foundation
@testable import MPS
import Testing

@Suite struct NotificationReportTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
        return Array(try Data(contentsOf: url))
    }

    @Test func readsWhatApplyingNeedsAsTheFullModelDoes() throws {
        for name in ["notification-success", "notification-failure", "notification-wrapped", "notification-extra-fields"] {
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
}
