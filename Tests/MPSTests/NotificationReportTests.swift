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
            #expect(report.eventType == full.eventType, "\(name)")
            #expect(report.outputs.map(\.status) == outputs.map(\.status), "\(name)")
            #expect(report.outputs.map(\.progress) == outputs.map(\.progress), "\(name)")
            #expect(report.outputs.map(\.path) == outputs.map { $0.transTextTask?.path ?? $0.asrFullTextTask?.path }, "\(name)")
            #expect(report.outputs.map(\.errorCode) == outputs.map(\.errCodeExt), "\(name)")
        }
    }

    @Test func oddFieldsReadAsNilInsteadOfFailing() throws {
        let body = #"{"EventType":"BatchTask","BatchTaskEvent":{"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"SUCCESS","Progress":"100","AsrFullTextTask":{"Path":"/a.vtt"}},{"Status":null}]}}}"#
        let report = try NotificationReport.decode(Array(body.utf8))
        #expect(report.outputs.count == 2)
        #expect(report.outputs[0].status == .success)
        #expect(report.outputs[0].progress == nil)
        #expect(report.outputs[0].path == "/a.vtt")
        #expect(report.outputs[1].status == nil)
    }

    @Test func aBodyThatIsNotAnObjectThrows() {
        #expect(throws: (any Error).self) { try NotificationReport.decode(Array("[1]".utf8)) }
    }
}
