public import Postgres
public import Store

/// A person's actions on stored notifications (``NotificationAction``: re-match an orphan to a
/// step, reapply a failed one), each in one transaction: the notification is locked and checked,
/// put back to pending, applied at once by the applier's own path (``Applier/apply(_:on:catalog:)``,
/// as a callback would be), and the action recorded with the notification before and after.
/// A refused action writes nothing; so does one whose apply fails with an error (it rolls back).
public struct NotificationOperator: Sendable {
    let client: PostgresClient
    let catalog: WorkflowCatalog

    public init(client: PostgresClient, catalog: WorkflowCatalog = WorkflowCatalog()) {
        self.client = client
        self.catalog = catalog
    }

    /// Performs `action` on notification `id`; returns the audit row (its `after` holds the
    /// outcome the apply gave: `applied`, or `failed` again with why). Throws
    /// ``NotificationActionError`` when refused, or the database's error.
    public func perform(_ action: NotificationAction, id: Int64, actor: String, reason: String) async throws -> OperatorActionRecord {
        let (record, applied) = try await client.withTransaction { connection in
            let before = try await NotificationActionStore.prepare(action, id: id, reason: reason, on: connection)
            // Locked by this transaction since `prepare`: no other applier can take it meanwhile.
            let pending = try await ApplyStore(connection: connection).claimPending(limit: 1, id: id)
            let applied = try await Applier.apply(pending, on: connection, catalog: catalog)
            let record = try await NotificationActionStore.record(action, id: id, actor: actor, reason: reason, before: before, on: connection)
            return (record, applied)
        }
        ApplierMetrics.record(applied)
        return record
    }
}
