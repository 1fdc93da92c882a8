import Curl
import Foundation
import MPS
import MPSTransport
@testable import MPSEmulator
import NIOPosix
import Testing
import TestSupport

/// When each callback was answered, and the faults a benchmark or an end-to-end test switches on:
/// from the control endpoint and from the `mps-emulator` command line.
@Suite struct EmulatorFaultSwitchTests {
    @Test func answeredAtIsWhenTheReceiversAnswerArrived() async throws {
        let receiver = CallbackReceiver()
        try await receiver.run { url in
            try await withEmulatorAndClient(configuration: EmulatorConfiguration(processingTime: .milliseconds(50))) { running, client in
                let before = Date().timeIntervalSince1970
                _ = try await client.batchProcessMedia(try request(requestJSON(notifyUrl: url)))
                let record = try #require(try await recordedCallbacks(running, atLeast: 1).first)
                let after = Date().timeIntervalSince1970
                let answeredAt = try #require(record.answeredAt)
                #expect(record.outcome == "sent")
                #expect(record.sentAt >= before)
                #expect(answeredAt >= record.sentAt)
                #expect(answeredAt <= after)
            }
        }
    }

    @Test func anErrorAnswerHasAnAnsweredAtAndNoAnswerHasNone() async throws {
        let refusing = CallbackReceiver(status: 500)
        let configuration = EmulatorConfiguration(processingTime: .milliseconds(50), callbackRetries: 0)
        try await refusing.run { url in
            try await withEmulatorAndClient(configuration: configuration) { running, client in
                _ = try await client.batchProcessMedia(try request(requestJSON(notifyUrl: url)))
                let record = try #require(try await recordedCallbacks(running, atLeast: 1).first)
                #expect(record.outcome == "failed")
                #expect(record.httpStatus == 500)
                #expect(record.answeredAt != nil)
            }
        }
        try await withEmulatorAndClient(configuration: configuration) { running, client in
            running.emulator.faults.dropShare = 1
            _ = try await client.batchProcessMedia(try request(requestJSON(notifyUrl: "http://127.0.0.1:9/mps/notify")))
            _ = try await recordedCallbacks(running, atLeast: 1)
            running.emulator.faults.dropShare = 0
            _ = try await client.batchProcessMedia(try request(requestJSON(notifyUrl: "http://hooks.example.com/mps/notify")))
            let records = try await recordedCallbacks(running, atLeast: 2)
            #expect(records.map(\.outcome) == ["dropped", "refused"])
            #expect(records.allSatisfy { $0.answeredAt == nil })
        }
    }

