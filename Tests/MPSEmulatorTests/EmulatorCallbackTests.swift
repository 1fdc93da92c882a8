import Curl
import Foundation
import MPS
import MPSTransport
import NIOPosix
@testable import MPSEmulator
import Testing

/// Callbacks from the emulator to a local receiver, checked with the MPS module's verifier.
@Suite struct EmulatorCallbackTests {
    static let key = "test-notify-key"

    @Test func changeModeDeliversWaitingProcessingSuccessEachSigned() async throws {
        let receiver = CallbackReceiver()
        try await receiver.run { url in
            try await withEmulatorAndClient { running, client in
                _ = try await client.batchProcessMedia(try request(requestJSON(sessionContext: "mh1:change", notifyUrl: url, mode: "Change")))
                let bodies = try await receiver.waitFor(3)
                #expect(bodies.count == 3)
                #expect(try bodies.map(statuses) == [["WAITING"], ["PROCESSING"], ["SUCCESS"]])
                let verifier = NotificationVerifier(notifyKey: Self.key, allowedSkew: 0)
                let now = Int64(Date().timeIntervalSince1970)
                for body in bodies {
                    let envelope = try verifier.verify(body, now: now).get()
                    #expect(envelope.sessionContext == "mh1:change")
                    #expect(envelope.eventType == "BatchTask")
                    // Timestamp is the expiry: about ten minutes ahead.
                    #expect((envelope.timestamp ?? 0) > now + 500)
                }
                let final = try MPSNotification.decode(from: bodies[2])
                #expect(final.batchTaskEvent?.smartSubtitlesTaskResult?.outputs?.first?.transTextTask?.segmentSet?.isEmpty == false)
                let recorded = try await recordedCallbacks(running, atLeast: 3)
                #expect(recorded.map(\.outcome) == ["sent", "sent", "sent"])
                #expect(recorded.allSatisfy { $0.url.hasSuffix("?<redacted>") })
            }
        }
    }

    @Test func finishModeDeliversOneNotificationWithEveryOutcome() async throws {
        let receiver = CallbackReceiver()
        try await receiver.run { url in
            try await withEmulatorAndClient { _, client in
                let json = requestJSON(urls: ["https://e.com/ok.mp4", "https://e.com/fail.mp4"], notifyUrl: url, translate: false)
                _ = try await client.batchProcessMedia(try request(json))
                let bodies = try await receiver.waitFor(1)
                #expect(bodies.count == 1)
                #expect(try statuses(bodies[0]) == ["SUCCESS", "FAIL"])
                let notification = try MPSNotification.decode(from: bodies[0])
                let outputs = try #require(notification.batchTaskEvent?.smartSubtitlesTaskResult?.outputs)
                #expect(outputs[0].asrFullTextTask?.subtitleInfo?.language == "en")
                #expect(outputs[1].errCodeExt == "SourceFileError")
                // No more arrive for a Finish-mode task.
                try await Task.sleep(for: .milliseconds(400))
                #expect(receiver.bodies.count == 1)
            }
        }
    }

    @Test func droppedCallbacksNeverArrive() async throws {
        let receiver = CallbackReceiver()
        var configuration = EmulatorConfiguration(processingTime: .milliseconds(100))
        configuration.faults.dropShare = 1
        try await receiver.run { url in
            try await withEmulatorAndClient(configuration: configuration) { running, client in
                _ = try await client.batchProcessMedia(try request(requestJSON(notifyUrl: url, mode: "Change")))
                let recorded = try await recordedCallbacks(running, atLeast: 3)
                #expect(recorded.map(\.outcome) == ["dropped", "dropped", "dropped"])
                #expect(receiver.bodies.isEmpty)
            }
        }
    }

    @Test func duplicatedCallbacksArriveTwice() async throws {
        let receiver = CallbackReceiver()
        var configuration = EmulatorConfiguration(processingTime: .milliseconds(100))
        configuration.faults.duplicateShare = 1
        try await receiver.run { url in
            try await withEmulatorAndClient(configuration: configuration) { _, client in
                _ = try await client.batchProcessMedia(try request(requestJSON(notifyUrl: url)))
                let bodies = try await receiver.waitFor(2)
                #expect(bodies.count == 2)
                #expect(try bodies.map(statuses) == [["SUCCESS"], ["SUCCESS"]])
                #expect(bodies[0] != bodies[1])  // signed again, a second later
            }
        }
    }

    @Test func reorderedCallbacksArriveNewestFirst() async throws {
        let receiver = CallbackReceiver()
        var configuration = EmulatorConfiguration(processingTime: .milliseconds(100))
        configuration.faults.reorder = true
        try await receiver.run { url in
            try await withEmulatorAndClient(configuration: configuration) { _, client in
                _ = try await client.batchProcessMedia(try request(requestJSON(notifyUrl: url, mode: "Change")))
                let bodies = try await receiver.waitFor(3)
                #expect(try bodies.map(statuses) == [["SUCCESS"], ["PROCESSING"], ["WAITING"]])
            }
        }
    }

