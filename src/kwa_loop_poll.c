/*
 * kwa_loop_poll.c - the poll(2) backend of kwa_loop.h: POSIX only, for
 * systems without epoll or when KWA_EVENT_LOOP=poll asks for it.
 *
 * Caveats: it keeps a plain array of pollfd, searched linearly; that is
 * fine for the few connections one client holds (about `concurrency`).
 * There is no descriptor a host could wait on instead (fd() is -1).
 */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "kwa_loop.h"

typedef struct poll_loop {
    struct pollfd *fds;   /* the watched descriptors */
    struct pollfd *ready; /* a snapshot of the ready ones, for the calls */
    size_t n, cap;
} poll_loop_t;

static int poll_watch(void *data, int fd, int events)
{
    poll_loop_t *l = data;
    size_t i, cap;
    struct pollfd *fds, *ready;

    for (i = 0; i < l->n && l->fds[i].fd != fd; i++)
        ;
    if (events == 0) {
        if (i < l->n)
            l->fds[i] = l->fds[--l->n]; /* order does not matter */
        return 0;
    }
    if (i == l->n) {
        if (l->n == l->cap) {
            cap = l->cap ? l->cap * 2 : 8;
            fds = realloc(l->fds, cap * sizeof *fds);
            if (fds == NULL)
                return -1;
            l->fds = fds;
            ready = realloc(l->ready, cap * sizeof *ready);
            if (ready == NULL)
                return -1;
            l->ready = ready;
            l->cap = cap;
        }
        l->n++;
    }
    l->fds[i].fd = fd;
    l->fds[i].events = (short)((events & KWA_LOOP_READ ? POLLIN : 0) |
                               (events & KWA_LOOP_WRITE ? POLLOUT : 0));
    l->fds[i].revents = 0;
    return 0;
}

static int poll_wait_ready(void *data, long timeout_ms, kwa_loop_ready_t ready, void *ud)
{
    poll_loop_t *l = data;
    size_t i, n = 0;
    int rc;

    if (timeout_ms > 86400000L)
        timeout_ms = 86400000L;
    rc = poll(l->fds, (nfds_t)l->n, timeout_ms < 0 ? -1 : (int)timeout_ms);
    if (rc <= 0)
        return 0;
    /* ready() may change the watched set, so call it from a copy */
    for (i = 0; i < l->n; i++)
        if (l->fds[i].revents != 0)
            l->ready[n++] = l->fds[i];
    for (i = 0; i < n; i++) {
        short re = l->ready[i].revents;

        ready(ud, l->ready[i].fd,
              (re & POLLIN ? KWA_LOOP_READ : 0) | (re & POLLOUT ? KWA_LOOP_WRITE : 0) |
              (re & (POLLERR | POLLHUP | POLLNVAL) ? KWA_LOOP_ERROR : 0));
    }
    return (int)n;
}

static int poll_fd(const void *data)
{
    (void)data;
    return -1;
}

static void poll_cleanup(void *data)
{
    poll_loop_t *l = data;

    if (l == NULL)
        return;
    free(l->fds);
    free(l->ready);
    free(l);
}

int kwa_loop_poll(kwa_loop_t *loop)
{
    poll_loop_t *l = calloc(1, sizeof *l);

    if (l == NULL)
        return -1;
    loop->name = "poll";
    loop->data = l;
    loop->watch = poll_watch;
    loop->wait = poll_wait_ready;
    loop->fd = poll_fd;
    loop->cleanup = poll_cleanup;
    return 0;
}
