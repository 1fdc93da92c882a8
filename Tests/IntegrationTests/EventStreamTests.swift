import Access
import API
import Foundation
import Hummingbird
import Logging
import Postgres
import ServiceLifecycle
import Store
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `GET /v1/events` over a live server, and the broadcaster behind it: one reader fanning the
/// change feed out to bounded client buffers.
@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason), .timeLimit(.minutes(2)))
struct EventStreamTests {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    static let readKey = "events-read-key"

    /// A key for the read scope only.
    struct ReadKey: APIKeyVerifying {
        func authenticate(_ presented: String) async throws -> APIPrincipal? {
            presented == EventStreamTests.readKey ? APIPrincipal(keyId: "0000000000e1", name: try APIKeyName("events"), scope: .read) : nil
        }
    }

    /// A server on a free port with the events route (keys: ``ReadKey``), the listener and the
    /// broadcaster as its services, on a fresh migrated database; stopped gracefully after `body`.
    static func withEventServer(
        configuration: EventsConfiguration = EventsConfiguration(pollInterval: .seconds(5)), maximumClients: Int = 256,
        _ body: (PostgresClient, EventBroadcaster, Int) async throws -> Void
    ) async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let listener = PostgresListener(client: client, pollInterval: .milliseconds(50), logger: quiet)
            let broadcaster = EventBroadcaster(client: client, listener: listener, configuration: configuration, logger: quiet)
            let router = Router(context: APIRequestContext.self)
            router.addMiddleware { ProblemMiddleware() }
            EventsController(broadcaster: broadcaster, maximumClients: maximumClients).register(on: APIRoutes(router: router, keys: ReadKey()))
            let (ports, port) = AsyncStream.makeStream(of: Int.self)
            let app = Application(
                router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
                services: [listener, broadcaster],
                onServerRunning: { channel in port.yield(channel.localAddress?.port ?? 0) }, logger: quiet
            )
            let group = ServiceGroup(services: [app], logger: quiet)
            let running = Task { try await group.run() }
            defer { running.cancel() }
            var listening = 0
            for await value in ports {
                listening = value
                break
            }
            try await body(client, broadcaster, listening)
            await group.triggerGracefulShutdown()
            _ = try? await running.value
        }
    }

    // MARK: The stream

    @Test func newChangesStreamWithTheirPositionKindAndData() async throws {
        try await Self.withEventServer { client, _, port in
            let stream = try await EventStreamClient.open(port: port, path: "/v1/events")
            #expect(stream.head.hasPrefix("HTTP/1.1 200"))
            #expect(stream.head.lowercased().contains("content-type: text/event-stream"))
            let (_, jobId, stepId) = try await TestDatabase.createStep(client)

            let job = try #require(await stream.nextEvent(within: .seconds(10)))
            let step = try #require(await stream.nextEvent(within: .seconds(10)))
            #expect(job.event == "job")
            #expect(step.event == "step")
            let jobData = try APIJSON.decoder().decode(EventView.self, from: Data(job.data.utf8))
            let stepData = try APIJSON.decoder().decode(EventView.self, from: Data(step.data.utf8))
            #expect(jobData.jobId == APIJSON.id(jobId) && jobData.state == "running" && jobData.previousState == nil)
            #expect(stepData.stepId == APIJSON.id(stepId) && stepData.jobId == APIJSON.id(jobId) && stepData.state == "pending")

            // The ids are the feed's positions, in order.
            let positions = try await ChangeFeed(client: client).read(after: .start, limit: 10).map(\.position.description)
            #expect([job.id, step.id] == positions)
        }
    }

    /// A change committed while an older transaction is open is held back until that one ends;
    /// its NOTIFY has already come and gone, and the older one may end without writing a change
    /// (no NOTIFY at all). The stream still delivers it promptly, not at the next slow poll.
    @Test func aChangeHeldBackBehindAnOlderOpenTransactionIsDeliveredSoonAfterItEnds() async throws {
        try await Self.withEventServer(configuration: EventsConfiguration(pollInterval: .seconds(60), keepAlive: .seconds(60))) { client, _, port in
            let stream = try await EventStreamClient.open(port: port, path: "/v1/events")
            try await client.withConnection { older in
                _ = try await older.query("BEGIN")
                _ = try await older.query("SELECT pg_current_xact_id()")
                _ = try await TestDatabase.createStep(client)
                // Held back: not readable while the older transaction is open.
                #expect(await stream.nextEvent(within: .milliseconds(500)) == nil)
                _ = try await older.query("COMMIT")
            }
            let clock = ContinuousClock()
            let ended = clock.now
            let first = await stream.nextEvent(within: .seconds(5))
            #expect(first?.event == "job")
            #expect(clock.now - ended < .seconds(3), "delivered \(clock.now - ended) after the older transaction ended")
        }
    }

    @Test func resumingWithLastEventIDReturnsExactlyTheLaterEventsThenLiveOnes() async throws {
        try await Self.withEventServer { client, _, port in
            for _ in 0..<3 { _ = try await TestDatabase.createStep(client) }
            let earlier = try await ChangeFeedTests.changes(ChangeFeed(client: client), count: 6)
            #expect(earlier.count == 6)

            let stream = try await EventStreamClient.open(port: port, path: "/v1/events", lastEventID: earlier[1].position.description)
            var received: [String] = []
            for _ in 0..<4 {
                received.append(try #require(await stream.nextEvent(within: .seconds(10))).id)
            }
            #expect(received == earlier[2...].map(\.position.description))

            let (_, jobId, _) = try await TestDatabase.createStep(client)
            let live = try #require(await stream.nextEvent(within: .seconds(10)))
            #expect(live.event == "job" && live.data.contains(APIJSON.id(jobId)))
            #expect(try #require(ChangePosition(live.id)) > earlier[5].position)
        }
    }

    @Test func theAfterParameterResumesAndKindsAndJobIdFilter() async throws {
        try await Self.withEventServer { client, _, port in
            let (_, first, _) = try await TestDatabase.createStep(client)
            _ = try await TestDatabase.createStep(client)
            let start = try #require(try await ChangeFeedTests.changes(ChangeFeed(client: client), count: 4).first?.position)
            let stream = try await EventStreamClient.open(port: port, path: "/v1/events?after=\(ChangePosition.start)&kinds=step&jobId=\(first)")
            let only = try #require(await stream.nextEvent(within: .seconds(10)))
            #expect(only.event == "step" && only.data.contains(APIJSON.id(first)))
            #expect(try #require(ChangePosition(only.id)) > start)
            _ = try await client.query("UPDATE steps SET state = 'submitting' WHERE job_id = \(first)")
            let next = try #require(await stream.nextEvent(within: .seconds(10)))
            #expect(next.event == "step" && next.data.contains(#""previousState":"pending""#))
        }
    }

    @Test func aPositionOlderThanTheRetentionGetsAMissedEventThenTheRest() async throws {
        try await Self.withEventServer { client, _, port in
            for _ in 0..<2 { _ = try await TestDatabase.createStep(client) }
            let feed = ChangeFeed(client: client)
            let all = try await ChangeFeedTests.changes(feed, count: 4)
            _ = try await client.query("UPDATE changes SET at = now() - interval '2 days' WHERE id <= \(all[1].position.id)")
            #expect(try await feed.prune(before: Date().addingTimeInterval(-86_400)) == 2)

            let stream = try await EventStreamClient.open(port: port, path: "/v1/events", lastEventID: all[0].position.description)
            let missed = try #require(await stream.nextEvent(within: .seconds(10)))
            #expect(missed.event == "missed")
            #expect(missed.id == all[1].position.description)
            let view = try APIJSON.decoder().decode(MissedEventsView.self, from: Data(missed.data.utf8))
            #expect(view.requested == all[0].position.description && view.resumedAfter == all[1].position.description)
            #expect(try #require(await stream.nextEvent(within: .seconds(10))).id == all[2].position.description)
            #expect(try #require(await stream.nextEvent(within: .seconds(10))).id == all[3].position.description)
        }
    }

    @Test func badParametersAreProblemsNamingThemAndAKeyIsRequired() async throws {
        try await Self.withEventServer { _, _, port in
            let cases: [(String, String?, String, String)] = [
                ("/v1/events?kinds=job,bogus", nil, "400", "kinds"),
                ("/v1/events?jobId=nope", nil, "400", "jobId"),
                ("/v1/events?after=12", nil, "400", "after"),
                ("/v1/events?since=1", nil, "400", "since"),
                ("/v1/events", "x-1", "400", "Last-Event-ID"),
            ]
            for (path, lastEventID, status, name) in cases {
                let answer = try #require(await RawSocket.exchange(
                    port: port, EventStreamClient.request(path: path, lastEventID: lastEventID, close: true), within: .seconds(10)
                ))
                #expect(answer.hasPrefix("HTTP/1.1 \(status)"), "\(path): \(answer)")
                #expect(answer.contains("application/problem+json") && answer.contains("\"\(name)"), "\(path): \(answer)")
            }
            let anonymous = try #require(await RawSocket.exchange(
                port: port, "GET /v1/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", within: .seconds(10)
            ))
            #expect(anonymous.hasPrefix("HTTP/1.1 401"))
        }
    }

    @Test func aSilentStreamGetsKeepAlivesAndAClientThatLeftIsForgotten() async throws {
        let configuration = EventsConfiguration(pollInterval: .milliseconds(100), keepAlive: .milliseconds(200))
        try await Self.withEventServer(configuration: configuration) { _, broadcaster, port in
            var stream: EventStreamClient? = try await EventStreamClient.open(port: port, path: "/v1/events")
            #expect(try await TestDatabase.eventually { broadcaster.clientCount == 1 })
            #expect(await stream?.nextComment(within: .seconds(5)) == "keep-alive")
            stream = nil  // closes the socket
            #expect(try await TestDatabase.eventually { broadcaster.clientCount == 0 }, "the stream of a client that went away was kept")
        }
    }

    @Test func aGracefulShutdownEndsOpenStreams() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let listener = PostgresListener(client: client, logger: Self.quiet)
            let broadcaster = EventBroadcaster(client: client, listener: listener, logger: Self.quiet)
            let router = Router(context: APIRequestContext.self)
            EventsController(broadcaster: broadcaster).register(on: APIRoutes(router: router, keys: ReadKey()))
            let (ports, port) = AsyncStream.makeStream(of: Int.self)
            let app = Application(
                router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
                services: [listener, broadcaster], onServerRunning: { channel in port.yield(channel.localAddress?.port ?? 0) }, logger: Self.quiet
            )
            let group = ServiceGroup(services: [app], logger: Self.quiet)
            let running = Task { try await group.run() }
            defer { running.cancel() }
            var listening = 0
            for await value in ports {
                listening = value
                break
            }
            let stream = try await EventStreamClient.open(port: listening, path: "/v1/events")
            let started = ContinuousClock.now
            await group.triggerGracefulShutdown()
            try await running.value
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(await stream.isClosed(within: .seconds(5)))
        }
    }

    @Test func aFullServerAnswers503ForAnotherStream() async throws {
        try await Self.withEventServer(maximumClients: 1) { _, broadcaster, port in
            let first = try await EventStreamClient.open(port: port, path: "/v1/events")
            #expect(first.head.hasPrefix("HTTP/1.1 200"))
            #expect(try await TestDatabase.eventually { broadcaster.clientCount == 1 })
            let answer = try #require(await RawSocket.exchange(
                port: port, EventStreamClient.request(path: "/v1/events", lastEventID: nil, close: true), within: .seconds(10)
            ))
            #expect(answer.hasPrefix("HTTP/1.1 503"), "\(answer)")
        }
    }

    // MARK: The broadcaster

    @Test func everyClientGetsEachChangeOnceAndASlowOneIsDroppedWithItsBufferBounded() async throws {
        try await TestDatabase.withMigratedDatabase { client in
            let listener = PostgresListener(client: client, pollInterval: .milliseconds(50), logger: Self.quiet)
            let broadcaster = EventBroadcaster(
                client: client, listener: listener, configuration: EventsConfiguration(clientBuffer: 8, readBatch: 3), logger: Self.quiet
            )
            let services = Task {
                await withDiscardingTaskGroup { group in
                    group.addTask { try? await listener.run() }
                    group.addTask { try? await broadcaster.run() }
                }
            }
            defer { services.cancel() }
            let fast = try await broadcaster.subscribe(after: nil, filter: EventFilter())
            let other = try await broadcaster.subscribe(after: nil, filter: EventFilter(kinds: [.job]))
            let slow = try await broadcaster.subscribe(after: nil, filter: EventFilter())
            #expect(broadcaster.clientCount == 3)

            // The fast clients keep up (each step's two changes read before the next step is
            // made); the slow one reads nothing.
            var fastMessages = fast.messages.makeAsyncIterator()
            var otherMessages = other.messages.makeAsyncIterator()
            var fastSeen: [ChangePosition] = []
            var otherSeen: [ChangePosition] = []
            for _ in 0..<12 {
                _ = try await TestDatabase.createStep(client)
                for _ in 0..<2 {
                    if case .change(let event) = await fastMessages.next() { fastSeen.append(event.position) }
                }
                if case .change(let event) = await otherMessages.next() { otherSeen.append(event.position) }
            }
            let expected = try await ChangeFeed(client: client).read(after: .start, limit: 100)
            #expect(fastSeen == expected.map(\.position))
            #expect(otherSeen == expected.filter { $0.kind == .job }.map(\.position))

            // The slow client read nothing meanwhile: it holds its buffer's worth, then its stream ends.
            var slowSeen: [ChangePosition] = []
            for await case .change(let event) in slow.messages { slowSeen.append(event.position) }
            #expect(slowSeen == expected.prefix(8).map(\.position))
            #expect(try await TestDatabase.eventually { broadcaster.clientCount == 2 })
            fast.end()
            other.end()
            #expect(try await TestDatabase.eventually { broadcaster.clientCount == 0 })
        }
    }
}

