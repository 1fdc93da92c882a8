#ifndef MPSHOOK_CLIBPQ_SHIM_H
#define MPSHOOK_CLIBPQ_SHIM_H

#include <libpq-fe.h>
#include <poll.h>
#include <string.h>

/// Waits until the connection's socket is readable or `timeout_ms` passes.
/// Returns >0 when readable, 0 on timeout, <0 on error (errno set).
static inline int mpshook_pq_wait_readable(int socket, int timeout_ms) {
    struct pollfd pfd;
    pfd.fd = socket;
    pfd.events = POLLIN;
    pfd.revents = 0;
    return poll(&pfd, 1, timeout_ms);
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
