/*
 * kwa_loop.h - the event-loop hooks the libcurl engine drives its sockets
 * through, in the manner of hiredis' async.h adapters: the engine never
 * calls epoll or poll itself, it tells a kwa_loop_t which descriptors to
 * watch and asks it to wait.
 *
 * One backend, epoll (kwa_loop_epoll.c, Linux), whose descriptor is the
 * one a host waits on between kwa_client_poll() calls (kwa_client_fd()).
 * The engine uses it only once a host has asked for that descriptor;
 * otherwise libcurl waits itself (kwa_engine.h). Where <sys/epoll.h> is
 * missing, or with KWA_EVENT_LOOP=poll in the environment when an engine
 * is created, there is no backend and no descriptor. Another backend
 * (kqueue) would be one more file with this interface.
 *
 * Interest is set for a descriptor as a whole (read, write, both or none)
 * because that is what libcurl's socket callback reports; `watch` is the
 * add/del read/write of hiredis folded into one call, one syscall.
 */
#ifndef KWA_LOOP_H
#define KWA_LOOP_H

#if defined(__linux__) && !defined(KWA_NO_EPOLL)
#define KWA_HAVE_EPOLL 1
#endif

enum { KWA_LOOP_READ = 1, KWA_LOOP_WRITE = 2, KWA_LOOP_ERROR = 4 };

/* Called by wait() once for each ready descriptor, events a mix of
 * KWA_LOOP_*. It may call watch() (the backends wait on a snapshot). */
typedef void (*kwa_loop_ready_t)(void *ud, int fd, int events);

typedef struct kwa_loop {
    const char *name; /* "epoll", "poll" */
    void *data;       /* the backend's state */
    /* Sets fd's interest to events (KWA_LOOP_READ | KWA_LOOP_WRITE); 0
     * forgets fd (which may already be closed). 0, or -1 on failure. */
    int (*watch)(void *data, int fd, int events);
    /* Waits at most timeout_ms (-1: no limit) and calls ready for each
     * ready descriptor. Returns how many; an interrupted wait is 0. */
    int (*wait)(void *data, long timeout_ms, kwa_loop_ready_t ready, void *ud);
    /* A descriptor readable whenever wait() would not block, or -1. */
    int (*fd)(const void *data);
    void (*cleanup)(void *data); /* frees data; the loop is unusable after */
} kwa_loop_t;

/* Fills loop and returns 0, or -1 (out of memory or descriptors). */
#ifdef KWA_HAVE_EPOLL
int kwa_loop_epoll(kwa_loop_t *loop);
#endif

#endif /* KWA_LOOP_H */
