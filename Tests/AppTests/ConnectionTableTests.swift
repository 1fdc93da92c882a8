@testable import App
import HTTPTypes
import Logging
import Testing

/// The connection guard's pure part: deadlines per phase and whom to close at the limit.
@Suite struct ConnectionTableTests {
    let start = ContinuousClock.now
    let limits = ConnectionLimits(idleTimeout: .seconds(75), headerTimeout: .seconds(10), bodyTimeout: .seconds(30), maximumConnections: 4)

    func at(_ seconds: Double) -> ContinuousClock.Instant {
        start + .milliseconds(Int64(seconds * 1000))
    }

    @Test func aNewConnectionThatSendsNothingGetsTheHeaderTimeout() {
        var table = ConnectionTable(limits: limits)
        let (id, evicted) = table.open(at: at(0))
        #expect(evicted == nil)
        #expect(table.expired(at: at(9.9)).isEmpty)
        #expect(table.expired(at: at(10)) == [id])
    }

    @Test func aSlowHeadIsTimedFromItsFirstByteAfterAResponse() {
        var table = ConnectionTable(limits: limits)
        let (id, _) = table.open(at: at(0))
        table.bytesArrived(id, at: at(1))
        table.headArrived(id, at: at(2))
        table.requestEnded(id, at: at(2))
        table.responseEnded(id, at: at(3))
        // Keep-alive: idle until 3 + 75.
        #expect(table.expired(at: at(77.9)).isEmpty)
        table.bytesArrived(id, at: at(50))
        // More bytes of the same head do not restart its clock.
        table.bytesArrived(id, at: at(55))
        #expect(table.expired(at: at(59.9)).isEmpty)
        #expect(table.expired(at: at(60)) == [id])
    }

    @Test func aBodyMustArriveWithinTheBodyTimeoutOfItsHead() {
        var table = ConnectionTable(limits: limits)
        let (id, _) = table.open(at: at(0))
        table.bytesArrived(id, at: at(0))
        table.headArrived(id, at: at(1))
        table.bytesArrived(id, at: at(20))
        #expect(table.expired(at: at(30.9)).isEmpty)
        #expect(table.expired(at: at(31)) == [id])
    }

    @Test func aRequestBeingAnsweredHasNoDeadline() {
        var table = ConnectionTable(limits: limits)
        let (id, _) = table.open(at: at(0))
        table.bytesArrived(id, at: at(0))
        table.headArrived(id, at: at(0))
        table.requestEnded(id, at: at(0))
        #expect(table.expired(at: at(1000)).isEmpty)
        table.responseEnded(id, at: at(1000))
        #expect(table.expired(at: at(1074.9)).isEmpty)
        #expect(table.expired(at: at(1075)) == [id])
    }

    @Test func theConnectionReachingTheLimitClosesTheOneIdleOrStuckTheLongest() {
        var table = ConnectionTable(limits: limits)
        let (busy, _) = table.open(at: at(0))
        table.bytesArrived(busy, at: at(0))
        table.headArrived(busy, at: at(0))
        table.requestEnded(busy, at: at(0))
        let (slowHead, _) = table.open(at: at(1))
        table.bytesArrived(slowHead, at: at(2))
        let (idle, _) = table.open(at: at(3))
        #expect(table.count == 3)
        // The fourth reaches the limit: the oldest waiting on its peer goes, not the one being answered.
        let (fourth, evicted) = table.open(at: at(4))
        #expect(evicted == slowHead)
        // Before the evicted one has finished closing, the next one chooses another.
        let (_, next) = table.open(at: at(5))
        #expect(next == idle)
        #expect(table.count == 3)
        table.close(slowHead)
        table.close(idle)
        #expect(table.count == 3)
        _ = fourth
    }

    @Test func aBodyReaderIsClosedOnlyWhenNoConnectionIsIdle() {
        var table = ConnectionTable(limits: ConnectionLimits(idleTimeout: .seconds(75), headerTimeout: .seconds(10), bodyTimeout: .seconds(30), maximumConnections: 3))
        let (body, _) = table.open(at: at(0))
        table.bytesArrived(body, at: at(0))
        table.headArrived(body, at: at(0))
        let (idle, _) = table.open(at: at(5))
        #expect(table.open(at: at(6)).evict == idle)
        #expect(table.open(at: at(7)).evict != body)
    }

