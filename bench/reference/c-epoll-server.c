/*
 * Reference server for `npm run bench`: the fastest straightforward thing a
 * single-threaded epoll server in C can do for a hello-world answer, so the
 * engine's numbers have a ceiling to be read against.
 *
 * Deliberately minimal, not an HTTP implementation: it counts request heads
 * by their terminating CRLFCRLF (bodyless GETs only), answers each with the
 * same canned response, and closes after answering a head that contains
 * "connection: close" (case-insensitive substring; good enough for wrk).
 *
 * Build: gcc -O2 -o bench/out/c-epoll-server bench/reference/c-epoll-server.c
 * Run:   c-epoll-server <port>   (0 picks a free port; prints "listening <port>")
 * Binds 127.0.0.1 only.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Bytes of one connection's unparsed input; a head longer than this closes the connection. */
#define IN_CAP 16384
/* Events taken per epoll_wait. */
#define MAX_EVENTS 256
/* Back-off when accept4 runs out of descriptors, instead of spinning on the readable listener. */
#define EMFILE_BACKOFF_NS 10000000L

static const char RESPONSE[] =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 12\r\n"
    "\r\n"
    "hello world\n";
/* RFC 9112 §9.6: a server that is about to close says so, or the client (wrk) reuses the connection and sees a read error. */
static const char RESPONSE_CLOSE[] =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 12\r\n"
    "Connection: close\r\n"
    "\r\n"
    "hello world\n";

struct conn {
    int fd;
    int close_after; /* a Connection: close request was answered: close once out is flushed */
    size_t in_len;
    char in[IN_CAP];
    /* Pending output: out[out_off, out_len) still to send. */
    char *out;
    size_t out_off, out_len, out_cap;
};

static int epfd;

static void die(const char *what) {
    perror(what);
    exit(1);
}

static void conn_close(struct conn *c) {
    /* Closing the fd removes it from the epoll set (no dup'd descriptors here). */
    close(c->fd);
    free(c->out);
    free(c);
}

static int set_interest(struct conn *c, unsigned events) {
    struct epoll_event ev = {.events = events, .data.ptr = c};
    return epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static int out_reserve(struct conn *c, size_t extra) {
    if (c->out_len + extra <= c->out_cap) return 0;
    size_t cap = c->out_cap ? c->out_cap : 4096;
    while (cap < c->out_len + extra) cap *= 2;
    char *p = realloc(c->out, cap);
    if (!p) return -1;
    c->out = p;
    c->out_cap = cap;
    return 0;
}

/* Case-insensitive search for the needle inside [p, p + n). */
static int contains_ci(const char *p, size_t n, const char *needle) {
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++) {
        if (strncasecmp(p + i, needle, m) == 0) return 1;
    }
    return 0;
}

/*
 * Send what is pending. Returns 0 when everything went out, 1 when the
 * socket is full (EPOLLOUT armed), -1 when the connection must be closed.
 */
static int flush_out(struct conn *c) {
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                /* Stop reading until the peer drains what we owe it. */
                return set_interest(c, EPOLLOUT) < 0 ? -1 : 1;
            }
            return -1;
        }
        c->out_off += (size_t)n;
    }
    c->out_off = c->out_len = 0;
    return 0;
}

/* Returns -1 when the connection must be closed. */
static int on_readable(struct conn *c) {
    ssize_t n;
    do {
        n = read(c->fd, c->in + c->in_len, IN_CAP - c->in_len);
    } while (n < 0 && errno == EINTR);
    if (n == 0) return -1;
    if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    c->in_len += (size_t)n;

    /* One response appended per complete head; all of them go out in one send. */
    size_t start = 0;
    for (;;) {
        char *end = memmem(c->in + start, c->in_len - start, "\r\n\r\n", 4);
        if (!end) break;
        size_t head_len = (size_t)(end - (c->in + start)) + 4;
        int close_req = contains_ci(c->in + start, head_len, "connection: close");
        const char *resp = close_req ? RESPONSE_CLOSE : RESPONSE;
        size_t resp_len = close_req ? sizeof RESPONSE_CLOSE - 1 : sizeof RESPONSE - 1;
        if (out_reserve(c, resp_len) < 0) return -1;
        memcpy(c->out + c->out_len, resp, resp_len);
        c->out_len += resp_len;
        start += head_len;
        if (close_req) {
            /* Nothing after a closing request is answered. */
            c->close_after = 1;
            start = c->in_len;
            break;
        }
    }
    if (start > 0) {
        memmove(c->in, c->in + start, c->in_len - start);
        c->in_len -= start;
    }
    if (c->in_len == IN_CAP) return -1; /* head too large for this toy */

    if (c->out_len > 0) {
        int r = flush_out(c);
        if (r < 0) return -1;
        if (r == 0 && c->close_after) return -1;
    }
    return 0;
}

static int on_writable(struct conn *c) {
    int r = flush_out(c);
    if (r < 0) return -1;
    if (r == 1) return 0;
    if (c->close_after) return -1;
    return set_interest(c, EPOLLIN) < 0 ? -1 : 0;
}

static void accept_all(int lfd) {
    /* accept4 until EAGAIN; bounded by the backlog the kernel holds. */
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE) {
                struct timespec ts = {0, EMFILE_BACKOFF_NS};
                nanosleep(&ts, NULL);
            }
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn *c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) conn_close(c);
    }
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 0;
    if (port < 0 || port > 65535) {
        fprintf(stderr, "usage: %s <port>\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0) die("socket");
    int one = 1;
    if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) die("setsockopt");
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
    if (listen(lfd, 1024) < 0) die("listen");
    socklen_t len = sizeof addr;
    if (getsockname(lfd, (struct sockaddr *)&addr, &len) < 0) die("getsockname");

    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) die("epoll_create1");
    /* The listener is told apart from connections by a NULL data pointer. */
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &lev) < 0) die("epoll_ctl");

    printf("listening %d\n", ntohs(addr.sin_port));
    fflush(stdout);

    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        int n = epoll_wait(epfd, events, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (!c) {
                accept_all(lfd);
                continue;
            }
            unsigned ev = events[i].events;
            int r = 0;
            if (ev & EPOLLOUT) r = on_writable(c);
            else if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) r = on_readable(c);
            if (r < 0) conn_close(c);
        }
    }
}
