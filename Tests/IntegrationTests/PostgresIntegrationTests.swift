import Foundation
import Postgres
import Testing

@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct PostgresTypesTests {
    struct Payload: Codable, Equatable, Sendable {
        var name: String
        var count: Int
        var tags: [String]
    }

    @Test func everySupportedTypeRoundTrips() async throws {
        try await TestDatabase.withClient(url: try TestDatabase.serverURL()) { client in
            let id = UUID()
            let when = Date(timeIntervalSince1970: 1_795_638_000.123456)
            let payload = Payload(name: "ünïcödé ✓", count: 3, tags: ["a", "b"])
            let bytes = PostgresBytes([0, 1, 2, 254, 255])
            let missing: Int? = nil
            let rows = try await client.query("""
                SELECT \("text ✓")::text, \(Int64.max)::int8, \(Int32.min)::int4, \(Int16(7))::int2,
                       \(true)::bool, \(0.1)::float8, \(id)::uuid, \(when)::timestamptz,
                       \(JSONB(payload))::jsonb, \(bytes)::bytea, \(missing)::int8, \(["x", "y,z", "\""])::text[],
                       \([1, 2, 3])::int8[]
                """)
            let row = try #require(rows.first)
            let decoded = try row.decode(
                (String, Int64, Int32, Int16, Bool, Double, UUID, Date, JSONB<Payload>, PostgresBytes, Int?, [String], [Int]).self
            )
            #expect(decoded.0 == "text ✓")
            #expect(decoded.1 == Int64.max)
            #expect(decoded.2 == Int32.min)
            #expect(decoded.3 == 7)
            #expect(decoded.4 == true)
            #expect(decoded.5 == 0.1)
            #expect(decoded.6 == id)
            #expect(abs(decoded.7.timeIntervalSince(when)) < 0.000_001)
            #expect(decoded.8.value == payload)
            #expect(decoded.9 == bytes)
            #expect(decoded.10 == nil)
            #expect(decoded.11 == ["x", "y,z", "\""])
            #expect(decoded.12 == [1, 2, 3])
        }
    }

    @Test func decodingMismatchNamesTheColumn() async throws {
        try await TestDatabase.withClient(url: try TestDatabase.serverURL()) { client in
            let rows = try await client.query("SELECT 'abc'::text AS label, NULL::int8 AS amount")
            let row = try #require(rows.first)
            let wrongType = #expect(throws: PostgresError.self) { try row.decode(Int.self, column: "label") }
            #expect(wrongType?.code == .decoding)
            #expect(wrongType?.description.contains("\"label\"") == true)
            let null = #expect(throws: PostgresError.self) { try row.decode(Int.self, column: "amount") }
            #expect(null?.description.contains("\"amount\"") == true)
            #expect(null?.description.contains("NULL") == true)
            let count = #expect(throws: PostgresError.self) { try row.decode((String, Int?, Int).self) }
            #expect(count?.description.contains("2 columns") == true)
        }
    }

    @Test func injectionAttemptIsStoredVerbatimAsData() async throws {
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url) { client in
                _ = try await client.query("CREATE TABLE notes (body text NOT NULL)")
                let attack = "x'); DROP TABLE notes; --"
                _ = try await client.query("INSERT INTO notes (body) VALUES (\(attack))")
                let rows = try await client.query("SELECT body FROM notes")
                #expect(rows.count == 1)
                #expect(try rows[0].decode(String.self, at: 0) == attack)
                let tables = try await client.query("SELECT count(*) FROM pg_tables WHERE tablename = 'notes'")
                #expect(try tables[0].decode(Int.self, at: 0) == 1)
            }
        }
    }

    @Test func uniqueViolationCarriesSQLStateWithoutLeakingTheValue() async throws {
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url) { client in
                _ = try await client.query("CREATE TABLE accounts (email text PRIMARY KEY)")
                let email = "private.person@example.com"
                _ = try await client.query("INSERT INTO accounts VALUES (\(email))")
                let error = await #expect(throws: PostgresError.self) {
                    _ = try await client.query("INSERT INTO accounts VALUES (\(email))")
                }
                #expect(error?.code == .server)
                #expect(error?.sqlState == .uniqueViolation)
                #expect(error?.description.contains(email) == false)
                #expect(error?.serverDetail?.contains(email) == true)
                // The connection stays usable after a statement error.
                let rows = try await client.query("SELECT count(*) FROM accounts")
                #expect(try rows[0].decode(Int.self, at: 0) == 1)
            }
        }
    }

    @Test func badInputSyntaxDoesNotLeakTheBoundValue() async throws {
        try await TestDatabase.withClient(url: try TestDatabase.serverURL()) { client in
            let secret = "not-a-number-SECRET"
            let error = await #expect(throws: PostgresError.self) {
                _ = try await client.query("SELECT \(secret)::int8")
            }
            #expect(error?.sqlState == .invalidTextRepresentation)
            #expect(error?.description.contains("SECRET") == false)
        }
    }

    @Test func nulByteInTextIsRefusedBeforeSending() async throws {
        try await TestDatabase.withClient(url: try TestDatabase.serverURL()) { client in
            let error = await #expect(throws: PostgresError.self) {
                _ = try await client.query("SELECT \("a\u{0}b")::text")
            }
            #expect(error?.code == .invalidQuery)
        }
    }

    @Test func affectedRowsAreReported() async throws {
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url) { client in
                _ = try await client.query("CREATE TABLE n (v int8)")
                let inserted = try await client.query("INSERT INTO n SELECT generate_series(1, \(5))")
                #expect(inserted.affectedRows == 5)
                let updated = try await client.query("UPDATE n SET v = v + 1 WHERE v > \(2)")
                #expect(updated.affectedRows == 3)
            }
        }
    }
}

