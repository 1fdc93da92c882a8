import Testing

@testable import Postgres

/// The pool's bookkeeping, driven without a database: connections are strings, waiters ints.
@Suite struct ConnectionPoolStateTests {
    typealias State = ConnectionPoolState<String, Int>

    @Test func createsUpToTheMaximumThenQueuesWaiters() {
        var state = State(maximumConnections: 2)
        #expect(isCreate(state.lease(waiter: 1)))
        #expect(isCreate(state.lease(waiter: 2)))
        #expect(isWait(state.lease(waiter: 3)))
        #expect(isWait(state.lease(waiter: 4)))
        #expect(state.total == 2)
        #expect(state.waiters == [3, 4])
    }

    @Test func releasedConnectionGoesToTheOldestWaiter() {
        var state = State(maximumConnections: 1)
        _ = state.lease(waiter: 1)
        state.connectionCreated()
        _ = state.lease(waiter: 2)
        _ = state.lease(waiter: 3)
        let handover = state.release("c1", reusable: true)
        guard case .connection("c1")? = handover.grant?.0, handover.grant?.to == 2 else {
            Issue.record("expected c1 for waiter 2, got \(handover)")
            return
        }
        #expect(handover.close == nil)
        #expect(state.waiters == [3])
        #expect(state.leased == 1)
    }

    @Test func releasedConnectionIsReusedWhenNobodyWaits() {
        var state = State(maximumConnections: 2)
        _ = state.lease(waiter: 1)
        state.connectionCreated()
        _ = state.release("c1", reusable: true)
        guard case .use("c1") = state.lease(waiter: 2) else {
            Issue.record("expected the idle connection")
            return
        }
        #expect(state.total == 1)
    }

    @Test func brokenConnectionIsClosedAndItsSlotGoesToAWaiter() {
        var state = State(maximumConnections: 1)
        _ = state.lease(waiter: 1)
        state.connectionCreated()
        _ = state.lease(waiter: 2)
        let handover = state.release("dead", reusable: false)
        #expect(handover.close == "dead")
        guard case .create? = handover.grant?.0, handover.grant?.to == 2 else {
            Issue.record("expected a creation slot for waiter 2")
            return
        }
        #expect(state.creating == 1)
        #expect(state.total == 1)
    }

    @Test func deadIdleConnectionTurnsIntoACreationSlot() {
        var state = State(maximumConnections: 1)
        _ = state.lease(waiter: 1)
        state.connectionCreated()
        _ = state.release("c1", reusable: true)
        _ = state.lease(waiter: 2)
        state.connectionBroken()
        #expect(state.creating == 1 && state.leased == 0 && state.total == 1)
        state.connectionCreated()
        #expect(state.leased == 1 && state.total == 1)
    }

    @Test func failedCreationPassesTheSlotOn() {
        var state = State(maximumConnections: 1)
        _ = state.lease(waiter: 1)
        _ = state.lease(waiter: 2)
        let handover = state.creationFailed()
        guard case .create? = handover.grant?.0, handover.grant?.to == 2 else {
            Issue.record("expected waiter 2 to try creating")
            return
        }
        #expect(state.total == 1)
        let last = state.creationFailed()
        #expect(last.grant == nil)
        #expect(state.total == 0)
    }

    @Test func cancelledWaiterLeavesTheQueueOnce() {
        var state = State(maximumConnections: 1)
        _ = state.lease(waiter: 1)
        _ = state.lease(waiter: 2)
        let first = state.cancelWait(2)
        let second = state.cancelWait(2)
        #expect(first)
        #expect(!second)
        #expect(state.waiters.isEmpty)
    }

    @Test func closeReturnsIdleAndWaitersAndRefusesLeases() {
        var state = State(maximumConnections: 2)
        _ = state.lease(waiter: 1)
        state.connectionCreated()
        _ = state.lease(waiter: 2)
        state.connectionCreated()
        _ = state.release("c1", reusable: true)
        _ = state.lease(waiter: 3)  // takes c1
        _ = state.lease(waiter: 4)  // waits
        let closed = state.close()
        #expect(closed.idle.isEmpty)
        #expect(closed.waiters == [4])
        guard case .fail = state.lease(waiter: 5) else {
            Issue.record("a closed pool must refuse leases")
            return
        }
        #expect(state.release("c1", reusable: true).close == "c1")
    }

    private func isCreate(_ action: State.LeaseAction) -> Bool {
        if case .create = action { return true }
        return false
    }

    private func isWait(_ action: State.LeaseAction) -> Bool {
        if case .wait = action { return true }
        return false
    }
}
