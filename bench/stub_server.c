/*
 * stub-server: a lean OpenAI Chat Completions stub for the run-engine benchmark.
 *
 *   stub-server [--delay-ms N] [--port P]
 *
 * Single-threaded epoll, HTTP/1.1 keep-alive, non-blocking sockets. Every POST (any
 * path) gets the same chat.completion reply, at once or after a fixed delay (a FIFO
 * of due replies: with one fixed delay, due times come in arrival order). Prints the
 * port on stdout, then serves until killed. Loopback only.
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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

#define MAX_FDS 65536

static const char BODY[] =
    "{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion\",\"created\":1764067200,"
    "\"model\":\"bench-model\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
    "\"content\":\"{\\\"name\\\":\\\"bench\\\",\\\"value\\\":1}\",\"refusal\":null},"
    "\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":120,"
    "\"completion_tokens\":12,\"total_tokens\":132}}";

typedef struct conn {
    int fd;
    char *in;
    size_t in_len, in_cap;
    char *out;
    size_t out_len, out_off, out_cap;
    unsigned long gen; /* bumped on close: pending replies for an old connection are dropped */
} conn;

typedef struct pending {
    int fd;
    unsigned long gen;
    double due_ms;
} pending;

typedef struct server {
    int ep, lfd;
    conn *conns;
    pending *q;
    size_t q_head, q_tail, q_cap;
    long delay_ms;
    char reply[1024];
    size_t reply_len;
} server;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q)
        die("realloc");
    return q;
}

static void close_conn(server *s, conn *c)
{
    epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->in_len = c->out_len = c->out_off = 0;
    c->gen++;
    c->fd = -1;
}

static void flush_out(server *s, conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.fd = c->fd};
                epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev);
                return;
            }
            close_conn(s, c);
            return;
        }
        c->out_off += (size_t)n;
    }
    c->out_len = c->out_off = 0;
}

static void send_reply(server *s, conn *c)
{
    if (c->out_len + s->reply_len > c->out_cap) {
        c->out_cap = (c->out_len + s->reply_len) * 2;
        c->out = xrealloc(c->out, c->out_cap);
    }
    memcpy(c->out + c->out_len, s->reply, s->reply_len);
    c->out_len += s->reply_len;
    flush_out(s, c);
}

static void enqueue(server *s, int fd, unsigned long gen)
{
    if (s->q_tail == s->q_cap) {
        if (s->q_head > 0) {
            memmove(s->q, s->q + s->q_head, (s->q_tail - s->q_head) * sizeof(*s->q));
            s->q_tail -= s->q_head;
            s->q_head = 0;
        }
        if (s->q_tail == s->q_cap) {
            s->q_cap = s->q_cap ? s->q_cap * 2 : 1024;
            s->q = xrealloc(s->q, s->q_cap * sizeof(*s->q));
        }
    }
    s->q[s->q_tail].fd = fd;
    s->q[s->q_tail].gen = gen;
    s->q[s->q_tail].due_ms = now_ms() + (double)s->delay_ms;
    s->q_tail++;
}

/* Parses as many complete requests as the buffer holds. */
static void handle_input(server *s, conn *c)
{
    size_t off = 0;
    for (;;) {
        char *start = c->in + off, *hdr_end, *p;
        size_t avail = c->in_len - off, head_len, body_len = 0;
        if (avail < 4)
            break;
        hdr_end = NULL;
        for (p = start; p + 3 < start + avail; p++)
            if (p[0] == '\r' && p[1] == '\n' && p[2] == '\r' && p[3] == '\n') {
                hdr_end = p;
                break;
            }
        if (!hdr_end)
            break;
        head_len = (size_t)(hdr_end - start) + 4;
        for (p = start; p < hdr_end; p++) {
            if ((*p == '\n') && strncasecmp(p + 1, "content-length:", 15) == 0) {
                body_len = (size_t)strtoul(p + 16, NULL, 10);
                break;
            }
        }
        if (avail < head_len + body_len)
            break;
        off += head_len + body_len;
        if (s->delay_ms > 0)
            enqueue(s, c->fd, c->gen);
        else
            send_reply(s, c);
        if (c->fd < 0)
            return;
    }
    if (off) {
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
    }
}

