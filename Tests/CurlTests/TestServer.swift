import NIOCore
import NIOPosix

/// A tiny HTTP/1.1 server on 127.0.0.1 with an ephemeral port, one behaviour per path:
/// - `/echo`: 200 with the body echoed, `X-Echo-Method`, `X-Echo-Header-Names` and one
///   `X-Echo-<name>` header per request header;
/// - `/status/N`: status N; `/large/N`: N bytes with a Content-Length;
///   `/large-unsized/N`: N bytes delimited by closing the connection;
/// - `/redirect` → `/echo`; `/redirect-ftp` → an ftp URL; `/redirect-loop` → itself;
/// - `/hang`: reads the request and never answers; `/close`: reads it and closes;
/// - anything not starting like an HTTP request (a TLS handshake): the connection is closed.
/// Every parsed request's path is yielded to `requests`, so tests can await "the server has it".
struct TestServer: Sendable {
    let channel: any Channel
    let port: Int
    let requests: AsyncStream<String>

    var baseURL: String { "http://127.0.0.1:\(self.port)" }

    static func start() async throws -> TestServer {
        let (requests, continuation) = AsyncStream.makeStream(of: String.self)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(TestHTTPHandler(onRequest: { continuation.yield($0) }))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        guard let port = channel.localAddress?.port else {
            try await channel.close()
            throw TestServerError.noPort
        }
        return TestServer(channel: channel, port: port, requests: requests)
    }

    func stop() async {
        try? await self.channel.close()
    }

}


/// A listener with a backlog of 0 that never accepts, plus one connection filling that backlog:
/// the kernel drops further SYNs, so a connect attempt hangs until its timeout.
struct BlackholeListener: Sendable {
    let listener: any Channel
    let filler: any Channel
    let port: Int

    static func start() async throws -> BlackholeListener {
        let group = MultiThreadedEventLoopGroup.singleton
        let listener = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 0)
            .serverChannelOption(ChannelOptions.autoRead, value: false)
            .childChannelInitializer { $0.eventLoop.makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        guard let port = listener.localAddress?.port else {
            try await listener.close()
            throw TestServerError.noPort
        }
        let filler = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port).get()
        return BlackholeListener(listener: listener, filler: filler, port: port)
    }

    func stop() async {
        try? await self.filler.close()
        try? await self.listener.close()
    }
}

enum TestServerError: Error {
    case noPort
}

/// A parsed request: enough of HTTP/1.1 for curl's requests (Content-Length bodies only).
struct TestRequest {
    var method: String
    var path: String
    var headers: [(name: String, value: String)]
    var body: ByteBuffer

    /// Returns nil until the whole request (head and Content-Length body) is in `buffer`.
    static func parse(_ buffer: ByteBuffer) -> TestRequest? {
        let bytes = buffer.readableBytesView
        guard let headEnd = bytes.firstRange(of: [13, 10, 13, 10]) else { return nil }
        let head = String(decoding: bytes[..<headEnd.lowerBound], as: UTF8.self)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)[...]
        guard let requestLine = lines.popFirst() else { return nil }
        let parts = requestLine.split(separator: " ")
        guard parts.count == 3 else { return nil }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].drop { $0 == " " }
            headers.append((name: String(line[..<colon]), value: String(value)))
        }
        let length = headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
        let bodyStart = headEnd.upperBound - bytes.startIndex
        guard buffer.readableBytes - bodyStart >= length,
            let body = buffer.getSlice(at: buffer.readerIndex + bodyStart, length: length)
        else { return nil }
        return TestRequest(method: String(parts[0]), path: String(parts[1]), headers: headers, body: body)
    }
}

final class TestHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var received: ByteBuffer?
    private var answered = false
    private let onRequest: @Sendable (String) -> Void

    init(onRequest: @escaping @Sendable (String) -> Void) {
        self.onRequest = onRequest
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = self.unwrapInboundIn(data)
        self.received.setOrWriteBuffer(&chunk)
        // Not HTTP (a TLS ClientHello starts with 0x16): hang up, as a plain HTTP server would.
        if let first = self.received?.readableBytesView.first, !(UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first) {
            context.close(promise: nil)
            return
        }
        guard !self.answered, let buffer = self.received, let request = TestRequest.parse(buffer) else { return }
        self.answered = true
        self.onRequest(request.path)
        self.respond(to: request, context: context)
    }

    private func respond(to request: TestRequest, context: ChannelHandlerContext) {
        let path = request.path
        switch path {
        case "/hang":
            return
        case "/close":
            context.close(promise: nil)
        case "/echo":
            var headers = [
                ("X-Echo-Method", request.method),
                ("X-Echo-Header-Names", request.headers.map { $0.name.lowercased() }.joined(separator: ",")),
            ]
            headers += request.headers.map { ("X-Echo-\($0.name)", $0.value) }
            self.send(200, headers: headers, body: request.body, head: request.method == "HEAD", context: context)
        case "/redirect":
            self.send(302, headers: [("Location", "/echo")], context: context)
        case "/redirect-ftp":
            self.send(302, headers: [("Location", "ftp://127.0.0.1:21/file")], context: context)
        case "/redirect-loop":
            self.send(302, headers: [("Location", "/redirect-loop")], context: context)
        default:
            if let status = Self.number(after: "/status/", in: path) {
                self.send(status, body: self.bytes("status \(status)", context: context), context: context)
            } else if let count = Self.number(after: "/large/", in: path) {
                self.send(200, body: self.repeated(count, context: context), context: context)
            } else if let count = Self.number(after: "/large-unsized/", in: path) {
                self.send(200, body: self.repeated(count, context: context), sized: false, context: context)
            } else {
                self.send(404, context: context)
            }
        }
    }

    /// Writes the response with `Connection: close`, then closes once it is written.
    private func send(
        _ status: Int,
        headers: [(String, String)] = [],
        body: ByteBuffer? = nil,
        head: Bool = false,
        sized: Bool = true,
        context: ChannelHandlerContext
    ) {
        let body = body ?? context.channel.allocator.buffer(capacity: 0)
        var response = context.channel.allocator.buffer(capacity: 256 + body.readableBytes)
        response.writeString("HTTP/1.1 \(status) Test\r\nConnection: close\r\n")
        if sized {
            response.writeString("Content-Length: \(body.readableBytes)\r\n")
        }
        for (name, value) in headers {
            response.writeString("\(name): \(value)\r\n")
        }
        response.writeString("\r\n")
        if !head {
            var body = body
            response.writeBuffer(&body)
        }
        let channel = context.channel
        context.writeAndFlush(self.wrapOutboundOut(response)).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    private func bytes(_ string: String, context: ChannelHandlerContext) -> ByteBuffer {
        context.channel.allocator.buffer(string: string)
    }

    private func repeated(_ count: Int, context: ChannelHandlerContext) -> ByteBuffer {
        var buffer = context.channel.allocator.buffer(capacity: count)
        buffer.writeRepeatingByte(UInt8(ascii: "a"), count: count)
        return buffer
    }

    private static func number(after prefix: String, in path: String) -> Int? {
        guard path.hasPrefix(prefix) else { return nil }
        return Int(path.dropFirst(prefix.count))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