@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct PostgresTransactionTests {
    struct Boom: Error {}

    @Test func commitsOnSuccessAndRollsBackOnError() async throws {
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url) { client in
                _ = try await client.query("CREATE TABLE ledger (entry text)")
                try await client.withTransaction { connection in
                    _ = try await connection.query("INSERT INTO ledger VALUES (\("kept"))")
                }
                await #expect(throws: Boom.self) {
                    try await client.withTransaction { connection in
                        _ = try await connection.query("INSERT INTO ledger VALUES (\("discarded"))")
                        throw Boom()
                    }
                }
                await #expect(throws: PostgresError.self) {
                    try await client.withTransaction { connection in
                        _ = try await connection.query("INSERT INTO ledger VALUES (\("also discarded"))")
                        _ = try await connection.query("SELECT 1 / 0")
                    }
                }
                let rows = try await client.query("SELECT entry FROM ledger ORDER BY entry")
                #expect(try rows.map { try $0.decode(String.self, at: 0) } == ["kept"])
            }
        }
    }

    @Test func aConnectionLeftInATransactionIsNotReused() async throws {
        try await TestDatabase.withClient(url: try TestDatabase.serverURL(), maximumConnections: 1) { client in
            let firstPID = try await client.withConnection { connection in
                _ = try await connection.query("BEGIN")
                return connection.backendPID
            }
            let rows = try await client.query("SELECT pg_backend_pid(), now() = statement_timestamp()")
            let (pid, _) = try rows[0].decode((Int32, Bool).self)
            #expect(pid != firstPID)
        }
    }
}

