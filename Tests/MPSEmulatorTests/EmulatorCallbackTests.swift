import Foundation
import MPS
import MPSEmulator
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
                #expect(running.emulator.callbacks.map(\.outcome) == ["sent", "sent", "sent"])
                #expect(running.emulator.callbacks.allSatisfy { $0.url.hasSuffix("?<redacted>") })
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
                let deadline = ContinuousClock.now + .seconds(5)
                while running.emulator.callbacks.count < 3, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(running.emulator.callbacks.map(\.outcome) == ["dropped", "dropped", "dropped"])
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
                let deadline = ContinuousClock.now + .seconds(5)
                while running.emulator.callbacks.count < 3, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(running.emulator.callbacks.map(\.attempt) == [1, 2, 3])
                #expect(running.emulator.callbacks.allSatisfy { $0.outcome == "failed" && $0.httpStatus == 500 })
            }
        }
    }
}
