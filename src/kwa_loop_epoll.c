/*
 * kwa_loop_epoll.c - the epoll backend of kwa_loop.h (Linux). Its epoll
 * descriptor is what kwa_client_fd() hands a host: it is readable when
 * any watched socket is ready, so a host can nest it in its own loop.
 */
#include "kwa_loop.h"

#ifdef KWA_HAVE_EPOLL
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

typedef struct epoll_loop {
    int epfd;
} epoll_loop_t;

static int epoll_watch(void *data, int fd, int events)
{
    epoll_loop_t *l = data;
    struct epoll_event ev;

    if (events == 0) {
        epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL); /* may already be closed */
        return 0;
    }
    memset(&ev, 0, sizeof ev);
    ev.data.fd = fd;
    ev.events = (events & KWA_LOOP_READ ? EPOLLIN : 0) | (events & KWA_LOOP_WRITE ? EPOLLOUT : 0);
    if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) == 0)
        return 0;
    return errno == ENOENT && epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : -1;
}

static int epoll_wait_ready(void *data, long timeout_ms, kwa_loop_ready_t ready, void *ud)
{
    epoll_loop_t *l = data;
    struct epoll_event evs[32];
    int n, i;

    if (timeout_ms > 86400000L)
        timeout_ms = 86400000L;
    n = epoll_wait(l->epfd, evs, 32, timeout_ms < 0 ? -1 : (int)timeout_ms);
    for (i = 0; i < n; i++)
        ready(ud, evs[i].data.fd,
              (evs[i].events & EPOLLIN ? KWA_LOOP_READ : 0) |
              (evs[i].events & EPOLLOUT ? KWA_LOOP_WRITE : 0) |
              (evs[i].events & (EPOLLERR | EPOLLHUP) ? KWA_LOOP_ERROR : 0));
    return n < 0 ? 0 : n;
}

static int epoll_fd(const void *data)
{
    return ((const epoll_loop_t *)data)->epfd;
}

static void epoll_cleanup(void *data)
{
    epoll_loop_t *l = data;

    if (l == NULL)
        return;
    if (l->epfd >= 0)
        close(l->epfd);
    free(l);
}

int kwa_loop_epoll(kwa_loop_t *loop)
{
    epoll_loop_t *l = malloc(sizeof *l);

    if (l == NULL)
        return -1;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) {
        free(l);
        return -1;
    }
    loop->name = "epoll";
    loop->data = l;
    loop->watch = epoll_watch;
    loop->wait = epoll_wait_ready;
    loop->fd = epoll_fd;
    loop->cleanup = epoll_cleanup;
    return 0;
}
#else
typedef int kwa_loop_epoll_not_built; /* ISO C wants a declaration */
#endif
