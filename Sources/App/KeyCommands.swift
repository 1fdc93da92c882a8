import Access
import API
import ArgumentParser
import Foundation
import Logging
import Postgres
import Store

/// `mpshook keys …`: the API keys the REST API takes as `Authorization: Bearer <key>`. The
/// rules (format, scopes, names, expiry) are `Access`'s and the SQL is `Store`'s
/// (``APIKeyStore``); this is the command line around them.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Make, list and revoke API keys for the REST API.",
        discussion: """
            A key is sent as `Authorization: Bearer <key>`. Its scope says what it may do, each including the \
            ones before it: read (every GET), write (create and cancel jobs), admin (operator actions and keys). \
            Only a hash of a key is stored: the key is printed once, by `keys create`, and cannot be shown again. \
            A name is unique among keys not revoked: to rotate, make a key under a new name, move the clients, \
            revoke the old one (or revoke first and reuse the name).
            """,
        subcommands: [Create.self, List.self, Revoke.self]
    )

    /// `mpshook keys create --name NAME --scope read|write|admin [--expires 90d|DATE] [--json]`.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Makes an API key and prints it, once: only its hash is kept."
        )

        @Option(name: .long, help: ArgumentHelp("What the key is for (1-64 of A-Z a-z 0-9 . _ -), unique among keys not revoked.", valueName: "name"))
        var name: String

        @Option(name: .long, help: ArgumentHelp("read, write or admin.", valueName: "scope"))
        var scope: String

        @Option(
            name: .long,
            help: ArgumentHelp(
                "When it stops working: a span from now (90d, 12h, 30m) or an ISO 8601 date (2026-03-31, 00:00 UTC) or time with its zone (2026-03-31T18:00:00Z). Default: never.",
                valueName: "when"
            )
        )
        var expires: String?

        @Option(name: .long, help: ArgumentHelp("Who makes it, recorded with the key (default: $USER, else the login name).", valueName: "name"))
        var actor: String?

        @Flag(name: .long, help: "Print JSON (the key and its record).")
        var json = false

        func validate() throws {
            _ = try KeyCommandSupport.name(name)
            _ = try KeyCommandSupport.scope(scope)
            _ = try KeyCommandSupport.expiry(expires, now: Date())
            _ = try KeyCommandSupport.actor(actor)
        }

        func run() async throws {
            let name = try KeyCommandSupport.name(name)
            let scope = try KeyCommandSupport.scope(scope)
            let expiresAt = try KeyCommandSupport.expiry(expires, now: Date())
            let actor = try KeyCommandSupport.actor(actor)
            let (record, secret) = try await KeyCommandSupport.withStore { store, logger in
                let created: (APIKeyRecord, secret: String)
                do throws(APIKeyCreationError) {
                    created = try await store.create(name: name, scope: scope, expiresAt: expiresAt, createdBy: actor)
                } catch where error.code == .nameTaken {
                    throw CommandFailure(error.description)
                } catch {
                    throw error.underlying ?? PostgresError(code: .server, reason: error.description)
                }
                logger.notice("API key created", metadata: created.0.auditMetadata(actor: actor))
                return created
            }
            if json {
                Output.line(try KeyCommandSupport.json(CreatedKeyDocument(key: secret, record: record)))
                return
            }
            Output.line(secret)
            Output.line(KeysCommand.List.line(record, now: Date()))
            FileHandle.standardError.write(Data(
                "Store the key now: it is not shown again (only its hash is kept). Send it as `Authorization: Bearer <key>`.\n".utf8
            ))
        }
    }

    /// `mpshook keys list [--all] [--json]`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lists API keys, newest first: id, name, scope, status, who made them and when, expiry, last use (never a key or its hash)."
        )

        @Flag(name: .long, help: "Revoked keys too.")
        var all = false

        @Flag(name: .long, help: "Print JSON (an array of keys).")
        var json = false

        func run() async throws {
            let keys = try await KeyCommandSupport.withStore { store, _ in try await store.list(includeRevoked: all) }
            let now = Date()
            if json {
                Output.line(try KeyCommandSupport.json(keys.map { KeyDocument($0, now: now) }))
                return
            }
            if keys.isEmpty {
                Output.line(all ? "no keys" : "no keys (revoked ones are shown with --all)")
                return
            }
            for key in keys { Output.line(Self.line(key, now: now)) }
        }

        static func line(_ key: APIKeyRecord, now: Date) -> String {
            var parts = [
                key.id, key.name.rawValue, key.scope.rawValue, key.status(at: now).rawValue,
                "created=\(WorkflowText.timestamp(key.createdAt))", "by=\(key.createdBy)",
                "expires=\(key.expiresAt.map(WorkflowText.timestamp) ?? "never")",
                "last-used=\(key.lastUsedAt.map(WorkflowText.timestamp) ?? "never")",
            ]
            if let revokedAt = key.revokedAt { parts.append("revoked=\(WorkflowText.timestamp(revokedAt))") }
            return parts.joined(separator: "  ")
        }
    }

    /// `mpshook keys revoke NAME|ID`.
    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revokes an API key by name or id: it stops working at once (requests already authenticated finish).",
            discussion: "Revoking a revoked key changes nothing and exits 0; an unknown name or id exits 1."
        )

        @Argument(help: "The key's name (among keys not revoked) or its id (12 hexadecimal digits).")
        var key: String

        @Option(name: .long, help: ArgumentHelp("Who revokes it, for the log line (default: $USER, else the login name).", valueName: "name"))
        var actor: String?

        func validate() throws {
            guard APIKeySecret.isKeyId(key) || (try? APIKeyName(key)) != nil else {
                throw ValidationError("\"\(key.prefix(80))\" is neither a key name nor a key id (12 hexadecimal digits)")
            }
            _ = try KeyCommandSupport.actor(actor)
        }

        func run() async throws {
            let actor = try KeyCommandSupport.actor(actor)
            let (revoked, known) = try await KeyCommandSupport.withStore { store, logger in
                // Read first, for the message: the key this name or id stands for, if any.
                let known = try await store.list(includeRevoked: true).filter { $0.id == key || $0.name.rawValue == key }
                let revoked = try await store.revoke(nameOrId: key)
                if revoked, let live = known.first(where: { $0.revokedAt == nil }) {
                    logger.notice("API key revoked", metadata: live.auditMetadata(actor: actor))
                }
                return (revoked, known)
            }
            if revoked {
                let live = known.first { $0.revokedAt == nil }
                Output.line("revoked key " + (live.map { "\($0.name) (id \($0.id))" } ?? key))
            } else if !known.isEmpty {
                Output.line("key \(key) is revoked already: nothing to do")
            } else {
                throw CommandSupport.fail("no key named \(key) or with id \(key)")
            }
        }
    }
}

