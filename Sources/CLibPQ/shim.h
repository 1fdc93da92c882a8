#ifndef MPSHOOK_CLIBPQ_SHIM_H
#define MPSHOOK_CLIBPQ_SHIM_H

#include <libpq-fe.h>
#include <poll.h>

/// Waits until the connection's socket is readable or `timeout_ms` passes.
/// Returns >0 when readable, 0 on timeout, <0 on error (errno set).
static inline int mpshook_pq_wait_readable(int socket, int timeout_ms) {
    struct pollfd pfd;
    pfd.fd = socket;
    pfd.events = POLLIN;
    pfd.revents = 0;
    return poll(&pfd, 1, timeout_ms);
}

static inline void mpshook_pq_discard_notice(void *arg, const char *message) {
    (void)arg;
    (void)message;
}

/// Stops libpq printing server NOTICEs (`relation … already exists, skipping`) to stderr.
static inline void mpshook_pq_silence_notices(PGconn *conn) {
    PQsetNoticeProcessor(conn, mpshook_pq_discard_notice, NULL);
}

#endif
