import App
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

    /// During a rolling upgrade the newer build migrates first; the older build's replicas keep
    /// working on a database ahead of them by additive migrations only.
    @Test func aDatabaseAheadByAdditiveMigrationsIsCurrentForTheOlderBuild() async throws {
        let newer = try Migrator([
            Migration(version: 1, name: "0001_a", sql: "CREATE TABLE a (x int);"),
            Migration(version: 2, name: "0002_b", sql: "\(Migration.additiveMarker)\n-- a column\nALTER TABLE a ADD COLUMN y int;"),
            Migration(version: 3, name: "0003_c", sql: "-- an index\n\(Migration.additiveMarker)\nCREATE INDEX a_y ON a (y);"),
        ])
        let older = try Migrator([Migration(version: 1, name: "0001_a", sql: "CREATE TABLE a (x int);")])
        #expect(newer.migrations.map(\.isAdditive) == [false, true, true])
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url) { client in
                try await newer.migrate(client, logger: logger)
                let status = try await older.status(client)
                #expect(status.isCurrent && status.applied == [1] && status.ahead == ["0002_b", "0003_c"])
                #expect(try await older.migrate(client, logger: logger).isEmpty)
                let recorded = try await client.query("SELECT additive FROM mpshook_migrations ORDER BY version").map { try $0.decode(Bool.self, at: 0) }
                #expect(recorded == [false, true, true])
            }
        }
    }

    @Test func aDatabaseAheadByAMigrationThatIsNotAdditiveIsRefused() async throws {
        let newer = try Migrator([
            Migration(version: 1, name: "0001_a", sql: "CREATE TABLE a (x int);"),
            Migration(version: 2, name: "0002_b", sql: "\(Migration.additiveMarker)\nALTER TABLE a ADD COLUMN y int;"),
            // The marker must be in the leading comment block: after a statement it is only a comment.
            Migration(version: 3, name: "0003_c", sql: "ALTER TABLE a DROP COLUMN x;\n\(Migration.additiveMarker)"),
        ])
        let older = try Migrator([Migration(version: 1, name: "0001_a", sql: "CREATE TABLE a (x int);")])
        #expect(newer.migrations.map(\.isAdditive) == [false, true, false])
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url) { client in
                try await newer.migrate(client, logger: logger)
                let error = await #expect(throws: PostgresError.self) { _ = try await older.status(client) }
                #expect(error?.reason.contains("0003_c that this build does not know and that is not additive") == true)
            }
        }
    }

    /// Marking an applied migration additive afterwards is not changing it: the marker line is
    /// left out of the checksum (every repository migration from 0002 on was marked so).
    @Test func markingAnAppliedMigrationAdditiveKeepsItsChecksum() async throws {
        let plain = Migration(version: 1, name: "0001_a", sql: "-- a table\nCREATE TABLE a (x int);\n")
        let marked = Migration(version: 1, name: "0001_a", sql: "\(Migration.additiveMarker)\n-- a table\nCREATE TABLE a (x int);\n")
        #expect(plain.checksum == marked.checksum && !plain.isAdditive && marked.isAdditive)
        #expect(Migration(version: 1, name: "0001_a", sql: "-- a table\nCREATE TABLE a (x bigint);\n").checksum != plain.checksum)
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url) { client in
                try await Migrator([plain]).migrate(client, logger: logger)
                #expect(try await Migrator([marked]).status(client).isCurrent)
            }
        }
    }

    /// A database migrated by a build from before the `additive` column: read as not additive,
    /// and the column is added by the next migration run.
    @Test func aMigrationsTableWithoutTheAdditiveColumnStillReadsAndGainsIt() async throws {
        let first = Migration(version: 1, name: "0001_a", sql: "CREATE TABLE a (x int);")
        let second = Migration(version: 2, name: "0002_b", sql: "\(Migration.additiveMarker)\nALTER TABLE a ADD COLUMN y int;")
        try await TestDatabase.withFreshDatabase { url in
            try await TestDatabase.withClient(url: url) { client in
                _ = try await client.query("""
                    CREATE TABLE mpshook_migrations (version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now(), duration_ms integer NOT NULL)
                    """)
                _ = try await client.query("CREATE TABLE a (x int)")
                _ = try await client.query("INSERT INTO mpshook_migrations (version, name, checksum, duration_ms) VALUES (1, '0001_a', \(first.checksum), 1)")
                #expect(try await Migrator([first]).status(client).isCurrent)
                // Unknown to a build without it, and not known to be additive: refused.
                await #expect(throws: PostgresError.self) { _ = try await Migrator([]).status(client) }
                #expect(try await Migrator([first, second]).migrate(client, logger: logger).map(\.name) == ["0002_b"])
                let recorded = try await client.query("SELECT additive FROM mpshook_migrations ORDER BY version").map { try $0.decode(Bool.self, at: 0) }
                #expect(recorded == [false, true])
            }
        }
    }

    /// The repository's build stays ready on a database a newer build took one additive
    /// migration further; one it took a step that is not additive makes it not ready.
    @Test func aReplicaOfTheOlderBuildStaysReadyWhileTheDatabaseIsAheadByAnAdditiveMigration() async throws {
        let repository = try Migrator.load(directory: TestDatabase.repositoryRoot.appendingPathComponent("migrations").path)
        let next = (repository.migrations.last?.version ?? 0) + 1
        let additive = Migration(version: next, name: "\(next)_later", sql: "\(Migration.additiveMarker)\nCREATE TABLE later (x int);")
        try await TestDatabase.withMigratedDatabase { client in
            try await Migrator(repository.migrations + [additive]).migrate(client, logger: logger)
            let readiness = DatabaseReadiness(client: client, migrator: repository, interval: .seconds(1), logger: logger)
            await readiness.check()
            #expect(readiness.state == .ready)
            let breaking = Migration(version: next + 1, name: "\(next + 1)_breaking", sql: "ALTER TABLE later DROP COLUMN x;")
            try await Migrator(repository.migrations + [additive, breaking]).migrate(client, logger: logger)
            await readiness.check()
            guard case .notReady(let reason) = readiness.state else {
                Issue.record("ready on a database ahead by a migration that is not additive")
                return
            }
            #expect(reason.contains("\(next + 1)_breaking"))
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