static void on_readable(server *s, conn *c)
{
    for (;;) {
        ssize_t n;
        size_t room;
        if (c->in_cap - c->in_len < 4096) {
            c->in_cap = c->in_cap ? c->in_cap * 2 : 16384;
            c->in = xrealloc(c->in, c->in_cap);
        }
        room = c->in_cap - c->in_len;
        n = recv(c->fd, c->in + c->in_len, room, 0);
        if (n > 0) {
            c->in_len += (size_t)n;
            /* a short read has taken all there was: epoll is level-triggered and reports
             * the socket again when more comes, so no second recv() just to see EAGAIN
             * (one syscall less per request for the stub, which shares the 2 cores) */
            if ((size_t)n < room)
                break;
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
            close_conn(s, c);
            return;
        }
        break;
    }
    handle_input(s, c);
}

static void fire_due(server *s)
{
    double now = now_ms();
    while (s->q_head < s->q_tail && s->q[s->q_head].due_ms <= now) {
        pending *p = &s->q[s->q_head++];
        conn *c = &s->conns[p->fd];
        if (c->fd == p->fd && c->gen == p->gen)
            send_reply(s, c);
    }
}

int main(int argc, char **argv)
{
    server s;
    struct sockaddr_in addr;
    socklen_t alen = sizeof addr;
    int i, one = 1, port = 0;
    struct epoll_event ev, events[256];
    memset(&s, 0, sizeof s);
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--delay-ms") == 0 && i + 1 < argc)
            s.delay_ms = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
            port = (int)strtol(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: stub-server [--delay-ms N] [--port P]\n");
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    s.reply_len = (size_t)snprintf(s.reply, sizeof s.reply,
                                   "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                   "Content-Length: %zu\r\nx-request-id: req-bench\r\n\r\n%s",
                                   sizeof BODY - 1, BODY);
    s.conns = calloc(MAX_FDS, sizeof(*s.conns));
    if (!s.conns)
        die("calloc");
    for (i = 0; i < MAX_FDS; i++)
        s.conns[i].fd = -1;
    s.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (s.lfd < 0)
        die("socket");
    setsockopt(s.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons((unsigned short)port);
    if (bind(s.lfd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(s.lfd, 1024) != 0)
        die("bind/listen");
    getsockname(s.lfd, (struct sockaddr *)&addr, &alen);
    printf("%d\n", ntohs(addr.sin_port));
    fflush(stdout);
    s.ep = epoll_create1(0);
    ev.events = EPOLLIN;
    ev.data.fd = s.lfd;
    epoll_ctl(s.ep, EPOLL_CTL_ADD, s.lfd, &ev);
    for (;;) {
        int n, timeout = -1;
        if (s.q_head < s.q_tail) {
            double wait = s.q[s.q_head].due_ms - now_ms();
            timeout = wait <= 0 ? 0 : (int)wait + 1;
        }
        n = epoll_wait(s.ep, events, 256, timeout);
        for (i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == s.lfd) {
                int cfd;
                while ((cfd = accept4(s.lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (cfd >= MAX_FDS) {
                        close(cfd);
                        continue;
                    }
                    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    s.conns[cfd].fd = cfd;
                    ev.events = EPOLLIN;
                    ev.data.fd = cfd;
                    epoll_ctl(s.ep, EPOLL_CTL_ADD, cfd, &ev);
                }
                continue;
            }
            if (s.conns[fd].fd < 0)
                continue;
            if (events[i].events & EPOLLOUT) {
                flush_out(&s, &s.conns[fd]);
                if (s.conns[fd].fd >= 0 && s.conns[fd].out_len == 0) {
                    ev.events = EPOLLIN;
                    ev.data.fd = fd;
                    epoll_ctl(s.ep, EPOLL_CTL_MOD, fd, &ev);
                }
            }
            if (s.conns[fd].fd >= 0 && (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                on_readable(&s, &s.conns[fd]);
        }
        fire_due(&s);
    }
}