    @Test func recordedCallbacksKeepTheirJSONAndAddAnsweredAt() throws {
        let old = #"{"taskId":"t","sessionContext":"c","url":"u","statuses":["SUCCESS"],"outcome":"sent","attempt":1,"httpStatus":200,"timestamp":1700000645,"sign":"s","sentAt":1700000000.5}"#
        let decoded = try JSONDecoder().decode(RecordedCallback.self, from: Data(old.utf8))
        #expect(decoded.answeredAt == nil)
        var record = decoded
        record.answeredAt = 1_700_000_000.75
        let encoded = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(record)) as? [String: Any])
        let members = try #require(try JSONSerialization.jsonObject(with: Data(old.utf8)) as? [String: Any]).keys
        #expect(Set(encoded.keys) == Set(members).union(["answeredAt"]))
        #expect(encoded["answeredAt"] as? Double == 1_700_000_000.75)
    }

    @Test func faultsCanBeSwitchedOnNamingOnlyTheOnesWanted() async throws {
        try await withEmulatorAndClient { running, _ in
            try await withHTTP { http in
                let put = try await http.execute(HTTPRequest(
                    method: "PUT", url: running.endpoint + "/_emulator/faults",
                    headers: [("Content-Type", "application/json")], body: Array(#"{"duplicateShare":1,"reorder":true}"#.utf8)
                ))
                #expect(put.status == 200)
                #expect(running.emulator.faults == EmulatorFaults(duplicateShare: 1, reorder: true))
            }
        }
    }

    @Test func theCommandLineSwitchesOnDuplicatedAndReorderedCallbacksForEveryTask() async throws {
        try await EmulatorProcess.with(["--processing-seconds", "0.1", "--duplicate-share", "1", "--reorder"]) { endpoint in
            try await withHTTP { http in
                let faults = try await http.execute(HTTPRequest(url: endpoint + "/_emulator/faults"))
                #expect(try JSONDecoder().decode(EmulatorFaults.self, from: Data(faults.body)) == EmulatorFaults(duplicateShare: 1, reorder: true))
            }
            let receiver = CallbackReceiver()
            try await receiver.run { url in
                try await withClient(endpoint: endpoint) { client in
                    _ = try await client.batchProcessMedia(try request(requestJSON(notifyUrl: url, mode: "Change")))
                    let bodies = try await receiver.waitFor(6)
                    // Every notification newest first, then every copy, newest first again.
                    #expect(try bodies.map(statuses) == [["SUCCESS"], ["PROCESSING"], ["WAITING"], ["SUCCESS"], ["PROCESSING"], ["WAITING"]])
                }
            }
        }
    }

    @Test func theCommandLineSwitchesOnDroppedCallbacks() async throws {
        try await EmulatorProcess.with(["--processing-seconds", "0.05", "--drop-share", "1"]) { endpoint in
            try await withClient(endpoint: endpoint) { client in
                _ = try await client.batchProcessMedia(try request(requestJSON(notifyUrl: "http://127.0.0.1:9/mps/notify", mode: "Change")))
            }
            try await withHTTP { http in
                let deadline = ContinuousClock.now + .seconds(10)
                var records: [RecordedCallback] = []
                while records.count < 3, ContinuousClock.now < deadline {
                    let answer = try await http.execute(HTTPRequest(url: endpoint + "/_emulator/callbacks"))
                    records = try JSONDecoder().decode([RecordedCallback].self, from: Data(answer.body))
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(records.map(\.outcome) == ["dropped", "dropped", "dropped"])
            }
        }
    }
}

/// Runs `body` with a Curl client on its own small thread pool.
func withHTTP<Result>(_ body: (CurlClient) async throws -> Result) async throws -> Result {
    let threadPool = NIOThreadPool(numberOfThreads: 2)
    threadPool.start()
    do {
        let result = try await body(CurlClient(threadPool: threadPool))
        try await threadPool.shutdownGracefully()
        return result
    } catch {
        try? await threadPool.shutdownGracefully()
        throw error
    }
}

/// Runs `body` with an MPS client for the emulator at `endpoint`, using its built-in key pair.
func withClient<Result>(endpoint: String, _ body: (MPSClient) async throws -> Result) async throws -> Result {
    let parsed = try parseEndpoint(endpoint)
    return try await withHTTP { http in
        let credentials = TencentCloudCredentials(
            secretId: EmulatorConfiguration.defaultSecretId, secretKey: EmulatorConfiguration.defaultSecretKey
        )
        return try await body(MPSClient(configuration: MPSClientConfiguration(endpoint: parsed, credentials: credentials), http: http))
    }
}

/// The built `mps-emulator` executable, run as a person would.
enum EmulatorProcess {
    /// Next to the test bundle (both are products of one build), unless `MPSHOOK_TEST_EMULATOR_BINARY` says otherwise.
    static var binary: String {
        ProcessInfo.processInfo.environment["MPSHOOK_TEST_EMULATOR_BINARY"]
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mps-emulator").path
    }

    /// Starts the emulator on a free port with `arguments`, waits (bounded) until it prints its
    /// endpoint, runs `body` with it, then stops it with SIGTERM.
    static func with<Result>(_ arguments: [String], _ body: (String) async throws -> Result) async throws -> Result {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw SupportError(description: "\(binary) is missing: build with `swift build --build-tests`")
        }
        var environment = ProcessInfo.processInfo.environment
        environment["TENCENTCLOUD_SECRET_ID"] = nil
        environment["TENCENTCLOUD_SECRET_KEY"] = nil
        let child = try ChildProcess([binary, "--port", "0"] + arguments, environment: environment)
        defer { child.removeFiles() }
        do {
            let endpoint = try await endpoint(of: child)
            let result = try await body(endpoint)
            try await stop(child)
            return result
        } catch {
            try? await stop(child)
            throw error
        }
    }

    private static func endpoint(of child: ChildProcess) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(20)
        let marker = "mps-emulator listening on "
        while ContinuousClock.now < deadline, child.isRunning {
            if let line = child.standardOutput.split(separator: "\n").first(where: { $0.hasPrefix(marker) }) {
                return String(line.dropFirst(marker.count))
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw SupportError(description: "mps-emulator did not start: \(child.standardOutput)\(child.standardError)")
    }

    private static func stop(_ child: ChildProcess) async throws {
        child.signal(SIGTERM)
        if try await child.waitForExit(within: .seconds(10)) == nil {
            child.signal(SIGKILL)
            _ = try await child.waitForExit(within: .seconds(5))
            throw SupportError(description: "mps-emulator did not stop on SIGTERM")
        }
    }
}
