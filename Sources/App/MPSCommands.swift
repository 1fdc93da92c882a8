import ArgumentParser
import Curl
import Foundation
import MPS
import MPSTransport
import NIOPosix

/// `mpshook mps …`: the operator's first tools against MPS (or the emulator).
struct MPSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mps",
        abstract: "Validate, submit and inspect BatchProcessMedia requests directly.",
        discussion: """
            Endpoint: MPSHOOK_MPS_ENDPOINT (default https://mps.tencentcloudapi.com; the international or a \
            regional host, or the emulator's http://127.0.0.1:PORT). Credentials: TENCENTCLOUD_SECRET_ID, \
            TENCENTCLOUD_SECRET_KEY and, for temporary keys, TENCENTCLOUD_SESSION_TOKEN.
            """,
        subcommands: [Validate.self, Submit.self, Describe.self]
    )

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a BatchProcessMedia request body (JSON) and print every problem."
        )

        @Argument(help: "The request body as JSON.")
        var file: String

        func run() async throws {
            let bytes = try MPSCommand.read(file)
            switch BatchProcessMediaValidator.decode(bytes) {
            case .success:
                print("\(file): valid BatchProcessMedia request")
            case .failure(let problems):
                for problem in problems {
                    print("\(file): \(problem.field.isEmpty ? "(body)" : problem.field): \(problem.message) [\(problem.errorCode)]")
                }
                throw CommandSupport.fail("\(problems.count) problem(s) in \(file)")
            }
        }
    }

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate and send a BatchProcessMedia request; print the TaskId.",
            discussion: "Never retried automatically: BatchProcessMedia has no idempotency token."
        )

        @Argument(help: "The request body as JSON.")
        var file: String

        func run() async throws {
            let request: BatchProcessMediaRequest
            switch BatchProcessMediaValidator.decode(try MPSCommand.read(file)) {
            case .success(let decoded):
                request = decoded
            case .failure(let problems):
                for problem in problems { print("\(file): \(problem)") }
                throw CommandSupport.fail("\(problems.count) problem(s) in \(file); nothing was sent")
            }
            let created = try await MPSCommand.withClient { (client) async throws(MPSError) -> BatchProcessMediaResponse in
                try await client.batchProcessMedia(request)
            }
            print("TaskId: \(created.taskId ?? "")")
            print("RequestId: \(created.requestId ?? "")")
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print DescribeBatchTaskDetail for a task (tasks of the last 7 days)."
        )

        @Argument(help: "The TaskId BatchProcessMedia returned.")
        var taskId: String

        func run() async throws {
            let body = try MPSJSON.encoder.encode(DescribeBatchTaskDetailRequest(taskId: taskId))
            let detail = try await MPSCommand.withClient { (client) async throws(MPSError) -> JSONValue in
                try await client.call("DescribeBatchTaskDetail", body: Array(body))
            }
            print(Self.render(detail))
        }

        /// The answer as printed: MPS's JSON, except that the secrets it echoes (the `NotifyKey`,
        /// the callback token in `NotifyUrl`, S3 keys, input URL signatures) are redacted.
        static func render(_ detail: JSONValue) -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let redacted = MPSRedaction.json(detail)
            return (try? encoder.encode(redacted)).map { String(decoding: $0, as: UTF8.self) } ?? "(unprintable answer)"
        }
    }

    static func read(_ file: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw CommandSupport.fail("cannot read \(file)")
        }
        return Array(data)
    }

    /// Runs `body` with a client built from the environment; prints MPS errors as one line with
    /// their class, and what that class means for the operator.
    static func withClient<Result: Sendable>(_ body: (MPSClient) async throws(MPSError) -> Result) async throws -> Result {
        let environment = ProcessInfo.processInfo.environment
        guard let credentials = TencentCloudCredentials.fromEnvironment(environment) else {
            throw CommandSupport.fail("TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY must be set")
        }
        let endpointText = environment["MPSHOOK_MPS_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? MPSEndpoint.china.url
        guard let endpoint = MPSEndpoint(endpointText) else {
            throw CommandSupport.fail("MPSHOOK_MPS_ENDPOINT: expected http(s)://host[:port], got \"\(endpointText)\"")
        }
        let threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()
        let client = MPSClient(
            configuration: MPSClientConfiguration(endpoint: endpoint, credentials: credentials),
            http: CurlClient(threadPool: threadPool)
        )
        let outcome: Swift.Result<Result, MPSError>
        do throws(MPSError) {
            outcome = .success(try await body(client))
        } catch {
            outcome = .failure(error)
        }
        try? await threadPool.shutdownGracefully()
        switch outcome {
        case .success(let value):
            return value
        case .failure(let error):
            for problem in error.problems { print("problem: \(problem)") }
            let advice: String
            switch error.errorClass {
            case .final: advice = "refused; fix the cause before trying again"
            case .retryable: advice = "not executed; safe to try again later"
            case .ambiguous: advice = "a task MAY exist; check before resubmitting, a resend can create and bill a second task"
            }
            throw CommandSupport.fail("\(error.code) (\(error.errorClass.rawValue): \(advice)): \(error.message)"
                + (error.requestId.map { " RequestId \($0)" } ?? ""))
        }
    }
}
