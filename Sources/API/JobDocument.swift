public import Foundation
public import MPS
public import Store
public import Workflows

/// The answer to a job creation (`201` new, `200` when the client reference already named a
/// job): the job and its first step, so a client can correlate callbacks and logs at once.
///
/// ```json
/// {"correlationId":"1b4e…","jobId":"7f0c…","sessionContext":"mh1:1b4e…","state":"running","stepId":"c3a1…"}
/// ```
public struct JobCreatedDocument: Codable, Sendable, Equatable {
    public var jobId: String
    public var stepId: String?
    public var correlationId: String?
    public var sessionContext: String?
    /// The job's state: `running` for a new job; the current state of an existing one.
    public var state: JobState

    public init(job: NewJob) {
        jobId = APIJSON.id(job.id)
        stepId = job.steps.first.map { APIJSON.id($0.id) }
        correlationId = job.steps.first.map { APIJSON.id($0.correlationId) }
        sessionContext = job.steps.first?.sessionContext
        state = .running
    }

    public init(view: JobView) {
        jobId = APIJSON.id(view.id)
        stepId = view.steps.first.map { APIJSON.id($0.id) }
        correlationId = view.steps.first.map { APIJSON.id($0.correlationId) }
        sessionContext = view.steps.first?.sessionContext
        state = view.state
    }
}

/// A job as `GET /v1/jobs/{id}` and `mpshook jobs show` present it. Ids are lower-case UUIDs,
/// times ISO 8601 in UTC; members without a value (no task id yet, no error) are omitted.
///
/// The steps form a graph: each lists the steps it came from (`parents`), its fan-out value
/// (`item`) and its run (`run`, 2+ for a retry of failed inputs). `inputs` gathers, per job
/// input, every output of every step that ran over it, with each subtitle file per language.
/// States are the same strings as ever (`running`, `partially_failed`, `SUCCESS`, …).
public struct JobDocument: Codable, Sendable, Equatable {
    public var id: String
    public var state: JobState
    public var clientReference: String?
    public var clientContext: JSONValue?
    /// The workflow version the job runs; absent for a job created with a bare `request`.
    public var workflow: Workflow?
    /// The job's parameters, the workflow's defaults filled in; absent when it has none.
    public var params: [String: JSONValue]?
    public var createdAt: Date
    public var updatedAt: Date
    public var finishedAt: Date?
    /// In creation order: a step comes after the steps it came from.
    public var steps: [Step]
    /// Per job input, in order: every output of every step over it.
    public var inputs: [Input]

    public struct Workflow: Codable, Sendable, Equatable {
        public var name: String
        public var version: Int
    }

