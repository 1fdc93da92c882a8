import Curl
import Foundation
import MPS
import MPSEmulator
import MPSTransport
import Testing

/// The MPS client against the emulator over real HTTP on loopback.
@Suite struct EmulatorRoundTripTests {
    @Test func submitThenDescribeUntilFinished() async throws {
        // Long enough that the first query certainly comes before the end, even on a busy machine.
        try await withEmulatorAndClient(configuration: EmulatorConfiguration(processingTime: .seconds(3))) { running, client in
            let created = try await client.batchProcessMedia(try request(requestJSON(sessionContext: "mh1:round-trip")))
            let taskId = try #require(created.taskId)
            #expect(taskId.hasPrefix("24000030-BatchTask-"))
            #expect(created.requestId?.isEmpty == false)

            let first = try await client.describeBatchTaskDetail(taskId: taskId)
            #expect(first.taskId == taskId)
            #expect(first.sessionContext == "mh1:round-trip")
            #expect(first.status == .waiting || first.status == .processing)

            var finished = first
            let deadline = ContinuousClock.now + .seconds(10)
            while finished.status != .finish, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
                finished = try await client.describeBatchTaskDetail(taskId: taskId)
            }
            #expect(finished.status == .finish)
            let output = try #require(finished.batchTaskResult?.smartSubtitlesTaskResult?.outputs?.first)
            #expect(output.status == .success)
            #expect(output.transTextTask?.subtitlePath?.hasSuffix("/subtitles/demo_smartsubtitle_0.vtt") == true)
            #expect(running.emulator.calls.map(\.action).first == "BatchProcessMedia")
        }
    }

    @Test func unknownTaskIsAFinalError() async throws {
        try await withEmulatorAndClient { _, client in
            let error = await #expect(throws: MPSError.self) { _ = try await client.describeBatchTaskDetail(taskId: "24000030-BatchTask-none") }
            #expect(error?.code == "InvalidParameterValue.TaskId")
            #expect(error?.errorClass == .final)
        }
    }

    @Test func wrongSecretIsSignatureFailureAndFinal() async throws {
        let wrong = TencentCloudCredentials(secretId: EmulatorConfiguration.defaultSecretId, secretKey: "not-the-key")
        try await withEmulatorAndClient(credentials: wrong) { running, client in
            let error = await #expect(throws: MPSError.self) { _ = try await client.batchProcessMedia(try request(requestJSON())) }
            #expect(error?.code == "AuthFailure.SignatureFailure")
            #expect(error?.errorClass == .final)
            #expect(error?.requestId?.isEmpty == false)
            #expect(running.emulator.calls.allSatisfy { $0.taskId == nil })
        }
    }

    @Test func unknownSecretIdIsSecretIdNotFound() async throws {
        let stranger = TencentCloudCredentials(secretId: "AKIDnobody", secretKey: "whatever")
        try await withEmulatorAndClient(credentials: stranger) { _, client in
            let error = await #expect(throws: MPSError.self) { _ = try await client.describeBatchTaskDetail(taskId: "x") }
            #expect(error?.code == "AuthFailure.SecretIdNotFound")
            #expect(error?.errorClass == .final)
        }
    }

    @Test func staleTimestampIsSignatureExpire() async throws {
        let tenMinutesAgo: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) - 600 }
        try await withEmulatorAndClient(clock: tenMinutesAgo) { _, client in
            let error = await #expect(throws: MPSError.self) { _ = try await client.batchProcessMedia(try request(requestJSON())) }
            #expect(error?.code == "AuthFailure.SignatureExpire")
            #expect(error?.errorClass == .retryable)
        }
    }

    @Test func twentyFiveCallsInOneSecondHitTheRateLimit() async throws {
        let configuration = EmulatorConfiguration(processingTime: .seconds(30))
        try await withEmulatorAndClient(configuration: configuration) { running, client in
            let body = try request(requestJSON())
            let outcomes = await withTaskGroup(of: Result<String, MPSError>.self) { group in
                for _ in 0..<25 {
                    group.addTask {
                        do throws(MPSError) {
                            return .success(try await client.batchProcessMedia(body).taskId ?? "")
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                var all: [Result<String, MPSError>] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            let created = outcomes.compactMap { try? $0.get() }
            let limited = outcomes.compactMap { outcome -> MPSError? in
                if case .failure(let error) = outcome { return error } else { return nil }
            }
            #expect(created.count + limited.count == 25)
            #expect(limited.allSatisfy { $0.code == "RequestLimitExceeded" && $0.errorClass == .retryable })
            let calls = running.emulator.calls
            #expect(calls.filter { $0.taskId != nil }.count == created.count)
            // The limiter's property: accepted calls never exceed 20 in any one-second window.
            let accepted = calls.filter { $0.errorCode == nil }.map(\.receivedAt).sorted()
            for (index, start) in accepted.enumerated() {
                #expect(accepted[index...].prefix { $0 - start < 1.0 }.count <= 20)
            }
            // And when all 25 arrived within one second (the usual case), at least 5 were refused.
            let arrivals = calls.map(\.receivedAt).sorted()
            if let first = arrivals.first, let last = arrivals.last, last - first < 1.0 {
                #expect(limited.count >= 5)
            }
        }
    }

    @Test func internalErrorAfterCreatingTheTaskIsAmbiguous() async throws {
        var configuration = EmulatorConfiguration(processingTime: .seconds(30))
        configuration.faults.internalErrorAfterCreate = 1
        try await withEmulatorAndClient(configuration: configuration) { running, client in
            let error = await #expect(throws: MPSError.self) {
                _ = try await client.batchProcessMedia(try request(requestJSON(sessionContext: "mh1:ambiguous")))
            }
            #expect(error?.code == "InternalError")
            #expect(error?.errorClass == .ambiguous)
            // The task exists all the same: exactly why a blind resend would duplicate it.
            let call = try #require(running.emulator.calls.first)
            #expect(call.taskId != nil)
            #expect(call.sessionContext == "mh1:ambiguous")
            // The fault was used up: the next call succeeds.
            _ = try await client.batchProcessMedia(try request(requestJSON()))
        }
    }

    @Test func acceptThenHangIsAmbiguousTimeout() async throws {
        var configuration = EmulatorConfiguration(processingTime: .seconds(30))
        configuration.faults.hangAfterCreate = 1
        try await withEmulatorAndClient(configuration: configuration, totalTimeout: .milliseconds(500)) { running, client in
            let error = await #expect(throws: MPSError.self) { _ = try await client.batchProcessMedia(try request(requestJSON())) }
            #expect(error?.errorClass == .ambiguous)
            #expect(error?.code.hasPrefix("ClientNetworkError") == true)
            // The server got the call and created the task, even if later than the client gave up.
            let deadline = ContinuousClock.now + .seconds(10)
            while running.emulator.calls.isEmpty, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(running.emulator.calls.first?.taskId != nil)
        }
    }

    @Test func emulatorValidatesLikeTheSeedPage() async throws {
        try await withEmulatorAndClient { _, client in
            // Bypass the client's own validation to see what the emulator answers.
            let tooLong = requestJSON(sessionContext: String(repeating: "x", count: 1001))
            let error = await #expect(throws: MPSError.self) {
                let _: BatchProcessMediaResponse = try await client.call("BatchProcessMedia", body: Array(tooLong.utf8))
            }
            #expect(error?.code == "InvalidParameterValue.SessionContextTooLong")
            #expect(error?.errorClass == .final)

            let misspelled = #"{"InputInfo":[{"Type":"URL","UrlInputInfo":{"Url":"https://e.com/a.mp4"}}],"OutputStorage":{"Type":"COS","CosOutputStorage":{"Bucket":"b-1","Region":"ap-guangzhou"}},"SkipMetaData":1}"#
            let unknown = await #expect(throws: MPSError.self) {
                let _: BatchProcessMediaResponse = try await client.call("BatchProcessMedia", body: Array(misspelled.utf8))
            }
            #expect(unknown?.code == "UnknownParameter")
        }
    }

    @Test func clientRefusesInvalidRequestsWithoutSending() async throws {
        try await withEmulatorAndClient { running, client in
            let valid = try request(requestJSON())
            var invalid = valid
            invalid.taskNotifyConfig = TaskNotifyConfig(notifyType: nil, notifyUrl: "https://hooks.example.com/x")
            let error = await #expect(throws: MPSError.self) { _ = try await client.batchProcessMedia(invalid) }
            #expect(error?.code == "ClientValidation")
            #expect(error?.errorClass == .final)
            #expect(error?.problems.isEmpty == false)
            #expect(running.emulator.calls.isEmpty)
        }
    }
}
