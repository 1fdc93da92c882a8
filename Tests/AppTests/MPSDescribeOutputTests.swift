import Curl
import Foundation
import MPS
import MPSEmulator
import MPSTransport
import NIOPosix
import Testing

@testable import App

/// What `mpshook mps describe` prints: MPS's answer, without the secrets it echoes.
@Suite struct MPSDescribeOutputTests {
    /// A DescribeBatchTaskDetail answer echoing a NotifyKey and a NotifyUrl token, as MPS may.
    static let detail: JSONValue = [
        "TaskId": "24000030-BatchTask-x",
        "Status": "FINISH",
        "SessionContext": "mh1:abc",
        "TaskNotifyConfig": [
            "NotifyType": "URL", "NotifyMode": "Finish",
            "NotifyUrl": "https://hook.example.com/mps/notify?token=v1.k1.SECRET-TOKEN",
            "NotifyKey": "SECRET-NOTIFY-KEY",
        ],
        "BatchTaskResult": [
            "InputInfos": [["Type": "URL", "UrlInputInfo": ["Url": "https://e.com/a.mp4"]]]
        ],
    ]

    @Test func theNotifyKeyAndTheNotifyUrlTokenAreRedacted() throws {
        let printed = MPSCommand.Describe.render(Self.detail)
        #expect(!printed.contains("SECRET-NOTIFY-KEY"))
        #expect(!printed.contains("SECRET-TOKEN"))
        #expect(printed.contains("https://hook.example.com/mps/notify?<redacted>"))
        #expect(printed.contains(#""NotifyKey" : "<redacted>""#))
        // Everything else is printed as MPS answered it.
        #expect(printed.contains("24000030-BatchTask-x"))
        #expect(printed.contains("https://e.com/a.mp4"))
        #expect(printed.contains(#""NotifyMode" : "Finish""#))
    }

    @Test func anEmptyNotifyKeyStaysEmpty() throws {
        let detail: JSONValue = ["TaskNotifyConfig": ["NotifyType": "URL", "NotifyKey": ""]]
        #expect(MPSCommand.Describe.render(detail).contains(#""NotifyKey" : """#))
    }

    /// Against the emulator, which echoes the NotifyUrl it was given.
    @Test func theEchoOfARealSubmissionShowsNoToken() async throws {
        try await EmulatorServer.withRunningEmulator(configuration: EmulatorConfiguration(processingTime: .seconds(30))) { running in
            let detail = try await Self.submitAndDescribe(
                endpoint: running.endpoint,
                notifyUrl: "http://127.0.0.1:1/mps/notify?token=v1.k1.SECRET-TOKEN", notifyKey: "SECRET-NOTIFY-KEY"
            )
            #expect(detail["TaskNotifyConfig"]?["NotifyUrl"]?.stringValue?.contains("SECRET-TOKEN") == true, "the emulator echoes the token")
            let printed = MPSCommand.Describe.render(detail)
            #expect(!printed.contains("SECRET-TOKEN"))
            #expect(!printed.contains("SECRET-NOTIFY-KEY"))
            #expect(printed.contains("http://127.0.0.1:1/mps/notify?<redacted>"))
        }
    }

    /// Submits a task notifying `notifyUrl`, then answers DescribeBatchTaskDetail for it as JSON.
    static func submitAndDescribe(endpoint: String, notifyUrl: String, notifyKey: String) async throws -> JSONValue {
        let threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()
        do {
            let client = MPSClient(
                configuration: MPSClientConfiguration(
                    endpoint: try #require(MPSEndpoint(endpoint)),
                    credentials: TencentCloudCredentials(
                        secretId: EmulatorConfiguration.defaultSecretId, secretKey: EmulatorConfiguration.defaultSecretKey
                    )
                ),
                http: CurlClient(threadPool: threadPool)
            )
            let request = BatchProcessMediaRequest(
                inputInfo: [.url("https://e.com/a.mp4")], outputStorage: .cos(bucket: "b-125", region: "ap-guangzhou"),
                smartSubtitlesTask: SmartSubtitlesTaskInput(
                    definition: 0, rawParameter: RawSmartSubtitleParameter(subtitleType: .source, videoSrcLanguage: try SourceLanguage("en"))
                ),
                taskNotifyConfig: .url(notifyUrl, key: notifyKey)
            )
            let taskId = try #require(try await client.batchProcessMedia(request).taskId)
            let body = Array(try MPSJSON.encoder.encode(DescribeBatchTaskDetailRequest(taskId: taskId)))
            let detail: JSONValue = try await client.call("DescribeBatchTaskDetail", body: body)
            try await threadPool.shutdownGracefully()
            return detail
        } catch {
            try? await threadPool.shutdownGracefully()
            throw error
        }
    }
}
