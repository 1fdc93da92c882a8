import Foundation
import MPS
import MPSEmulator
import MPSTransport
import Testing

/// The emulator refuses and accepts bodies as MPS does (it shares `BatchProcessMediaValidator`):
/// raw bodies sent with `MPSClient.call`, so the client's own validation is not in the way.
@Suite struct EmulatorRequestRulesTests {
    static func body(editing edit: (inout [String: JSONValue]) -> Void) throws -> [UInt8] {
        var object = try #require(try MPSJSON.decoder.decode(JSONValue.self, from: Data(requestJSON().utf8)).objectValue)
        edit(&object)
        return Array(try MPSJSON.encoder.encode(JSONValue.object(object)))
    }

    @Test func definitionZeroWithoutRawParameterIsRefusedWithTheDefinitionCode() async throws {
        let body = try Self.body { $0["SmartSubtitlesTask"] = ["Definition": 0] }
        try await withEmulatorAndClient { running, client in
            let error = await #expect(throws: MPSError.self) {
                let _: BatchProcessMediaResponse = try await client.call("BatchProcessMedia", body: body)
            }
            #expect(error?.code == "InvalidParameterValue.Definition")
            #expect(error?.message.hasPrefix("SmartSubtitlesTask.Definition:") == true)
            #expect(error?.errorClass == .final)
            #expect(running.emulator.calls.allSatisfy { $0.taskId == nil })
        }
    }

    @Test func nullInOptionalFieldsIsAcceptedAsAbsent() async throws {
        let body = try Self.body { object in
            object["OutputDir"] = .null
            object["TasksPriority"] = .null
            object["ResourceId"] = .null
            object["TaskNotifyConfig"] = .null
            object["SmartSubtitlesTask"] = [
                "Definition": .null,
                "RawParameter": ["SubtitleType": 0, "VideoSrcLanguage": "en", "SubtitleFormat": "srt", "AsrHotWordsConfigure": .null],
            ]
        }
        try await withEmulatorAndClient { running, client in
            let created: BatchProcessMediaResponse = try await client.call("BatchProcessMedia", body: body)
            let taskId = try #require(created.taskId)
            let detail = try await client.describeBatchTaskDetail(taskId: taskId)
            #expect(detail.tasksPriority == 0)
            #expect(running.emulator.calls.map(\.errorCode) == [nil, nil])
        }
    }

    @Test func nullInARequiredFieldIsRefusedAtThatField() async throws {
        let body = try Self.body { $0["InputInfo"] = .null }
        try await withEmulatorAndClient { _, client in
            let error = await #expect(throws: MPSError.self) {
                let _: BatchProcessMediaResponse = try await client.call("BatchProcessMedia", body: body)
            }
            #expect(error?.code == "MissingParameter")
            #expect(error?.message.hasPrefix("InputInfo:") == true)
        }
    }
}