    public struct Step: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        /// The fan-out value it runs for; absent when the step does not fan out.
        public var item: String?
        /// 1 for the first run, 2+ for retries of failed inputs.
        public var run: Int
        /// The ids of the steps whose completion created it; empty for the job's first steps.
        public var parents: [String]
        public var state: StepState
        public var correlationId: String
        public var sessionContext: String
        public var taskId: String?
        public var submitAttempts: Int
        public var errorCode: String?
        public var errorMessage: String?
        public var createdAt: Date
        public var updatedAt: Date
        public var submittedAt: Date?
        public var finishedAt: Date?
        public var outputs: [Output]
    }

    public struct Output: Codable, Sendable, Equatable {
        /// The input's place in the step's `InputInfo`.
        public var inputIndex: Int
        /// The input's place among the job's inputs (`inputs[jobInputIndex]`).
        public var jobInputIndex: Int
        public var inputUrl: String
        public var status: OutputState
        /// 0–100, as MPS last reported it.
        public var progress: Int
        /// The main subtitle (the translation when there is one, else the recognition).
        public var subtitlePath: String?
        public var subtitleUrl: String?
        public var errorCode: String?
        public var errorMessage: String?
        /// Every subtitle file MPS reported, per language.
        public var files: [File]
        public var updatedAt: Date
    }

    /// One subtitle file: the recognition, or one translation.
    public struct File: Codable, Sendable, Equatable {
        /// `recognition` or `translation`.
        public var kind: String
        public var language: String?
        /// Translations: the language translated from.
        public var sourceLanguage: String?
        /// As MPS reports it for this file (`Success`, `Error`).
        public var status: String?
        public var path: String?
        public var url: String?
        public var segmentCount: Int?
        /// The end of the last segment, in seconds.
        public var lastSegmentEnd: Double?

        public init(_ file: SubtitleFile) {
            kind = file.kind.rawValue
            language = file.language
            sourceLanguage = file.sourceLanguage
            status = file.status
            path = file.path
            url = file.url
            segmentCount = file.segmentCount
            lastSegmentEnd = file.lastSegmentEnd
        }
    }

    /// One job input and what every step made of it.
    public struct Input: Codable, Sendable, Equatable {
        /// Its place among the job's inputs.
        public var index: Int
        public var url: String
        /// In step creation order.
        public var outputs: [InputOutput]
    }

    /// One step's output for one job input.
    public struct InputOutput: Codable, Sendable, Equatable {
        /// The step's name in the workflow.
        public var step: String
        public var stepId: String
        public var item: String?
        public var run: Int
        public var status: OutputState
        public var progress: Int
        public var subtitlePath: String?
        public var subtitleUrl: String?
        public var errorCode: String?
        public var errorMessage: String?
        public var files: [File]
    }

    public init(_ view: JobView) {
        id = APIJSON.id(view.id)
        state = view.state
        clientReference = view.clientReference
        clientContext = view.clientContext.flatMap { try? MPSJSON.decoder.decode(JSONValue.self, from: Data($0.utf8)) }
        workflow = view.workflow.map { Workflow(name: $0.name, version: $0.version) }
        params = view.params.isEmpty ? nil : view.params.mapValues(\.stored)
        createdAt = view.createdAt
        updatedAt = view.updatedAt
        finishedAt = view.finishedAt
        steps = view.steps.map { step in
            Step(
                id: APIJSON.id(step.id), name: step.name, item: step.item, run: step.run, parents: step.parents.map(APIJSON.id),
                state: step.state, correlationId: APIJSON.id(step.correlationId), sessionContext: step.sessionContext,
                taskId: step.taskId, submitAttempts: step.submitAttempts,
                errorCode: step.errorCode, errorMessage: step.errorMessage,
                createdAt: step.createdAt, updatedAt: step.updatedAt, submittedAt: step.submittedAt, finishedAt: step.finishedAt,
                outputs: step.outputs.map { output in
                    Output(
                        inputIndex: output.inputIndex, jobInputIndex: output.jobInputIndex, inputUrl: output.inputURL,
                        status: output.status, progress: output.progress, subtitlePath: output.subtitlePath,
                        subtitleUrl: output.subtitleURL, errorCode: output.errorCode, errorMessage: output.errorMessage,
                        files: output.files.map(File.init), updatedAt: output.updatedAt
                    )
                }
            )
        }
        inputs = Self.inputs(view)
    }

    /// Per job input, every step's output for it, in step order.
    static func inputs(_ view: JobView) -> [Input] {
        var inputs = view.inputURLs.enumerated().map { Input(index: $0, url: $1, outputs: []) }
        for step in view.steps {
            for output in step.outputs {
                // An output always names one of the job's inputs; a stray index still shows rather than vanish.
                while inputs.count <= output.jobInputIndex {
                    inputs.append(Input(index: inputs.count, url: output.inputURL, outputs: []))
                }
                inputs[output.jobInputIndex].outputs.append(InputOutput(
                    step: step.name, stepId: APIJSON.id(step.id), item: step.item, run: step.run, status: output.status,
                    progress: output.progress, subtitlePath: output.subtitlePath, subtitleUrl: output.subtitleURL,
                    errorCode: output.errorCode, errorMessage: output.errorMessage, files: output.files.map(File.init)
                ))
            }
        }
        return inputs
    }
}
