import Foundation
import Testing

@testable import Postgres

@Suite struct PostgresQueryTests {
    @Test func everyInterpolatedValueBecomesABindParameter() {
        let id = 42
        let name = "Robert'); DROP TABLE steps;--"
        let query: PostgresQuery = "SELECT * FROM steps WHERE id = \(id) AND name = \(name)"
        #expect(query.sql == "SELECT * FROM steps WHERE id = $1 AND name = $2")
        #expect(query.binds.values == [.text("42", type: .int8), .text(name, type: .text)])
    }

    @Test func unescapedTextIsSplicedAndBindsKeepCounting() {
        let table = "jobs"
        let query: PostgresQuery = "SELECT \(1) FROM \(unescaped: table) WHERE a = \(true) AND b = \(2.5)"
        #expect(query.sql == "SELECT $1 FROM jobs WHERE a = $2 AND b = $3")
        #expect(query.binds.values.map(\.type) == [.int8, .bool, .float8])
    }

    @Test func optionalNilBindsSQLNull() {
        let missing: String? = nil
        let query: PostgresQuery = "SELECT \(missing)"
        #expect(query.binds.values == [.null()])
    }

    @Test func explicitTypeOverridesTheInferredOne() {
        let query: PostgresQuery = "SELECT \("7", as: .int4)"
        #expect(query.binds.values == [.text("7", type: .int4)])
    }

    @Test func arraysBecomeQuotedEscapedLiterals() {
        let values: [String?] = ["a", "b\"c", "d\\e", nil, "NULL", ""]
        let bind = values.postgresBind
        #expect(bind.type == .textArray)
        #expect(bind == .text(#"{"a","b\"c","d\\e",NULL,"NULL",""}"#, type: .textArray))
    }

    @Test func bytesAreSentInBinaryForm() {
        let bind = PostgresBytes([0, 1, 255]).postgresBind
        #expect(bind == .binary([0, 1, 255], type: .bytea))
    }

    @Test func uuidAndDateUseTheirPostgresTypes() {
        let uuid = UUID(uuidString: "6F1E3C2A-9D7B-4E0A-8C31-2B5D4A6E7F80")!
        #expect(uuid.postgresBind.type == .uuid)
        #expect(Date(timeIntervalSince1970: 0).postgresBind == .text("1970-01-01 00:00:00+00", type: .timestamptz))
    }

    @Test func quotedIdentifierDoublesQuotes() {
        #expect(quotedIdentifier(#"my "table""#) == #""my ""table""""#)
    }
}

@Suite struct PostgresTimestampTests {
    @Test(arguments: [
        (0.0, "1970-01-01 00:00:00+00"),
        (1_764_102_000.123456, "2025-11-25 20:20:00.123456+00"),
        (-1.5, "1969-12-31 23:59:58.500000+00"),
        (951_782_400, "2000-02-29 00:00:00+00"),
    ])
    func formatsUTCWithMicroseconds(seconds: Double, text: String) {
        #expect(PostgresTimestamp.format(Date(timeIntervalSince1970: seconds)) == text)
    }

    @Test func parsesServerOutputWithOffsets() throws {
        let utc = try #require(PostgresTimestamp.parse("2026-11-25 20:20:00.5+00"))
        #expect(utc.timeIntervalSince1970 == 1_795_638_000.5)
        let shifted = try #require(PostgresTimestamp.parse("2026-11-26 01:50:00.5+05:30"))
        #expect(shifted == utc)
        let negative = try #require(PostgresTimestamp.parse("2026-11-25 15:20:00.5-05"))
        #expect(negative == utc)
    }

    @Test func roundTripsMicroseconds() throws {
        for seconds in [0.000001, 1_700_000_000.999999, -86_400.25, 4_102_444_800.5] {
            let date = Date(timeIntervalSince1970: seconds)
            let parsed = try #require(PostgresTimestamp.parse(PostgresTimestamp.format(date)))
            #expect(abs(parsed.timeIntervalSince1970 - seconds) < 0.000_001)
        }
    }

    @Test(arguments: ["", "2026-13-01 00:00:00+00", "2026-11-25 20:20", "2026-11-25T20:20:00Z", "yesterday"])
    func rejectsOtherText(text: String) {
        #expect(PostgresTimestamp.parse(text) == nil)
    }
}

@Suite struct PostgresArrayTextTests {
    @Test func splitsQuotedAndNullElements() throws {
        let parsed = try #require(PostgresArrayText.split(Array(#"{a,"b c","d\"e",NULL,"NULL"}"#.utf8)))
        #expect(parsed.map { $0.map { String(decoding: $0, as: UTF8.self) } } == ["a", "b c", "d\"e", nil, "NULL"])
    }

    @Test func emptyArray() {
        #expect(PostgresArrayText.split(Array("{}".utf8))?.isEmpty == true)
    }

    @Test func refusesNestedOrMalformed() {
        #expect(PostgresArrayText.split(Array("{{1,2},{3,4}}".utf8)) == nil)
        #expect(PostgresArrayText.split(Array("1,2".utf8)) == nil)
        #expect(PostgresArrayText.split(Array(#"{"open}"#.utf8)) == nil)
    }
}

@Suite struct PostgresErrorTests {
    @Test func descriptionNeverShowsServerMessageOrDetail() {
        let error = PostgresError(
            code: .server, reason: "server error 23505", sqlState: .uniqueViolation,
            query: "INSERT INTO t (email) VALUES ($1)",
            serverMessage: "duplicate key value violates unique constraint \"t_email_key\"",
            serverDetail: "Key (email)=(secret@example.com) already exists."
        )
        #expect(!error.description.contains("secret@example.com"))
        #expect(error.description.contains("23505"))
        #expect(error.description.contains("VALUES ($1)"))
        #expect(error.debugDescription.contains("secret@example.com"))
    }

    @Test func connectionExceptionsCountAsConnectionLoss() {
        #expect(PostgresError(code: .server, reason: "", sqlState: .adminShutdown).isConnectionLoss)
        #expect(PostgresError(code: .server, reason: "", sqlState: SQLState("08006")).isConnectionLoss)
        #expect(!PostgresError(code: .server, reason: "", sqlState: .uniqueViolation).isConnectionLoss)
    }

    @Test func redactsPasswordsInURLsAndConninfo() {
        #expect(PostgresConfiguration.redact("postgresql://app:s3cret@db:5432/x?sslmode=require")
            == "postgresql://app:***@db:5432/x?sslmode=require")
        #expect(PostgresConfiguration.redact("postgres://db/x?user=a&password=s3cret")
            == "postgres://db/x?user=a&password=***")
        #expect(PostgresConfiguration.redact("host=db user=app password=s3cret dbname=x")
            == "host=db user=app password=*** dbname=x")
        #expect(PostgresConfiguration.redact("postgresql://app@db/x") == "postgresql://app@db/x")
    }
}
