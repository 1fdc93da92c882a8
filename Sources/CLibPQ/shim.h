#ifndef MPSHOOK_CLIBPQ_SHIM_H
#define MPSHOOK_CLIBPQ_SHIM_H

#include <libpq-fe.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

/// Waits until the connection's socket is readable or `timeout_ms` passes.
/// Returns >0 when readable, 0 on timeout, <0 on error (errno set).
static inline int mpshook_pq_wait_readable(int socket, int timeout_ms) {
    struct pollfd pfd;
    pfd.fd = socket;
    pfd.events = POLLIN;
    pfd.revents = 0;
    return poll(&pfd, 1, timeout_ms);
}

/// Waits until the socket is readable, or also writable when `for_write` is non-zero, or
/// `timeout_ms` passes. Returns >0 when ready, 0 on timeout, <0 on error (errno set).
static inline int mpshook_pq_wait(int socket, int for_write, int timeout_ms) {
    struct pollfd pfd;
    pfd.fd = socket;
    pfd.events = POLLIN | (for_write ? POLLOUT : 0);
    pfd.revents = 0;
    return poll(&pfd, 1, timeout_ms);
}

/// Sends a cancel request for the statement running on the connection `cancel` was made
/// from. Blocks while it connects to the server; returns 1 when the request was sent.
static inline int mpshook_pq_cancel(PGcancel *cancel) {
    char message[256];
    return PQcancel(cancel, message, (int)sizeof(message));
}

/// Shuts the connection's socket down in both directions, so a libpq call blocked on it
/// returns, and closing it later never waits on a peer that stopped reading.
static inline void mpshook_pq_shutdown_socket(int socket) {
    if (socket >= 0) {
        shutdown(socket, SHUT_RDWR);
    }
}

/// Receives the server's notices silently, but raises `*fatal_flag` when one is FATAL or PANIC:
/// that is how a backend ended while the connection sat idle announces itself (libpq hands an
/// ErrorResponse that arrives outside a query to the notice path) before the socket closes.
static inline void mpshook_pq_notice_receiver(void *arg, const PGresult *result) {
    const char *severity = PQresultErrorField(result, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (arg != NULL && severity != NULL && (strcmp(severity, "FATAL") == 0 || strcmp(severity, "PANIC") == 0)) {
        *(volatile int *)arg = 1;
    }
}

/// Installs ``mpshook_pq_notice_receiver`` with `fatal_flag` (owned by the caller, outliving the connection).
static inline void mpshook_pq_watch_notices(PGconn *conn, int *fatal_flag) {
    PQsetNoticeReceiver(conn, mpshook_pq_notice_receiver, fatal_flag);
}

#endif
