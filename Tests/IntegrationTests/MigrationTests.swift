import Foundation
import Logging
import Postgres
import Testing

@Suite(.enabled(if: TestDatabase.isEnabled, TestDatabase.skipReason))
struct MigrationTests {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Writes `files` into a new temporary folder and returns its path.
    func folder(_ files: [String: String]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-" + UUID().uuidString).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, sql) in files {
            try sql.write(toFile: path + "/" + name, atomically: true, encoding: .utf8)
        }
        return path
    }

    @Test func appliesPendingFilesOnceInOrderWithChecksums() async throws {
        let directory = try folder([
            "0001_create_jobs.sql": "CREATE TABLE jobs (id bigint PRIMARY KEY);",
            "0002_add_name.sql": "ALTER TABLE jobs ADD COLUMN name text; CREATE INDEX jobs_name ON jobs (name);",
            "README.txt": "not a migration",
        ])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let migrator = try Migrator.load(directory: directory)
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url) { client in
                #expect(try await migrator.status(client).pending.map(\.version) == [1, 2])
                let applied = try await migrator.migrate(client, logger: logger)
                #expect(applied.map(\.name) == ["0001_create_jobs", "0002_add_name"])
                #expect(try await migrator.migrate(client, logger: logger).isEmpty)
                #expect(try await migrator.status(client).isCurrent)
                let rows = try await client.query("SELECT version, checksum FROM mpshook_migrations ORDER BY version")
                let recorded = try rows.map { try $0.decode((Int, String).self) }
                #expect(recorded.map(\.0) == [1, 2])
                #expect(recorded.map(\.1) == migrator.migrations.map(\.checksum))
                _ = try await client.query("INSERT INTO jobs (id, name) VALUES (\(1), \("a"))")
            }
        }
    }

    @Test func aChangedAppliedFileIsRefused() async throws {
        let original = try Migrator([Migration(version: 1, name: "0001_t", sql: "CREATE TABLE t (a int);")])
        let edited = try Migrator([Migration(version: 1, name: "0001_t", sql: "CREATE TABLE t (a bigint);")])
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url) { client in
                try await original.migrate(client, logger: logger)
                let error = await #expect(throws: PostgresError.self) { try await edited.migrate(client, logger: logger) }
                #expect(error?.code == .migration)
                #expect(error?.reason.contains("0001_t.sql was changed after it was applied") == true)
                let statusError = await #expect(throws: PostgresError.self) { _ = try await edited.status(client) }
                #expect(statusError?.code == .migration)
            }
        }
    }

    @Test func aDatabaseNewerThanTheBuildIsRefused() async throws {
        let newer = try Migrator([
            Migration(version: 1, name: "0001_a", sql: "SELECT 1;"),
            Migration(version: 2, name: "0002_b", sql: "SELECT 2;"),
        ])
        let older = try Migrator([Migration(version: 1, name: "0001_a", sql: "SELECT 1;")])
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url) { client in
                try await newer.migrate(client, logger: logger)
                let error = await #expect(throws: PostgresError.self) { _ = try await older.status(client) }
                #expect(error?.reason.contains("0002_b") == true)
            }
        }
    }

    @Test func aFailingMigrationRollsBackCompletelyAndIsNotRecorded() async throws {
        let migrator = try Migrator([
            Migration(version: 1, name: "0001_ok", sql: "CREATE TABLE ok (a int);"),
            Migration(version: 2, name: "0002_broken", sql: "CREATE TABLE half (a int); SELECT 1 / 0;"),
        ])
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url) { client in
                let error = await #expect(throws: PostgresError.self) { try await migrator.migrate(client, logger: logger) }
                #expect(error?.reason.contains("0002_broken.sql failed") == true)
                #expect(error?.sqlState == SQLState("22012"))
                let half = try await client.query("SELECT to_regclass('half') IS NULL, to_regclass('ok') IS NOT NULL")
                #expect(try half[0].decode((Bool, Bool).self) == (true, true))
                #expect(try await migrator.status(client).pending.map(\.version) == [2])
            }
        }
    }

    @Test func concurrentRunsApplyEachFileExactlyOnce() async throws {
        // Each file sleeps, so the runs overlap; the advisory lock must serialise them.
        let migrator = try Migrator((1...3).map { version in
            Migration(
                version: version, name: String(format: "%04d_step", version),
                sql: "SELECT pg_sleep(0.2); CREATE TABLE step_\(version) (a int);"
            )
        })
        try await TestDatabase.withFreshDatabase { url in
            let appliedCounts = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        try await TestDatabase.withClient(url: url, maximumConnections: 1) { client in
                            try await migrator.migrate(client, logger: logger).count
                        }
                    }
                }
                var counts: [Int] = []
                for try await count in group { counts.append(count) }
                return counts
            }
            #expect(appliedCounts.sorted() == [0, 0, 3])
            try await TestDatabase.withClient(url: url) { client in
                let rows = try await client.query("SELECT count(*), count(DISTINCT version) FROM mpshook_migrations")
                #expect(try rows[0].decode((Int, Int).self) == (3, 3))
            }
        }
    }

    @Test func badFileNamesAndDuplicateVersionsAreRefused() throws {
        let badName = try folder(["create_jobs.sql": "SELECT 1;"])
        defer { try? FileManager.default.removeItem(atPath: badName) }
        #expect(throws: PostgresError.self) { try Migrator.load(directory: badName) }
        #expect(throws: PostgresError.self) {
            try Migrator([
                Migration(version: 1, name: "0001_a", sql: ""),
                Migration(version: 1, name: "0001_b", sql: ""),
            ])
        }
        #expect(throws: PostgresError.self) { try Migrator.load(directory: "/nonexistent/migrations") }
    }

    @Test func theRepositoryMigrationsApplyCleanly() async throws {
        let migrator = try Migrator.load(directory: TestDatabase.repositoryRoot.appendingPathComponent("migrations").path)
        #expect(!migrator.migrations.isEmpty)
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url) { client in
                try await migrator.migrate(client, logger: logger)
                #expect(try await migrator.status(client).isCurrent)
            }
        }
    }
}
