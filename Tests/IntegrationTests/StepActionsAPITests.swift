import API
import Access
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MPS
import Postgres
import Store
import Testing
import Workflows

/// `POST /v1/steps/{id}/resolve|resubmit|abandon` against a real PostgreSQL through the real
/// router: each action goes through `OperatorStore` with the API key as the actor, answers the
/// audit row and the step, and each refusal has its status; a refused action writes nothing.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct StepActionsAPITests {
    /// The real router on a fresh migrated database, with a client that sends an admin key.
    static func withAPI(_ body: @escaping @Sendable (PostgresClient, any TestClientProtocol) async throws -> Void) async throws {
        try await JobsAPIIntegrationTests.withAPI { _, client, http in try await body(client, http) }
    }

    static func post(
        _ http: some TestClientProtocol, _ path: String, _ body: String, headers: HTTPFields = [:]
    ) async throws -> TestResponse {
        var fields = headers
        fields[.contentType] = "application/json"
        return try await http.execute(uri: path, method: .post, headers: fields, body: ByteBuffer(string: body))
    }

    static func document<Document: Decodable>(_ response: TestResponse, as type: Document.Type = Document.self) throws -> Document {
        try APIJSON.decoder().decode(Document.self, from: Data(String(buffer: response.body).utf8))
    }

    static func problem(_ response: TestResponse) throws -> ProblemDocument {
        try document(response)
    }

    /// A key named `name`, its `Authorization` header and the actor the audit records for it.
    static func key(_ client: PostgresClient, name: String) async throws -> (HTTPFields, String) {
        let header = try await APITestKeys.bearer(client, .admin, name: name)
        let id = try await client.query("SELECT id FROM api_keys WHERE name = \(name)")[0].decode(String.self, at: 0)
        return (header, "key:\(name)/\(id)")
    }

    static func actionCount(_ client: PostgresClient) async throws -> Int {
        try await client.query("SELECT count(*) FROM operator_actions")[0].decode(Int.self, at: 0)
    }

    @Test func resolveAttachesTheTaskIdWithTheKeyAsTheActorAndAnswersTheActionAndTheStep() async throws {
        try await Self.withAPI { client, http in
            let (_, jobId, stepId) = try await TestDatabase.createStep(client)
            _ = try await client.query("UPDATE steps SET state = 'submit_unknown', error_code = 'ServerNetworkError' WHERE id = \(stepId)")
            let (key, actor) = try await Self.key(client, name: "oncall")

            let response = try await Self.post(
                http, "/v1/steps/\(stepId)/resolve", #"{"taskId": "24000030-BatchTask-found", "reason": "seen in the console"}"#, headers: key
            )
            #expect(response.status == .ok)
            let answer = try Self.document(response, as: StepActionDocument.self)
            #expect(answer.action.actor == actor)
            #expect(answer.action.action == "resolve")
            #expect(answer.action.reason == "seen in the console")
            #expect(answer.action.before?.objectValue?["state"] == .string("submit_unknown"))
            #expect(answer.action.after?.objectValue?["state"] == .string("submitted"))
            #expect(answer.step.id == APIJSON.id(stepId) && answer.step.jobId == APIJSON.id(jobId))
            #expect(answer.step.state == .submitted)
            #expect(answer.step.taskId == "24000030-BatchTask-found")
            #expect(answer.step.errorCode == nil)

            let (rowActor, action, step, reason) = try await client.query("""
                SELECT actor, action, step_id, reason FROM operator_actions
                """)[0].decode((String, String, UUID, String).self)
            #expect(rowActor == actor && action == "resolve" && step == stepId && reason == "seen in the console")
        }
    }

    @Test func resubmitAndAbandonAnswerTheStepInItsNewState() async throws {
        try await Self.withAPI { client, http in
            let (_, _, lost) = try await TestDatabase.createStep(client)
            _ = try await client.query("UPDATE steps SET state = 'lost', task_id = 't-lost' WHERE id = \(lost)")
            let resubmitted = try await Self.post(http, "/v1/steps/\(lost)/resubmit", #"{"reason": "MPS lost it"}"#)
            #expect(resubmitted.status == .ok)
            let answer = try Self.document(resubmitted, as: StepActionDocument.self)
            #expect(answer.step.state == .pending && answer.step.taskId == nil)
            #expect(answer.action.action == "resubmit")

            let (_, _, unknown) = try await TestDatabase.createStep(client)
            _ = try await client.query("UPDATE steps SET state = 'submit_unknown' WHERE id = \(unknown)")
            let abandoned = try await Self.post(http, "/v1/steps/\(unknown)/abandon", #"{"reason": "not worth it"}"#)
            #expect(abandoned.status == .ok)
            let gaveUp = try Self.document(abandoned, as: StepActionDocument.self)
            #expect(gaveUp.step.state == .failed && gaveUp.step.errorCode == "Abandoned")
            #expect(try await Self.actionCount(client) == 2)
        }
    }

    @Test func eachRefusalHasItsStatusAndWritesNothing() async throws {
        try await Self.withAPI { client, http in
            let (_, _, pending) = try await TestDatabase.createStep(client)
            let (_, _, holder) = try await TestDatabase.createStep(client, state: "submitted")
            let (_, _, lost) = try await TestDatabase.createStep(client)
            _ = try await client.query("UPDATE steps SET state = 'lost' WHERE id = \(lost)")

            // Unknown and malformed ids: 404.
            let unknown = try await Self.post(http, "/v1/steps/\(UUID())/abandon", #"{"reason": "r"}"#)
            #expect(unknown.status == .notFound)
            #expect(try Self.problem(unknown).type == "urn:mpshook:problem:step-not-found")
            #expect(try await Self.post(http, "/v1/steps/not-a-uuid/abandon", #"{"reason": "r"}"#).status == .notFound)

            // The body: 400, each problem at its member.
            let noReason = try await Self.post(http, "/v1/steps/\(lost)/abandon", #"{}"#)
            #expect(noReason.status == .badRequest)
            #expect(try Self.problem(noReason).errors?.map(\.field) == ["reason"])
            let blank = try await Self.post(http, "/v1/steps/\(lost)/abandon", #"{"reason": "  "}"#)
            #expect(try Self.problem(blank).errors?.map(\.field) == ["reason"])
            // 1000 characters of 3 scalars: the audit's length() counts 3000 (was a 503 from its CHECK).
            let combining = try await Self.post(http, "/v1/steps/\(lost)/abandon", #"{"reason": "\#(String(repeating: "e\u{301}\u{302}", count: 1000))"}"#)
            #expect(combining.status == .badRequest)
            #expect(try Self.problem(combining).errors?.map(\.field) == ["reason"])
            let nul = try await Self.post(http, "/v1/steps/\(lost)/abandon", #"{"reason": "a\u0000b"}"#)
            #expect(try Self.problem(nul).errors?.map(\.field) == ["reason"])
            let several = try await Self.post(http, "/v1/steps/\(lost)/resolve", #"{"taskId": "two words", "reason": 3, "why": "x"}"#)
            #expect(several.status == .badRequest)
            #expect(try Self.problem(several).errors?.map(\.field) == ["why", "taskId", "reason"])
            let missingTask = try await Self.post(http, "/v1/steps/\(lost)/resolve", #"{"reason": "r", "taskId": null}"#)
            #expect(try Self.problem(missingTask).errors?.map(\.field) == ["taskId"])
            #expect(try await Self.post(http, "/v1/steps/\(lost)/abandon", "[1]").status == .badRequest)
            #expect(try await Self.post(http, "/v1/steps/\(lost)/abandon", "{").status == .badRequest)
            let noContentType = try await http.execute(
                uri: "/v1/steps/\(lost)/abandon", method: .post, headers: [:], body: ByteBuffer(string: #"{"reason": "r"}"#)
            )
            #expect(noContentType.status == .unsupportedMediaType)

            // The domain's refusal: 409 with its reason.
            let wrongState = try await Self.post(http, "/v1/steps/\(pending)/resolve", #"{"taskId": "t-9", "reason": "r"}"#)
            #expect(wrongState.status == .conflict)
            let refusal = try Self.problem(wrongState)
            #expect(refusal.type == "urn:mpshook:problem:action-not-allowed")
            #expect(refusal.detail == "resolve refused: the step is pending; resolve applies only to a step that is submit_unknown or lost")

            // A TaskId another step holds: 409 at taskId.
            let taken = try await Self.post(http, "/v1/steps/\(lost)/resolve", #"{"taskId": "t-1", "reason": "r"}"#)
            #expect(taken.status == .conflict)
            let takenProblem = try Self.problem(taken)
            #expect(takenProblem.type == "urn:mpshook:problem:task-id-taken")
            #expect(takenProblem.detail.contains(APIJSON.id(holder)))
            #expect(takenProblem.errors?.map(\.field) == ["taskId"])

            #expect(try await Self.actionCount(client) == 0)
            let states = try await client.query("SELECT state FROM steps ORDER BY state").map { try $0.decode(String.self, at: 0) }
            #expect(states == ["lost", "pending", "submitted"])
        }
    }

    @Test func readAndWriteKeysAreRefusedEveryStepAction() async throws {
        try await Self.withAPI { client, http in
            let (_, _, lost) = try await TestDatabase.createStep(client)
            _ = try await client.query("UPDATE steps SET state = 'lost' WHERE id = \(lost)")
            for scope in [APIScope.read, .write] {
                let key = try await APITestKeys.bearer(client, scope)
                for (action, body) in [("resolve", #"{"taskId": "t-2", "reason": "r"}"#), ("resubmit", #"{"reason": "r"}"#), ("abandon", #"{"reason": "r"}"#)] {
                    let response = try await Self.post(http, "/v1/steps/\(lost)/\(action)", body, headers: key)
                    #expect(response.status == .forbidden, "\(scope) \(action)")
                    #expect(try Self.problem(response).type == "urn:mpshook:problem:insufficient-scope")
                }
            }
            let anonymous = try await Self.post(http, "/v1/steps/\(lost)/abandon", #"{"reason": "r"}"#, headers: [.authorization: "Bearer nope"])
            #expect(anonymous.status == .unauthorized)
            #expect(try await Self.actionCount(client) == 0)
        }
    }
}