enum KeyCommandSupport {
    static func name(_ text: String) throws -> APIKeyName {
        do {
            return try APIKeyName(text)
        } catch {
            throw ValidationError("--name: \(error.description)")
        }
    }

    static func scope(_ text: String) throws -> APIScope {
        guard let scope = APIScope(rawValue: text) else {
            throw ValidationError("--scope must be one of \(APIScope.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return scope
    }

    static func expiry(_ text: String?, now: Date) throws -> Date? {
        guard let text else { return nil }
        do {
            return try APIKeyExpiry.parse(text, now: now)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// `--actor`, else the person running the command; 1-200 characters, as the table requires.
    static func actor(_ given: String?) throws -> String {
        let actor = AuditOptions.actor(given)
        guard (1...200).contains(actor.count) else { throw ValidationError("--actor must have 1 to 200 characters") }
        return actor
    }

    static func json(_ value: some Encodable) throws -> String {
        String(decoding: try APIJSON.encoder(pretty: true).encode(value), as: UTF8.self)
    }

    /// Runs `body` with a store on the configured database; any failure is one line on
    /// standard error and exit status 1.
    static func withStore<Result>(_ body: (APIKeyStore, Logger) async throws -> Result) async throws -> Result {
        let configuration = try await CommandSupport.loadConfiguration()
        let logger = CommandSupport.bootstrapLogging(configuration)
        let client = PostgresClient(configuration: configuration.database, logger: logger)
        do {
            let result = try await body(APIKeyStore(client: client), logger)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw CommandSupport.failure(error, configuration: configuration)
        }
    }
}
