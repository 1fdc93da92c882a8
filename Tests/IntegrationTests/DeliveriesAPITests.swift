import API
import Access
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import Store
import Testing

/// `GET /v1/deliveries` and `POST /v1/deliveries/{id}/redeliver` against a real PostgreSQL
/// through the real router.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct DeliveriesAPITests {
    /// A delivery of a new job, in `state`, created `minutesAgo` minutes ago.
    static func delivery(_ client: PostgresClient, state: String, minutesAgo: Int, url: String = "https://hooks.example/in?token=s3cret") async throws -> (id: UUID, jobId: UUID) {
        let (_, jobId, _) = try await TestDatabase.createStep(client)
        let id = UUID()
        _ = try await client.query("""
            INSERT INTO webhook_deliveries (id, job_id, job_finished_at, url, state, attempts, last_status, last_error, created_at)
            VALUES (\(id), \(jobId), now(), \(url), \(state), 3, 500, 'HTTP 500', now() - \(minutesAgo) * interval '1 minute')
            """)
        return (id, jobId)
    }

    static func page(_ response: TestResponse) throws -> (ids: [String], next: String?) {
        struct Page: Decodable {
            var items: [DeliveryDocument]
            var nextCursor: String?
        }
        let page = try StepActionsAPITests.document(response, as: Page.self)
        return (page.items.map(\.id), page.nextCursor)
    }

    @Test func deliveriesAreListedNewestFirstFilteredAndPagedWithoutURLSecrets() async throws {
        try await StepActionsAPITests.withAPI { client, http in
            let old = try await Self.delivery(client, state: "failed", minutesAgo: 30)
            let middle = try await Self.delivery(client, state: "delivered", minutesAgo: 20)
            let new = try await Self.delivery(client, state: "failed", minutesAgo: 10)
            let read = try await APITestKeys.bearer(client, .read)

            let all = try await http.execute(uri: "/v1/deliveries", method: .get, headers: read)
            #expect(all.status == .ok)
            #expect(try Self.page(all).ids == [new, middle, old].map { APIJSON.id($0.id) })
            #expect(!String(buffer: all.body).contains("s3cret"))

            let failed = try await http.execute(uri: "/v1/deliveries?state=failed", method: .get)
            #expect(try Self.page(failed).ids == [new, old].map { APIJSON.id($0.id) })
            let both = try await http.execute(uri: "/v1/deliveries?state=failed,delivered&jobId=\(middle.jobId)", method: .get)
            #expect(try Self.page(both).ids == [APIJSON.id(middle.id)])

            var seen: [String] = []
            var cursor: String?
            repeat {
                let uri = "/v1/deliveries?limit=1" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try Self.page(try await http.execute(uri: uri, method: .get))
                seen += page.ids
                cursor = page.next
            } while cursor != nil
            #expect(seen == [new, middle, old].map { APIJSON.id($0.id) })

            for bad in ["state=lost", "jobId=x", "limit=0", "cursor=zzz", "since=1"] {
                let response = try await http.execute(uri: "/v1/deliveries?\(bad)", method: .get)
                #expect(response.status == .badRequest, "\(bad)")
                #expect(try StepActionsAPITests.problem(response).errors?.first?.field == String(bad.prefix { $0 != "=" }))
            }
        }
    }

    @Test func aFailedDeliveryIsRedeliveredWithTheKeyInTheAuditAndEveryOtherAnswerHasItsStatus() async throws {
        try await StepActionsAPITests.withAPI { client, http in
            let failed = try await Self.delivery(client, state: "failed", minutesAgo: 5)
            let (key, actor) = try await StepActionsAPITests.key(client, name: "oncall")

            for scope in [APIScope.read, .write] {
                let refused = try await StepActionsAPITests.post(
                    http, "/v1/deliveries/\(failed.id)/redeliver", #"{"reason": "r"}"#, headers: try await APITestKeys.bearer(client, scope)
                )
                #expect(refused.status == .forbidden)
            }

            let response = try await StepActionsAPITests.post(http, "/v1/deliveries/\(failed.id)/redeliver", #"{"reason": "receiver fixed"}"#, headers: key)
            #expect(response.status == .ok)
            let answer = try StepActionsAPITests.document(response, as: RedeliveryDocument.self)
            #expect(answer.previousState == .failed)
            #expect(answer.delivery.state == .pending && answer.delivery.attempts == 0)
            #expect(answer.delivery.url == "https://hooks.example/in?<redacted>")
            let (rowActor, action, job, reason) = try await client.query("""
                SELECT actor, action, job_id, reason FROM operator_actions
                """)[0].decode((String, String, UUID?, String).self)
            #expect(rowActor == actor && action == "webhook.redeliver" && job == failed.jobId && reason == "receiver fixed")

            let again = try await StepActionsAPITests.post(http, "/v1/deliveries/\(failed.id)/redeliver", #"{"reason": "again"}"#)
            #expect(again.status == .conflict)
            #expect(try StepActionsAPITests.problem(again).detail == "the delivery is pending already: nothing to do")
            #expect(try await StepActionsAPITests.post(http, "/v1/deliveries/\(UUID())/redeliver", #"{"reason": "r"}"#).status == .notFound)
            #expect(try await StepActionsAPITests.post(http, "/v1/deliveries/nope/redeliver", #"{"reason": "r"}"#).status == .notFound)
            let noReason = try await StepActionsAPITests.post(http, "/v1/deliveries/\(failed.id)/redeliver", #"{"why": "r"}"#)
            #expect(try StepActionsAPITests.problem(noReason).errors?.map(\.field) == ["why", "reason"])
            #expect(try await StepActionsAPITests.actionCount(client) == 1)
        }
    }
}