    @Test func failedDeliveriesAreRetried() async throws {
        let receiver = CallbackReceiver(status: 500)
        let configuration = EmulatorConfiguration(
            processingTime: .milliseconds(50), callbackRetries: 2, callbackRetryDelay: .milliseconds(50)
        )
        try await receiver.run { url in
            try await withEmulatorAndClient(configuration: configuration) { running, client in
                _ = try await client.batchProcessMedia(try request(requestJSON(notifyUrl: url)))
                let bodies = try await receiver.waitFor(3)
                #expect(bodies.count == 3)
                let recorded = try await recordedCallbacks(running, atLeast: 3)
                #expect(recorded.map(\.attempt) == [1, 2, 3])
                #expect(recorded.allSatisfy { $0.outcome == "failed" && $0.httpStatus == 500 })
            }
        }
    }
}

@Suite struct EmulatorSafetyTests {
    @Test(arguments: [
        ("http://127.0.0.1:8080/mps/notify?token=x", true),
        ("https://127.1.2.3/x", true),
        ("http://localhost:9/x", true),
        ("http://[::1]:8080/x", true),
        ("http://xxxx.com/v2/push/mps_test?token=73YcsZyP", false),
        ("http://127.0.0.1.evil.com/x", false),
        ("http://user@127.0.0.1/x", false),
        ("http://10.0.0.1/x", false),
        ("not a url", false),
    ])
    func callbacksGoToLoopbackOnly(url: String, allowed: Bool) {
        #expect(MPSEmulator.isLoopback(url) == allowed)
    }

    @Test func nonLoopbackNotifyUrlIsRecordedAsRefusedNotSent() async throws {
        try await withEmulatorAndClient(configuration: EmulatorConfiguration(processingTime: .milliseconds(50))) { running, client in
            _ = try await client.batchProcessMedia(try request(requestJSON(notifyUrl: "http://hooks.example.com/mps/notify?token=t")))
            #expect(try await recordedCallbacks(running, atLeast: 1).map(\.outcome) == ["refused"])
        }
    }
}

@Suite struct EmulatorControlTests {
    @Test func faultsCanBeSetAndCallsReadOverHTTP() async throws {
        try await withEmulatorAndClient(configuration: EmulatorConfiguration(processingTime: .seconds(30))) { running, client in
            let threadPool = NIOThreadPool(numberOfThreads: 2)
            threadPool.start()
            let http = CurlClient(threadPool: threadPool)
            do {
                let put = try await http.execute(HTTPRequest(
                    method: "PUT", url: running.endpoint + "/_emulator/faults",
                    headers: [("Content-Type", "application/json")],
                    body: Array(#"{"dropShare":0,"duplicateShare":0,"callbackDelayMilliseconds":0,"reorder":false,"internalErrorAfterCreate":1,"hangAfterCreate":0}"#.utf8)
                ))
                #expect(put.status == 200)
                #expect(running.emulator.faults.internalErrorAfterCreate == 1)
                let error = await #expect(throws: MPSError.self) { _ = try await client.batchProcessMedia(try request(requestJSON())) }
                #expect(error?.code == "InternalError")
                let calls = try await http.execute(HTTPRequest(url: running.endpoint + "/_emulator/calls"))
                let recorded = try JSONDecoder().decode([RecordedCall].self, from: Data(calls.body))
                #expect(recorded.count == 1)
                #expect(recorded.first?.errorCode == "InternalError")
                #expect(recorded.first?.taskId != nil)
                let reset = try await http.execute(HTTPRequest(method: "POST", url: running.endpoint + "/_emulator/reset"))
                #expect(reset.status == 204)
                #expect(running.emulator.calls.isEmpty)
            } catch {
                try? await threadPool.shutdownGracefully()
                throw error
            }
            try await threadPool.shutdownGracefully()
        }
    }

    @Test func delayedCallbacksWaitAtLeastTheDelay() async throws {
        let receiver = CallbackReceiver()
        var configuration = EmulatorConfiguration(processingTime: .milliseconds(50))
        configuration.faults.callbackDelayMilliseconds = 600
        try await receiver.run { url in
            try await withEmulatorAndClient(configuration: configuration) { running, client in
                let started = ContinuousClock.now
                _ = try await client.batchProcessMedia(try request(requestJSON(notifyUrl: url)))
                let bodies = try await receiver.waitFor(1)
                #expect(bodies.count == 1)
                #expect(ContinuousClock.now - started >= .milliseconds(650))
                #expect(try await recordedCallbacks(running, atLeast: 1).map(\.outcome) == ["sent"])
            }
        }
    }
}
