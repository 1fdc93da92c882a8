import Access
public import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
public import Store

/// `GET /v1/events` (read scope): Server-Sent Events of state changes of jobs, steps, outputs
/// and notifications, from the change feed through the process's ``EventBroadcaster``.
///
/// Each event: `id:` its feed position (opaque; send it back as `Last-Event-ID` to resume),
/// `event:` its kind (`job`, `step`, `output`, `notification`), `data:` one JSON object
/// (``EventView``). A client resuming from a position the retention has pruned first gets one
/// `missed` event (its `id` the oldest position still kept) telling it to reload state from the
/// REST API, then everything after. Without a position, the stream starts with what is new.
/// A `: keep-alive` comment is written when the stream has been silent for the keep-alive
/// interval. A client that falls behind is dropped (its stream ends) and resumes from the table.
public struct EventsController: Sendable {
    let broadcaster: EventBroadcaster
    let feed: ChangeFeed
    let configuration: EventsConfiguration
    /// The most streams open at once in this process: beyond it, 503 (dashboards never take the
    /// connections the NotifyUrl door needs).
    let maximumClients: Int

    public init(broadcaster: EventBroadcaster, maximumClients: Int = 256) {
        self.broadcaster = broadcaster
        self.feed = broadcaster.feed
        self.configuration = broadcaster.configuration
        self.maximumClients = max(1, maximumClients)
    }

    /// Adds `GET /v1/events` with the read scope.
    public func register(on routes: APIRoutes) {
        routes.on(.get, "events", scope: .read) { request, _ in
            try await self.stream(request)
        }
    }

    /// The query parameters the route takes.
    static let parameters: Set<String> = ["after", "kinds", "jobId"]
    static let lastEventID = HTTPField.Name("Last-Event-ID")!

    func stream(_ request: Request) async throws -> Response {
        let query = try QueryReader(request, allowed: Self.parameters)
        let filter = EventFilter(kinds: Set(try query.values("kinds", as: ChangeKind.self)), jobId: try query.uuid("jobId"))
        // The header wins: a browser reconnecting sends it with the URL of its first request.
        var after: ChangePosition?
        if let header = request.headers[Self.lastEventID], !header.isEmpty {
            guard let position = ChangePosition(header) else {
                throw APIProblem.invalidParameter("Last-Event-ID", "not an event id this stream sent")
            }
            after = position
        } else if let text = try query.string("after", maximumLength: 50) {
            guard let position = ChangePosition(text) else { throw APIProblem.invalidParameter("after", "not an event id this stream sent") }
            after = position
        }
        guard broadcaster.clientCount < maximumClients else {
            throw APIProblem(.serviceUnavailable, .unavailable, "too many event streams are open; retry later", headers: [.retryAfter: "5"])
        }

        var missed: (requested: ChangePosition, resumed: ChangePosition)?
        let subscription: EventBroadcaster.Subscription
        do {
            if let requested = after {
                let horizon = try await feed.horizon()
                if requested < horizon {
                    missed = (requested, horizon)
                    after = horizon
                }
            }
            subscription = try await broadcaster.subscribe(after: after, filter: filter)
        } catch {
            throw APIProblem(.serviceUnavailable, .unavailable, "the event feed cannot be read now; retry later", headers: [.retryAfter: "2"])
        }

        let feed = self.feed
        let batch = configuration.readBatch
        let (resumeAfter, missedRange) = (after, missed)
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-store", HTTPField.Name("X-Accel-Buffering")!: "no"]
        let body = ResponseBody { writer in
            defer { subscription.end() }
            try await withGracefulShutdownHandler {
                var frames = EventFrames()
                try await writer.write(frames.opening())
                if let missed = missedRange {
                    try await writer.write(frames.missed(requested: missed.requested, resumed: missed.resumed))
                }
                // What the client has not seen up to where the live stream starts, from the table.
                if var position = resumeAfter {
                    while position < subscription.start {
                        let events = try await feed.read(after: position, limit: batch)
                        guard let last = events.last else { break }
                        let wanted = events.filter { $0.position <= subscription.start && filter.matches($0) }
                        if !wanted.isEmpty { try await writer.write(frames.events(wanted)) }
                        position = last.position
                    }
                }
                for await message in subscription.messages {
                    switch message {
                    case .change(let event): try await writer.write(frames.events([event]))
                    case .keepAlive: try await writer.write(frames.keepAlive())
                    }
                }
            } onGracefulShutdown: {
                subscription.end()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}

/// One change as the event stream's `data:` carries it.
public struct EventView: Codable, Sendable, Equatable {
    public var kind: ChangeKind
    public var jobId: String?
    public var stepId: String?
    public var inputIndex: Int?
    public var notificationId: Int64?
    /// The state before the change; absent when the row was created.
    public var previousState: String?
    public var state: String
    public var at: Date

    public init(_ event: ChangeEvent) {
        kind = event.kind
        jobId = event.jobId.map(APIJSON.id)
        stepId = event.stepId.map(APIJSON.id)
        inputIndex = event.inputIndex
        notificationId = event.notificationId
        previousState = event.from
        state = event.to
        at = event.at
    }
}

/// The `missed` event's data: the client's position is older than the retention.
public struct MissedEventsView: Codable, Sendable, Equatable {
    /// The position the client asked to resume after.
    public var requested: String
    /// The position the stream resumes after: changes between the two were pruned.
    public var resumedAfter: String
    public var detail: String
}

/// Writes the `text/event-stream` framing.
struct EventFrames {
    private let encoder = APIJSON.encoder()
    private var allocator = ByteBufferAllocator()

    mutating func opening() -> ByteBuffer {
        // A reconnecting EventSource waits `retry` milliseconds first.
        allocator.buffer(string: ": mpshook events\nretry: 2000\n\n")
    }

    mutating func keepAlive() -> ByteBuffer {
        allocator.buffer(string: ": keep-alive\n\n")
    }

    mutating func events(_ events: [ChangeEvent]) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: events.count * 256)
        for event in events {
            let data = (try? encoder.encode(EventView(event))) ?? Data("{}".utf8)
            buffer.writeString("id: \(event.position)\nevent: \(event.kind.rawValue)\ndata: ")
            buffer.writeBytes(data)
            buffer.writeString("\n\n")
        }
        return buffer
    }

    mutating func missed(requested: ChangePosition, resumed: ChangePosition) -> ByteBuffer {
        let view = MissedEventsView(
            requested: requested.description, resumedAfter: resumed.description,
            detail: "events after the requested position are no longer kept; reload the current state from the REST API"
        )
        let data = (try? encoder.encode(view)) ?? Data("{}".utf8)
        var buffer = allocator.buffer(capacity: 256)
        buffer.writeString("id: \(resumed)\nevent: missed\ndata: ")
        buffer.writeBytes(data)
        buffer.writeString("\n\n")
        return buffer
    }
}