@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct PostgresPoolTests {
    @Test func sixtyFourConcurrentQueriesThroughAPoolOfEight() async throws {
        try await TestDatabase.withClient(url: try TestDatabase.serverURL(), maximumConnections: 8) { client in
            let results = try await withThrowingTaskGroup(of: (Int, Int, Int32).self) { group in
                for index in 0..<64 {
                    group.addTask {
                        let rows = try await client.query(
                            "SELECT \(index)::int8 * 2, pg_backend_pid() FROM pg_sleep(0.02)"
                        )
                        let (doubled, pid) = try rows[0].decode((Int, Int32).self)
                        return (index, doubled, pid)
                    }
                }
                var collected: [(Int, Int, Int32)] = []
                for try await result in group { collected.append(result) }
                return collected
            }
            #expect(results.count == 64)
            #expect(results.allSatisfy { $0.1 == $0.0 * 2 })
            let backends = Set(results.map(\.2))
            #expect(backends.count <= 8)
            #expect(backends.count > 1)
            #expect(client.statistics.open <= 8)
            #expect(client.statistics.waiting == 0)
        }
    }

    @Test func waitingLongerThanTheCheckoutTimeoutFails() async throws {
        try await TestDatabase.withClient(
            url: try TestDatabase.serverURL(), maximumConnections: 1, checkoutTimeout: .milliseconds(200)
        ) { client in
            try await client.withConnection { _ in
                let error = await #expect(throws: PostgresError.self) {
                    _ = try await client.query("SELECT 1")
                }
                #expect(error?.code == .checkoutTimeout)
            }
            // Once the holder returns its connection, the pool serves again.
            let rows = try await client.query("SELECT 1")
            #expect(try rows[0].decode(Int.self, at: 0) == 1)
            #expect(client.statistics.waiting == 0)
        }
    }

    @Test func terminatedBackendsAreReplacedTransparently() async throws {
        let server = try TestDatabase.serverURL()
        try await TestDatabase.withClient(url: server, maximumConnections: 4) { client in
            // Open four pooled connections at once, so every slot holds a backend.
            let before = try await withThrowingTaskGroup(of: Int32.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await client.query("SELECT pg_backend_pid() FROM pg_sleep(0.1)")[0].decode(Int32.self, at: 0)
                    }
                }
                var pids: Set<Int32> = []
                for try await pid in group { pids.insert(pid) }
                return pids
            }
            #expect(before.count == 4)
            #expect(client.statistics.idle == 4)

            try await TestDatabase.withClient(url: server, maximumConnections: 1) { admin in
                let killed = try await admin.query(
                    "SELECT count(*) FROM unnest(\(Array(before))::int4[]) AS pid WHERE pg_terminate_backend(pid)"
                )
                #expect(try killed[0].decode(Int.self, at: 0) == 4)
                let gone = try await TestDatabase.eventually {
                    let alive = try await admin.query(
                        "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(\(Array(before))::int4[])"
                    )
                    return try alive[0].decode(Int.self, at: 0) == 0
                }
                #expect(gone)
            }

            // Every pooled backend is dead; the next queries still all succeed.
            let after = try await withThrowingTaskGroup(of: Int32.self) { group in
                for _ in 0..<16 {
                    group.addTask { try await client.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0) }
                }
                var pids: Set<Int32> = []
                for try await pid in group { pids.insert(pid) }
                return pids
            }
            #expect(after.isDisjoint(with: before))
            #expect(client.statistics.open <= 4)
        }
    }

    @Test func queriesAfterShutdownFailWithPoolClosed() async throws {
        let client = PostgresClient(configuration: PostgresConfiguration(url: try TestDatabase.serverURL()))
        _ = try await client.query("SELECT 1")
        await client.shutdown()
        let error = await #expect(throws: PostgresError.self) { _ = try await client.query("SELECT 1") }
        #expect(error?.code == .poolClosed)
    }

    @Test func unreachableServerFailsFastWithAOneLineReason() async throws {
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        try await TestDatabase.withClient(url: "postgresql://postgres@127.0.0.1:1/postgres") { client in
            let started = ContinuousClock.now
            let error = await #expect(throws: PostgresError.self) { _ = try await client.query("SELECT 1") }
            #expect(error?.code == .connectionFailed)
            #expect(error?.reason.contains("\n") == false)
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }
}

@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct PostgresListenTests {
    @Test func notificationsArriveInOrder() async throws {
        try await TestDatabase.withClient(url: try TestDatabase.serverURL()) { client in
            let channel = "test_" + UUID().uuidString.prefix(8).lowercased()
            let notifications = try await client.listen([channel])
            var iterator = notifications.makeAsyncIterator()
            for payload in ["one", "two", "three"] {
                try await client.notify(channel, payload: payload)
            }
            var received: [String] = []
            for _ in 0..<3 {
                let notification = try #require(try await iterator.next())
                #expect(notification.channel == channel)
                received.append(notification.payload)
            }
            #expect(received == ["one", "two", "three"])
        }
    }

    @Test func lostListeningConnectionThrows() async throws {
        let server = try TestDatabase.serverURL()
        try await TestDatabase.withClient(url: server) { client in
            let channel = "test_" + UUID().uuidString.prefix(8).lowercased()
            let notifications = try await client.listen([channel])
            var iterator = notifications.makeAsyncIterator()
            try await client.notify(channel, payload: "ping")
            #expect(try await iterator.next()?.payload == "ping")
            _ = try await client.query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = \("LISTEN \"\(channel)\"")"
            )
            let error = await #expect(throws: PostgresError.self) {
                while try await iterator.next() != nil {}
            }
            #expect(error?.code == .connectionClosed)
        }
    }
}