/// An SSE client over a raw socket: sends the request, reads the head, then de-chunks the body
/// and splits it into events and comments.
final class EventStreamClient {
    struct Event: Equatable {
        var id: String
        var event: String
        var data: String
    }

    let socket: RawSocket
    let head: String
    private var raw: [UInt8]
    private var body: [UInt8] = []
    private var pendingFrames: [String] = []

    private init(socket: RawSocket, head: String, rest: [UInt8]) {
        self.socket = socket
        self.head = head
        self.raw = rest
    }

    static func request(path: String, lastEventID: String?, close: Bool = false) -> String {
        var request = "GET \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(EventStreamTests.readKey)\r\nAccept: text/event-stream\r\n"
        if let lastEventID { request += "Last-Event-ID: \(lastEventID)\r\n" }
        if close { request += "Connection: close\r\n" }
        return request + "\r\n"
    }

    /// Opens the stream and waits for its head and opening comment (the client is subscribed).
    static func open(port: Int, path: String, lastEventID: String? = nil) async throws -> EventStreamClient {
        let socket = try #require(await RawSocket.connect(port: port, within: .seconds(5)))
        socket.send(request(path: path, lastEventID: lastEventID))
        var received: [UInt8] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            received += receive(socket).bytes
            if let end = find([13, 10, 13, 10], in: received) {
                let client = EventStreamClient(
                    socket: socket, head: String(decoding: received[..<end], as: UTF8.self), rest: Array(received[(end + 4)...])
                )
                if client.head.hasPrefix("HTTP/1.1 200") {
                    _ = await client.nextFrame(within: .seconds(10))  // ": mpshook events" and the retry hint
                }
                return client
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw CancellationError()
    }

    /// The next event (comments skipped), or nil when none comes in time.
    func nextEvent(within limit: Duration) async -> Event? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            guard let frame = await nextFrame(within: deadline - ContinuousClock.now) else { return nil }
            var event = Event(id: "", event: "message", data: "")
            var isEvent = false
            for line in frame.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("id: ") { event.id = String(line.dropFirst(4)); isEvent = true }
                if line.hasPrefix("event: ") { event.event = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { event.data = String(line.dropFirst(6)) }
            }
            if isEvent { return event }
        }
        return nil
    }

    /// The next comment's text, or nil when none comes in time.
    func nextComment(within limit: Duration) async -> String? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            guard let frame = await nextFrame(within: deadline - ContinuousClock.now) else { return nil }
            if frame.hasPrefix(": ") { return String(frame.dropFirst(2)) }
        }
        return nil
    }

    /// True once the server has closed the connection.
    func isClosed(within limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if Self.receive(socket).closed { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    private func nextFrame(within limit: Duration) async -> String? {
        let deadline = ContinuousClock.now + limit
        while pendingFrames.isEmpty {
            let chunk = Self.receive(socket)
            raw += chunk.bytes
            dechunk()
            if let end = Self.find([10, 10], in: body) {
                pendingFrames.append(String(decoding: body[..<end], as: UTF8.self))
                body.removeFirst(end + 2)
                continue
            }
            if chunk.closed || ContinuousClock.now >= deadline { return nil }
            if chunk.bytes.isEmpty { try? await Task.sleep(for: .milliseconds(5)) }
        }
        return pendingFrames.removeFirst()
    }

    /// Moves complete chunks of the chunked body from `raw` to `body`.
    private func dechunk() {
        while let lineEnd = Self.find([13, 10], in: raw) {
            let sizeText = String(decoding: raw[..<lineEnd], as: UTF8.self).split(separator: ";").first.map(String.init) ?? ""
            guard let size = Int(sizeText, radix: 16) else { return }
            let start = lineEnd + 2
            guard raw.count >= start + size + 2 else { return }
            body += raw[start..<(start + size)]
            raw.removeFirst(start + size + 2)
        }
    }

    private static func receive(_ socket: RawSocket) -> (bytes: [UInt8], closed: Bool) {
        var collected: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socket.descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count > 0 {
                collected += buffer[0..<count]
                continue
            }
            if count == 0 { return (collected, true) }
            return (collected, errno != EAGAIN && errno != EWOULDBLOCK)
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for index in 0...(haystack.count - needle.count) where haystack[index..<(index + needle.count)].elementsEqual(needle) {
            return index
        }
        return nil
    }
}
