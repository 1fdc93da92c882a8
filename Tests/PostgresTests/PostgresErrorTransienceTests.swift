import Testing

@testable import Postgres

/// Which failures are worth retrying later (transient) and which the data causes (permanent).
@Suite struct PostgresErrorTransienceTests {
    static func server(_ state: String) -> PostgresError {
        PostgresError(code: .server, reason: "server error \(state)", sqlState: SQLState(state))
    }

    @Test(arguments: [
        PostgresError.Code.connectionClosed, .connectionFailed, .checkoutTimeout, .poolClosed, .cancelled,
    ])
    func failuresOfTheConnectionOrTheCallerAreTransient(code: PostgresError.Code) {
        #expect(PostgresError(code: code, reason: "test").isTransient)
    }

    @Test(arguments: [
        "57014",  // query_canceled: statement_timeout or a cancel request
        "55P03",  // lock_not_available: lock_timeout
        "40001",  // serialization_failure
        "40P01",  // deadlock_detected
        "08006",  // connection_failure
        "57P01",  // admin_shutdown
        "57P03",  // cannot_connect_now
        "53300",  // too_many_connections
        "53100",  // disk_full
    ])
    func serverErrorsThatPassAreTransient(state: String) {
        #expect(Self.server(state).isTransient)
    }

    @Test(arguments: [
        "23505",  // unique_violation
        "23503",  // foreign_key_violation
        "22P02",  // invalid_text_representation
        "P0001",  // raise_exception (a trigger refusing the row)
        "42P01",  // undefined_table
        "42601",  // syntax_error
        "XX000",  // internal_error
    ])
    func serverErrorsTheDataOrSQLCausesAreNot(state: String) {
        #expect(!Self.server(state).isTransient)
    }

    @Test(arguments: [PostgresError.Code.decoding, .invalidQuery, .migration])
    func libraryErrorsAboutTheDataAreNot(code: PostgresError.Code) {
        #expect(!PostgresError(code: code, reason: "test").isTransient)
    }

    @Test func aServerErrorWithoutSQLStateIsNotTransient() {
        #expect(!PostgresError(code: .server, reason: "statement failed").isTransient)
    }
}
