import HTTPTypes
public import HummingbirdCore
public import Logging
public import NIOCore
import NIOHTTPTypes

/// Hummingbird's HTTP/1 child channel with every connection registered in a
/// ``ConnectionGuard`` (timeouts, limit) and `Expect: 100-continue` answered before the body.
public struct GuardedHTTP1Channel: ServerChildChannel {
    public typealias Value = HTTP1Channel.Value

    let http1: HTTP1Channel
    let connectionGuard: ConnectionGuard
    /// The largest body any route accepts: a larger declared one is refused before it is sent.
    let maximumBodySize: Int

    public init(http1: HTTP1Channel, connectionGuard: ConnectionGuard, maximumBodySize: Int) {
        self.http1 = http1
        self.connectionGuard = connectionGuard
        self.maximumBodySize = maximumBodySize
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let id = connectionGuard.register(channel)
        let connectionGuard = connectionGuard
        let maximumBodySize = maximumBodySize
        var configuration = http1.configuration
        let additional = configuration.additionalChannelHandlers
        configuration.additionalChannelHandlers = {
            [ConnectionPhaseObserver(connectionGuard: connectionGuard, id: id), ExpectContinueHandler(maximumBodySize: maximumBodySize)]
                + additional()
        }
        do {
            // First in the pipeline: it sees the bytes of a head before the decoder has a whole one.
            try channel.pipeline.syncOperations.addHandler(ConnectionBytesObserver(connectionGuard: connectionGuard, id: id), position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return HTTP1Channel(responder: http1.responder, configuration: configuration).setup(channel: channel, logger: logger)
    }

    public func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 under `connectionGuard`, refusing declared bodies above `maximumBodySize` early.
    public static func guardedHTTP1(connectionGuard: ConnectionGuard, maximumBodySize: Int) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            GuardedHTTP1Channel(http1: HTTP1Channel(responder: responder), connectionGuard: connectionGuard, maximumBodySize: maximumBodySize)
        }
    }
}

/// Tells the guard when bytes arrive, so the first byte of a request starts its header clock.
final class ConnectionBytesObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let connectionGuard: ConnectionGuard
    private let id: UInt64

    init(connectionGuard: ConnectionGuard, id: UInt64) {
        self.connectionGuard = connectionGuard
        self.id = id
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connectionGuard.bytesArrived(id)
        context.fireChannelRead(data)
    }
}

/// Tells the guard when a request head and end are decoded and when a response ends.
final class ConnectionPhaseObserver: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let connectionGuard: ConnectionGuard
    private let id: UInt64

    init(connectionGuard: ConnectionGuard, id: UInt64) {
        self.connectionGuard = connectionGuard
        self.id = id
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: connectionGuard.headArrived(id)
        case .body: break
        case .end: connectionGuard.requestEnded(id)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            connectionGuard.responseEnded(id)
        }
        context.write(data, promise: promise)
    }
}

/// Answers a request's `Expect` before its body is read (RFC 9110 §10.1.1): `100 Continue`
/// when its declared length is within the limit; otherwise a final 413 or 417 at once, after
/// which the connection closes (its unread body would otherwise be taken for the next request).
final class ExpectContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let maximumBodySize: Int
    /// The rest of a refused request is dropped until the connection is closed.
    private var refused = false

    init(maximumBodySize: Int) {
        self.maximumBodySize = maximumBodySize
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        guard case .head(let head) = unwrapInboundIn(data), let expectation = head.headerFields[.expect] else {
            context.fireChannelRead(data)
            return
        }
        switch Self.answer(expectation: expectation, contentLength: head.headerFields[.contentLength], maximumBodySize: maximumBodySize) {
        case .continue:
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
            context.fireChannelRead(data)
        case .refuse(let status):
            refused = true
            let response = HTTPResponse(status: status, headerFields: [.connection: "close", .contentLength: "0"])
            context.write(wrapOutboundOut(.head(response)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    /// What a request with `Expect: expectation` gets before its body.
    enum Answer: Equatable {
        case `continue`
        case refuse(HTTPResponse.Status)
    }

    /// `100-continue` (case-insensitive, the only expectation HTTP defines) with a declared
    /// length within `maximumBodySize` (or none: chunked, which the routes' own limit bounds)
    /// continues; a larger one is 413; anything else is 417.
    static func answer(expectation: String, contentLength: String?, maximumBodySize: Int) -> Answer {
        guard expectation.trimmingWhitespace().lowercased() == "100-continue" else {
            return .refuse(.expectationFailed)
        }
        if let contentLength, let declared = Int(contentLength.trimmingWhitespace()), declared > maximumBodySize {
            return .refuse(.contentTooLarge)
        }
        return .continue
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> Substring {
        let trimmed = self.drop { $0 == " " || $0 == "\t" }
        return trimmed.dropLast(trimmed.reversed().prefix { $0 == " " || $0 == "\t" }.count)
    }
}
