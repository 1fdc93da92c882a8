public import Foundation
public import MPS
public import Store
import Workflows

/// The body of the "job finished" webhook, in the Standard Webhooks envelope:
/// `{"type": "job.finished", "timestamp": …, "data": {…}}`, `data` being the job (id, state, the
/// client's reference and context, workflow name and version, times), its steps with their
/// states, and per job input every step's output with each subtitle file per language.
/// Built once, at the first attempt, and stored: every retry sends the same bytes.
public struct WebhookPayload: Codable, Sendable, Equatable {
    public var type: String
    /// When the job finished (else when the payload was built).
    public var timestamp: Date
    public var data: Job

    public struct Job: Codable, Sendable, Equatable {
        public var jobId: String
        public var state: String
        public var clientReference: String?
        public var clientContext: JSONValue?
        public var workflow: Workflow?
        public var createdAt: Date
        public var finishedAt: Date?
        public var steps: [Step]
        public var inputs: [Input]
    }

    public struct Workflow: Codable, Sendable, Equatable {
        public var name: String
        public var version: Int
    }

    public struct Step: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        public var item: String?
        public var run: Int
        public var state: String
        public var taskId: String?
        public var errorCode: String?
        public var errorMessage: String?
    }

    public struct Input: Codable, Sendable, Equatable {
        public var index: Int
        public var url: String
        /// One per step that ran over this input, in step order.
        public var outputs: [Output]
    }

    public struct Output: Codable, Sendable, Equatable {
        public var step: String
        public var stepId: String
        public var item: String?
        public var status: String
        public var subtitlePath: String?
        public var subtitleUrl: String?
        public var errorCode: String?
        public var errorMessage: String?
        /// Every subtitle file, per language: `recognition` or `translation`.
        public var files: [File]
    }

    public struct File: Codable, Sendable, Equatable {
        public var kind: String
        public var language: String?
        public var sourceLanguage: String?
        public var path: String?
        public var url: String?
    }

    /// The payload for a finished job.
    public init(_ view: JobView, now: Date = Date()) {
        type = "job.finished"
        timestamp = view.finishedAt ?? now
        let id: (UUID) -> String = { $0.uuidString.lowercased() }
        var inputs = view.inputURLs.enumerated().map { Input(index: $0, url: $1, outputs: []) }
        for step in view.steps {
            for output in step.outputs {
                while inputs.count <= output.jobInputIndex {
                    inputs.append(Input(index: inputs.count, url: output.inputURL, outputs: []))
                }
                inputs[output.jobInputIndex].outputs.append(Output(
                    step: step.name, stepId: id(step.id), item: step.item, status: output.status.rawValue,
                    subtitlePath: output.subtitlePath, subtitleUrl: output.subtitleURL, errorCode: output.errorCode,
                    errorMessage: output.errorMessage,
                    files: output.files.map { File(kind: $0.kind.rawValue, language: $0.language, sourceLanguage: $0.sourceLanguage, path: $0.path, url: $0.url) }
                ))
            }
        }
        data = Job(
            jobId: id(view.id), state: view.state.rawValue, clientReference: view.clientReference,
            clientContext: view.clientContext.flatMap { try? MPSJSON.decoder.decode(JSONValue.self, from: Data($0.utf8)) },
            workflow: view.workflow.map { Workflow(name: $0.name, version: $0.version) },
            createdAt: view.createdAt, finishedAt: view.finishedAt,
            steps: view.steps.map { step in
                Step(
                    id: id(step.id), name: step.name, item: step.item, run: step.run, state: step.state.rawValue, taskId: step.taskId,
                    errorCode: step.errorCode, errorMessage: step.errorMessage
                )
            },
            inputs: inputs
        )
    }

    /// Compact JSON with sorted keys and ISO 8601 times.
    public func encoded() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
