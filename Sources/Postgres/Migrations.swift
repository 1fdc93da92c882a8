import Foundation
import Hashing
public import Logging

/// One numbered SQL file from the migrations folder (`0001_create_jobs.sql`).
public struct Migration: Sendable, Hashable {
    /// The number before the first underscore; migrations apply in this order.
    public let version: Int
    /// The file name without its `.sql` extension.
    public let name: String
    /// The SQL script; it may hold several statements.
    public let sql: String
    /// SHA-256 of the file's bytes, lower-case hex, without its ``additiveMarker`` lines (a
    /// migration marked additive after it was applied is not a changed migration).
    public let checksum: String
    /// Whether the file says it is additive (a line ``additiveMarker`` in its leading comment
    /// block): a replica of the previous version keeps working on a database that has it, so it
    /// stays ready while the replicas are upgraded one by one.
    public let isAdditive: Bool

    /// The line that marks a migration additive.
    public static let additiveMarker = "-- mpshook: additive"

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
        let lines = sql.split(separator: "\n", omittingEmptySubsequences: false)
        let header = lines.prefix { $0.hasPrefix("--") || $0.allSatisfy(\.isWhitespace) }
        self.isAdditive = header.contains { $0.trimmingCharacters(in: .whitespaces) == Self.additiveMarker }
        let unmarked = lines.filter { $0.trimmingCharacters(in: .whitespaces) != Self.additiveMarker }.joined(separator: "\n")
        self.checksum = Hex.encode(SHA256.hash(Array(unmarked.utf8)))
    }
}

/// Where a database stands against a set of migrations.
public struct MigrationStatus: Sendable {
    /// Versions recorded in the database, in order.
    public var applied: [Int]
    /// Migrations not yet applied, in order.
    public var pending: [Migration]
    /// Migrations the database has that this build does not know, every one recorded additive
    /// by the newer build that applied it (a database with an unknown one that is not additive
    /// is refused). This build works on such a database: an upgrade is under way.
    public var ahead: [String] = []
    /// Nothing to apply (the database may be ``ahead``).
    public var isCurrent: Bool { pending.isEmpty }
}

/// Applies numbered SQL migrations forward-only, each in its own transaction, under an
/// advisory lock (replicas starting together apply each file once), recording a checksum so a
/// changed file that was already applied is refused.
public struct Migrator: Sendable {
    /// The table that records applied migrations.
    public static let table = "mpshook_migrations"
    /// The advisory lock key ("mpshook" in ASCII) that serialises migration runs.
    public static let lockKey: Int64 = 0x6D70_7368_6F6F_6B

    public let migrations: [Migration]

    /// Checks that versions are unique and sorts them.
    public init(_ migrations: [Migration]) throws(PostgresError) {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where previous.version == next.version {
            throw PostgresError(
                code: .migration,
                reason: "two migrations share version \(next.version): \(previous.name).sql and \(next.name).sql"
            )
        }
        self.migrations = sorted
    }

