import Curl
import Foundation
import MPS
import MPSEmulator
import MPSTransport
import NIOPosix
import Testing
import TestSupport

/// Checks our wire format with the official Python SDK's own code (scripts/sdk_conformance.py):
/// the Authorization header of a request mpshook really sent, and the emulator's responses and
/// notifications deserialised into the SDK's models with no field dropped.
/// scripts/test.sh provides the SDK (MPSHOOK_SDK_PYTHON) and requires this suite to run.
@Suite(.enabled(if: SDKEnvironment.isEnabled, "needs the Python SDK: run scripts/test.sh or set MPSHOOK_SDK_PYTHON"))
struct SDKConformanceTests {

    @Test func theOfficialSDKAgreesWithOurSignaturesResponsesAndNotifications() async throws {
        let python = try #require(SDKEnvironment.python, "MPSHOOK_SDK_PYTHON is not set but the SDK check is required")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sdk-conformance-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("models"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var models: [(String, String, JSONValue)] = []

        // (a) A request as mpshook really sends it, captured at a plain HTTP listener.
        let capture = CallbackReceiver(answer: #"{"Response":{"TaskId":"24000030-BatchTask-x","RequestId":"r-1"}}"#)
        let credentials = TencentCloudCredentials(secretId: "AKIDconformanceExample", secretKey: "conformance-secret-key")
        var signatures: [JSONValue] = []
        let threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()
        do {
            try await capture.run { url in
                let endpoint = try #require(MPSEndpoint(url.replacingOccurrences(of: "/mps/notify?token=secret-token", with: "")))
                let client = MPSClient(
                    configuration: MPSClientConfiguration(endpoint: endpoint, credentials: credentials),
                    http: CurlClient(threadPool: threadPool)
                )
            let json = requestJSON(
                urls: ["https://example.com/videos/d%C3%A9mo%201.mp4", "https://example.com/b.mp4"],
                sessionContext: "mh1:conformance/ünïcode", notifyUrl: "https://hooks.example.com/mps/notify?token=t", mode: "Change"
            )
            _ = try await client.batchProcessMedia(try request(json))
            let captured = try #require(capture.requests.first)
            signatures.append(.object([
                "secretId": .string(credentials.secretId), "secretKey": .string(credentials.secretKey),
                "timestamp": .number(Double(try #require(Int64(captured.headers["x-tc-timestamp"] ?? "")))),
                "host": .string(try #require(captured.headers["host"])),
                "contentType": .string(try #require(captured.headers["content-type"])),
                "body": .string(String(decoding: captured.body, as: UTF8.self)),
                "authorization": .string(try #require(captured.headers["authorization"])),
            ]))
            models.append(("request", "BatchProcessMediaRequest", try MPSJSON.decoder.decode(JSONValue.self, from: Data(captured.body))))
            }
        } catch {
            try? await threadPool.shutdownGracefully()
            throw error
        }
        try await threadPool.shutdownGracefully()

        // (b) What the emulator answers and sends.
        let receiver = CallbackReceiver()
        try await receiver.run { url in
            try await withEmulatorAndClient { _, client in
                let json = requestJSON(
                    urls: ["https://example.com/a.mp4", "https://example.com/fail.mp4"], notifyUrl: url, mode: "Change"
                )
                let created: JSONValue = try await client.call("BatchProcessMedia", body: Array(json.utf8))
                models.append(("created", "BatchProcessMediaResponse", created))
                let taskId = try #require(created["TaskId"]?.stringValue)
                let describeBody = Array(#"{"TaskId":"\#(taskId)"}"#.utf8)
                let early: JSONValue = try await client.call("DescribeBatchTaskDetail", body: describeBody)
                models.append(("describe-early", "DescribeBatchTaskDetailResponse", early))
                let bodies = try await receiver.waitFor(3)
                let late: JSONValue = try await client.call("DescribeBatchTaskDetail", body: describeBody)
                models.append(("describe-finished", "DescribeBatchTaskDetailResponse", late))
                for (index, body) in bodies.enumerated() {
                    models.append(("notification-\(index)", "ParseNotificationResponse", try MPSJSON.decoder.decode(JSONValue.self, from: Data(body))))
                }
                let plain = requestJSON(urls: ["https://example.com/c.mp4"], notifyUrl: url, translate: false)
                _ = try await client.batchProcessMedia(try request(plain))
                let all = try await receiver.waitFor(4)
                models.append(("notification-asr", "ParseNotificationResponse", try MPSJSON.decoder.decode(JSONValue.self, from: Data(all[3]))))
                // Several target languages from a detected source: one SubtitleResults item each.
                let several = requestJSON(
                    urls: ["https://example.com/v/a.mp4?lang=ja"], notifyUrl: url,
                    raw: #"{"SubtitleType":2,"VideoSrcLanguage":"auto","SubtitleFormat":"vtt","TranslateSwitch":"ON","TranslateDstLanguage":"en/ko"}"#
                )
                _ = try await client.batchProcessMedia(try request(several))
                let multilingual = try MPSJSON.decoder.decode(JSONValue.self, from: Data(try #require(try await receiver.waitFor(5).last)))
                let results = multilingual["BatchTaskEvent"]?["SmartSubtitlesTaskResult"]?["Outputs"]?.arrayValue?.first?["TransTextTask"]?["SubtitleResults"]
                #expect(results?.arrayValue?.compactMap { $0["TransDst"]?.stringValue } == ["en", "ko"])
                models.append(("notification-multilanguage", "ParseNotificationResponse", multilingual))
            }
        }

        let encoder = JSONEncoder()
        try encoder.encode(JSONValue.array(signatures)).write(to: folder.appendingPathComponent("signatures.json"))
        for (name, model, json) in models {
            try encoder.encode(JSONValue.object(["model": .string(model), "json": json]))
                .write(to: folder.appendingPathComponent("models/\(name).json"))
        }
        let script = SDKEnvironment.repositoryRoot.appendingPathComponent("scripts/sdk_conformance.py").path
        let child = try ChildProcess([python, script, folder.path], environment: SDKEnvironment.environment)
        defer { child.removeFiles() }
        let status = try await child.waitForExit(within: .seconds(60))
        #expect(status == 0, "\(child.standardOutput)\(child.standardError)")
        #expect(child.standardOutput.contains("sdk-conformance: \(1 + models.count) passed, 0 failed"))
    }
}

extension SDKConformanceTests {
    /// The official SDK set to GET (HttpProfile reqMethod "GET": the parameters in the query
    /// string, TC3 signed over it) gets a real DescribeBatchTaskDetail answer from the emulator.
    @Test func theOfficialSDKDescribesATaskOverGET() async throws {
        let python = try #require(SDKEnvironment.python, "MPSHOOK_SDK_PYTHON is not set but the SDK check is required")
        try await withEmulatorAndClient(configuration: EmulatorConfiguration(processingTime: .seconds(30))) { running, client in
            let taskId = try #require(try await client.batchProcessMedia(try request(requestJSON(sessionContext: "mh1:sdk-get"))).taskId)
            let script = SDKEnvironment.repositoryRoot.appendingPathComponent("scripts/sdk_conformance.py").path
            let child = try ChildProcess(
                [python, script, "--describe-get", running.endpoint, EmulatorConfiguration.defaultSecretId,
                 EmulatorConfiguration.defaultSecretKey, taskId, "mh1:sdk-get"],
                environment: SDKEnvironment.environment
            )
            defer { child.removeFiles() }
            let status = try await child.waitForExit(within: .seconds(60))
            #expect(status == 0, "\(child.standardOutput)\(child.standardError)")
            #expect(child.standardOutput.contains("describe-get: ok"))
            #expect(running.emulator.calls.last?.action == "DescribeBatchTaskDetail")
            #expect(running.emulator.calls.last?.errorCode == nil)
        }
    }
}

/// Where the SDK check finds its Python, and whether it must run.
enum SDKEnvironment {
    static let environment = ProcessInfo.processInfo.environment
    static let python = environment["MPSHOOK_SDK_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
    static let isEnabled = python != nil || environment["MPSHOOK_TEST_REQUIRE_SDK"] == "1"
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}