    @Test func withEveryConnectionBeingAnsweredNoneIsClosed() {
        var table = ConnectionTable(limits: ConnectionLimits(idleTimeout: .seconds(75), headerTimeout: .seconds(10), bodyTimeout: .seconds(30), maximumConnections: 2))
        let (first, _) = table.open(at: at(0))
        table.bytesArrived(first, at: at(0))
        table.headArrived(first, at: at(0))
        table.requestEnded(first, at: at(0))
        let (second, evicted) = table.open(at: at(1))
        #expect(evicted == nil)
        _ = second
    }

    @Test func theAutomaticLimitKeepsAReserveAndACeiling() {
        #expect(ConnectionLimits.automaticMaximum(descriptorLimit: 1024, reserve: 100) == 924)
        #expect(ConnectionLimits.automaticMaximum(descriptorLimit: 1 << 20, reserve: 100) == 16_384)
        #expect(ConnectionLimits.automaticMaximum(descriptorLimit: 100, reserve: 90) == 25)
    }
}

/// What `Expect` gets before the body is read.
@Suite struct ExpectContinueTests {
    @Test func continueWithinTheLimitOrWithoutALength() {
        #expect(ExpectContinueHandler.answer(expectation: "100-continue", contentLength: "2", maximumBodySize: 10) == .continue)
        #expect(ExpectContinueHandler.answer(expectation: " 100-Continue ", contentLength: "10", maximumBodySize: 10) == .continue)
        #expect(ExpectContinueHandler.answer(expectation: "100-continue", contentLength: nil, maximumBodySize: 10) == .continue)
    }

    @Test func tooLargeOrUnknownIsRefusedAtOnce() {
        #expect(ExpectContinueHandler.answer(expectation: "100-continue", contentLength: "11", maximumBodySize: 10) == .refuse(.contentTooLarge))
        #expect(ExpectContinueHandler.answer(expectation: "something-else", contentLength: "1", maximumBodySize: 10) == .refuse(.expectationFailed))
    }
}

/// `MPSHOOK_HTTP_*` connection settings and the limit they lead to.
@Suite struct ConnectionSettingsTests {
    let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test func defaultsAndTheAutomaticLimit() throws {
        let configuration = try AppConfiguration(environment: [:])
        #expect(configuration.connections.idleTimeout == .seconds(75))
        #expect(configuration.connections.headerTimeout == .seconds(10))
        #expect(configuration.connections.bodyTimeout == .seconds(30))
        #expect(configuration.connections.maximumConnections == nil)
        // 64 fixed + 10 pooled database connections + 2 other sessions (the process's one LISTEN,
        // shared by every waiter; the leader lock) + 2 x (8 MPS calls + 4 reconciler polls + 4 webhooks).
        let limits = Server.connectionLimits(configuration: configuration, descriptorLimit: 1024, held: 0, logger: quiet)
        #expect(limits.maximumConnections == 1024 - 108)
        // Descriptors held at start (inherited ones too) are not free for connections.
        #expect(Server.connectionLimits(configuration: configuration, descriptorLimit: 1024, held: 300, logger: quiet).maximumConnections == 1024 - 300 - 108)
    }

    @Test func aConfiguredLimitAboveTheDescriptorBudgetIsLowered() throws {
        let configuration = try AppConfiguration(environment: ["MPSHOOK_HTTP_MAX_CONNECTIONS": "5000", "MPSHOOK_HTTP_HEADER_TIMEOUT": "1.5"])
        #expect(configuration.connections.headerTimeout == .milliseconds(1500))
        #expect(Server.connectionLimits(configuration: configuration, descriptorLimit: 1024, held: 0, logger: quiet).maximumConnections == 1024 - 108)
        #expect(Server.connectionLimits(configuration: configuration, descriptorLimit: 100_000, held: 0, logger: quiet).maximumConnections == 5000)
    }

    @Test func malformedValuesAreRefusedWithTheirKey() {
        #expect(throws: ConfigurationError.self) { try AppConfiguration(environment: ["MPSHOOK_HTTP_IDLE_TIMEOUT": "soon"]) }
        #expect(throws: ConfigurationError.self) { try AppConfiguration(environment: ["MPSHOOK_HTTP_MAX_CONNECTIONS": "1"]) }
        #expect((try? AppConfiguration(environment: ["MPSHOOK_HTTP_MAX_CONNECTIONS": "auto"]))?.connections.maximumConnections == nil)
    }
}