    /// Reads every `NNNN_name.sql` file in `directory`.
    public static func load(directory: String) throws(PostgresError) -> Migrator {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw PostgresError(code: .migration, reason: "cannot read the migrations folder \(directory)")
        }
        var migrations: [Migration] = []
        for file in files where file.hasSuffix(".sql") {
            let name = String(file.dropLast(4))
            let digits = name.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, name.dropFirst(digits.count).first == "_", let version = Int(digits) else {
                throw PostgresError(
                    code: .migration,
                    reason: "migration file \(file) is not named NNNN_description.sql"
                )
            }
            guard let data = FileManager.default.contents(atPath: directory + "/" + file),
                let sql = String(data: data, encoding: .utf8)
            else {
                throw PostgresError(code: .migration, reason: "cannot read migration file \(file) as UTF-8")
            }
            migrations.append(Migration(version: version, name: name, sql: sql))
        }
        return try Migrator(migrations)
    }

    /// Compares the database with these migrations without changing anything.
    /// Throws when an applied file was changed, or the database has versions this build lacks.
    public func status(_ client: PostgresClient) async throws(PostgresError) -> MigrationStatus {
        let connection = try await client.lease()
        defer { client.release(connection) }
        return try await status(on: connection)
    }

    /// Applies pending migrations and returns them. Safe to run from several processes at once:
    /// the others wait for the lock, then find nothing to do.
    @discardableResult
    public func migrate(_ client: PostgresClient, logger: Logger) async throws(PostgresError) -> [Migration] {
        let connection = try await client.lease()
        defer { client.release(connection) }
        // Waiting for another process's migrations, and a migration itself, may take long.
        try await connection.disableStatementTimeout()
        _ = try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))")
        do {
            let applied = try await applyPending(on: connection, logger: logger)
            _ = try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))")
            return applied
        } catch {
            if connection.isUsable {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))")
            }
            throw error
        }
    }

    private func applyPending(on connection: PostgresConnection, logger: Logger) async throws(PostgresError) -> [Migration] {
        _ = try await connection.execute(script: """
            CREATE TABLE IF NOT EXISTS \(Self.table) (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now(),
                duration_ms integer NOT NULL
            );
            ALTER TABLE \(Self.table) ADD COLUMN IF NOT EXISTS additive boolean NOT NULL DEFAULT false
            """)
        let pending = try await status(on: connection).pending
        for migration in pending {
            let started = ContinuousClock.now
            _ = try await connection.query("BEGIN")
            do {
                _ = try await connection.execute(script: migration.sql)
                let elapsed = ContinuousClock.now - started
                let milliseconds = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
                _ = try await connection.query("""
                    INSERT INTO mpshook_migrations (version, name, checksum, duration_ms, additive)
                    VALUES (\(migration.version), \(migration.name), \(migration.checksum), \(milliseconds), \(migration.isAdditive))
                    """)
                _ = try await connection.query("COMMIT")
                logger.info("applied migration", metadata: [
                    "migration.name": "\(migration.name)", "migration.duration_ms": "\(milliseconds)",
                ])
            } catch {
                if connection.isUsable { _ = try? await connection.query("ROLLBACK") }
                var failure = error
                failure.code = .migration
                failure.reason = "migration \(migration.name).sql failed (rolled back): "
                    + (error.sqlState.map { "\($0.rawValue) " } ?? "") + (error.serverMessage ?? error.reason)
                throw failure
            }
        }
        return pending
    }

    private func status(on connection: PostgresConnection) async throws(PostgresError) -> MigrationStatus {
        let exists = try await connection.query("SELECT to_regclass(\(Self.table)) IS NOT NULL")
        guard try exists.first?.decode(Bool.self, at: 0) == true else {
            return MigrationStatus(applied: [], pending: migrations)
        }
        // `additive` through to_jsonb: a table made by an older build has no such column.
        let rows = try await connection.query("""
            SELECT version, name, checksum, coalesce((to_jsonb(m) ->> 'additive')::boolean, false)
            FROM mpshook_migrations m ORDER BY version
            """)
        var applied: [Int] = []
        var ahead: [String] = []
        let local = Dictionary(migrations.map { ($0.version, $0) }, uniquingKeysWith: { first, _ in first })
        let newestKnown = migrations.last?.version ?? 0
        for row in rows {
            let (version, name, checksum, additive) = try row.decode((Int, String, String, Bool).self)
            guard let migration = local[version] else {
                guard additive, version > newestKnown else {
                    throw PostgresError(
                        code: .migration,
                        reason: "the database has migration \(name) that this build does not know and that is not additive; is this mpshook older than the database?"
                    )
                }
                ahead.append(name)
                continue
            }
            guard migration.checksum == checksum else {
                throw PostgresError(
                    code: .migration,
                    reason: "migration \(migration.name).sql was changed after it was applied (checksum differs); migrations are forward-only: restore the file and add a new one"
                )
            }
            applied.append(version)
        }
        let appliedSet = Set(applied)
        let pending = migrations.filter { !appliedSet.contains($0.version) }
        if let newest = applied.max(), let stray = pending.first(where: { $0.version < newest }) {
            throw PostgresError(
                code: .migration,
                reason: "migration \(stray.name).sql is older than the newest applied one (\(newest)) but was never applied; renumber it after \(newest)"
            )
        }
        if !ahead.isEmpty, let first = pending.first {
            throw PostgresError(
                code: .migration,
                reason: "migration \(first.name).sql was never applied, but the database already has newer ones (\(ahead.joined(separator: ", "))); upgrade this mpshook"
            )
        }
        return MigrationStatus(applied: applied, pending: pending, ahead: ahead)
    }
}
