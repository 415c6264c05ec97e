/*
 * fake_http — scriptable HTTP/1.1 test server.  See fake_http.h.
 *
 * Design: one accept thread polls the listening socket and a "wake" pipe; each
 * accepted connection gets its own thread.  Every blocking wait (reading,
 * writing, reply delays) polls the wake pipe too, so fake_http_stop() only has
 * to write one byte into the pipe (never drained) to make every thread return
 * promptly, then joins them all.  Sockets are non-blocking; all bookkeeping
 * (script, default, handler, recorded requests, connection list) is guarded
 * by the server mutex.
 *
 * Only POSIX.1-2008 interfaces are used (-D_POSIX_C_SOURCE=200809L).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* POSIX.1-2008 only; no _GNU_SOURCE / _DEFAULT_SOURCE needed */
#endif
#include "fake_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define FH_MAX_HEADER_BYTES ((size_t)1024 * 1024)      /* request line + headers (+ trailers) */
#define FH_MAX_BODY_BYTES ((size_t)256 * 1024 * 1024)  /* request body */
#define FH_READ_CHUNK ((size_t)64 * 1024)

/* ------------------------------------------------------------------------ */
/* types                                                                     */

typedef struct reply_node {
    fake_http_reply r; /* owned copies of the strings */
    struct reply_node *next;
} reply_node;

typedef struct req_rec {
    fake_http_request pub; /* must stay first: public pointers are cast back */
    fake_http_server *srv;
    char **owned; /* fake_http_printf results */
    size_t n_owned;
} req_rec;

typedef struct conn {
    fake_http_server *srv;
    int fd;
    unsigned long id;
    pthread_t thread;
    int done; /* guarded by srv->mu */
    unsigned long served; /* requests read on it so far */
    char *buf;
    size_t pos, len, cap; /* unread data is buf[pos..len) */
    struct conn *next;
} conn;

struct fake_http_server {
    int listen_fd;
    int wake[2]; /* wake[1] gets one byte on stop; wake[0] is polled by everyone */
    int port;
    char url[64];
    pthread_t accept_thread;

    pthread_mutex_t mu;
    pthread_cond_t cond; /* signalled whenever a request is recorded */
    reply_node *q_head, *q_tail;
    fake_http_reply deflt;
    fake_http_handler handler;
    void *handler_ud;
    req_rec **reqs;
    size_t n_reqs, cap_reqs;
    conn *conns;
    unsigned long next_conn_id;
};

/* ------------------------------------------------------------------------ */
/* small helpers                                                             */

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("fake_http: out of memory\n", stderr);
        abort();
    }
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fputs("fake_http: out of memory\n", stderr);
        abort();
    }
    return q;
}

static char *xmemdup0(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);
    if (n)
        memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static char *xstrdup(const char *s) { return xmemdup0(s, strlen(s)); }

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_fd_flags(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    fl = fcntl(fd, F_GETFD);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

/* growable string */
typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->len + n + 1)
            nc *= 2;
        b->p = xrealloc(b->p, nc);
        b->cap = nc;
    }
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        sb_add(b, tmp, (size_t)n);
        return;
    }
    char *big = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_add(b, big, (size_t)n);
    free(big);
}

/* Is `tok` one of the comma-separated tokens of `value` (case-insensitive)? */
static int has_token(const char *value, const char *tok)
{
    size_t tl = strlen(tok);
    const char *p = value;
    while (p && *p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        const char *te = e;
        while (te > p && (te[-1] == ' ' || te[-1] == '\t'))
            te--;
        if ((size_t)(te - p) == tl && strncasecmp(p, tok, tl) == 0)
            return 1;
        p = e;
    }
    return 0;
}

/* Find header `name` in a raw "Name: value\r\n..." block.  Returns a pointer
 * to the value (not NUL-terminated at line end) and its length, or NULL. */
static const char *raw_header_find(const char *raw, const char *name, size_t *vlen)
{
    size_t nl = strlen(name);
    const char *p = raw;
    while (p && *p) {
        const char *eol = strchr(p, '\n');
        const char *end = eol ? eol : p + strlen(p);
        if ((size_t)(end - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = end;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            if (vlen)
                *vlen = (size_t)(ve - v);
            return v;
        }
        p = eol ? eol + 1 : NULL;
    }
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* replies                                                                   */

static void reply_copy(fake_http_reply *dst, const fake_http_reply *src)
{
    size_t blen = 0;
    if (src->body)
        blen = src->body_len < 0 ? strlen(src->body) : (size_t)src->body_len;
    *dst = *src;
    dst->headers = src->headers ? xstrdup(src->headers) : NULL;
    dst->body = src->body ? xmemdup0(src->body, blen) : NULL;
    dst->body_len = (long)blen;
    if (dst->status <= 0)
        dst->status = 200;
}

static void reply_free(fake_http_reply *r)
{
    free((void *)r->headers);
    free((void *)r->body);
    r->headers = NULL;
    r->body = NULL;
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 529: return "Site is overloaded";
    default: return "Status";
    }
}

/* ------------------------------------------------------------------------ */
/* connection I/O (all waits also watch the wake pipe)                       */

enum { W_STOP = 0, W_READY = 1, W_TIMEOUT = 2, W_ERROR = -1 };

static int wait_fd(conn *c, short events)
{
    struct pollfd p[2];
    p[0].fd = c->fd;
    p[0].events = events;
    p[1].fd = c->srv->wake[0];
    p[1].events = POLLIN;
    for (;;) {
        p[0].revents = p[1].revents = 0;
        int r = poll(p, 2, -1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return W_ERROR;
        }
        if (p[1].revents)
            return W_STOP;
        return W_READY; /* POLLERR/POLLHUP surface as errors from recv/send */
    }
}

/* Sleeps ms milliseconds unless the server is stopped.  1 = slept, 0 = stop. */
static int sleep_ms(fake_http_server *s, int ms)
{
    double deadline = now_mono() + ms / 1000.0;
    struct pollfd p;
    p.fd = s->wake[0];
    p.events = POLLIN;
    for (;;) {
        double left = deadline - now_mono();
        if (left <= 0)
            return 1;
        p.revents = 0;
        int r = poll(&p, 1, (int)(left * 1000.0) + 1);
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return 1;
    }
}

/* Reads more data into c->buf.  1 = got data, 0 = EOF or stop, -1 = error. */
static int conn_fill(conn *c)
{
    if (c->pos > 0) { /* compact; callers only keep offsets relative to pos */
        memmove(c->buf, c->buf + c->pos, c->len - c->pos);
        c->len -= c->pos;
        c->pos = 0;
    }
    if (c->cap - c->len < FH_READ_CHUNK) {
        c->cap = c->len + 2 * FH_READ_CHUNK;
        c->buf = xrealloc(c->buf, c->cap);
    }
    for (;;) {
        ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
        if (n > 0) {
            c->len += (size_t)n;
            return 1;
        }
        if (n == 0)
            return 0;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        int w = wait_fd(c, POLLIN);
        if (w == W_STOP)
            return 0;
        if (w != W_READY)
            return -1;
    }
}

/* Ensures at least n unread bytes.  1 ok, 0 EOF/stop, -1 error. */
static int conn_need(conn *c, size_t n)
{
    while (c->len - c->pos < n) {
        int r = conn_fill(c);
        if (r <= 0)
            return r;
    }
    return 1;
}

/* Reads one line (LF or CRLF terminated) into a fresh string without the
 * terminator.  1 ok, 0 EOF/stop, -1 error, -2 line longer than maxlen. */
static int conn_line(conn *c, char **line, size_t maxlen)
{
    size_t scanned = 0;
    for (;;) {
        const char *start = c->buf + c->pos;
        size_t avail = c->len - c->pos;
        const char *nl = avail > scanned ? memchr(start + scanned, '\n', avail - scanned) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - start);
            size_t l = n;
            if (l > maxlen)
                return -2;
            if (l && start[l - 1] == '\r')
                l--;
            *line = xmemdup0(start, l);
            c->pos += n + 1;
            return 1;
        }
        scanned = avail;
        if (avail > maxlen)
            return -2;
        int r = conn_fill(c);
        if (r <= 0)
            return r;
    }
}

static int send_all(conn *c, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (wait_fd(c, POLLOUT) != W_READY)
                return -1;
            continue;
        }
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* request parsing                                                           */

static void req_free(req_rec *r)
{
    if (!r)
        return;
    free(r->pub.method);
    free(r->pub.path);
    for (size_t i = 0; i < r->pub.n_headers; i++) {
        free(r->pub.header_names[i]);
        free(r->pub.header_values[i]);
    }
    free(r->pub.header_names);
    free(r->pub.header_values);
    free(r->pub.body);
    for (size_t i = 0; i < r->n_owned; i++)
        free(r->owned[i]);
    free(r->owned);
    free(r);
}

static void req_add_header(req_rec *r, char *name, char *value)
{
    size_t n = r->pub.n_headers + 1;
    r->pub.header_names = xrealloc(r->pub.header_names, n * sizeof(char *));
    r->pub.header_values = xrealloc(r->pub.header_values, n * sizeof(char *));
    r->pub.header_names[n - 1] = name;
    r->pub.header_values[n - 1] = value;
    r->pub.n_headers = n;
}

static void req_body_append(req_rec *r, size_t *cap, const char *p, size_t n)
{
    if (r->pub.body_len + n + 1 > *cap) {
        size_t nc = *cap ? *cap : 4096;
        while (nc < r->pub.body_len + n + 1)
            nc *= 2;
        r->pub.body = xrealloc(r->pub.body, nc);
        *cap = nc;
    }
    memcpy(r->pub.body + r->pub.body_len, p, n);
    r->pub.body_len += n;
    r->pub.body[r->pub.body_len] = '\0';
}

/* Maps a conn_line/conn_need failure to a read_request result. */
static int io_fail(int r, int too_long_status) { return r == -2 ? -too_long_status : 0; }

/* A header or trailer line: conn_line within what is left of *budget, taken off it. */
static int conn_field_line(conn *c, char **line, size_t *budget)
{
    int r = conn_line(c, line, *budget);
    if (r > 0) {
        size_t ll = strlen(*line);
        *budget -= ll < *budget ? ll : *budget;
    }
    return r;
}

static int parse_chunk_size(const char *line, size_t *out)
{
    size_t v = 0;
    int digits = 0;
    const char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    for (;; p++) {
        int d;
        if (*p >= '0' && *p <= '9')
            d = *p - '0';
        else if (*p >= 'a' && *p <= 'f')
            d = *p - 'a' + 10;
        else if (*p >= 'A' && *p <= 'F')
            d = *p - 'A' + 10;
        else
            break;
        if (v > (FH_MAX_BODY_BYTES >> 4))
            return -413;
        v = v * 16 + (size_t)d;
        digits++;
    }
    while (*p == ' ' || *p == '\t')
        p++;
    if (!digits || (*p && *p != ';'))
        return -400;
    *out = v;
    return 0;
}

/*
 * Reads one request.  Returns 1 with *out set; 0 to close silently (EOF,
 * stop, I/O error); or -STATUS (400, 413, 431, 501) to answer with an error
 * and close.  *keep_alive / *http10 describe the client's wishes.
 */
static int read_request(conn *c, req_rec **out, int *keep_alive, int *http10)
{
    size_t budget = FH_MAX_HEADER_BYTES;
    char *line = NULL;
    int r;
    req_rec *rq = NULL;

    *out = NULL;
    /* request line, skipping stray empty lines between requests */
    for (int empties = 0;; empties++) {
        r = conn_line(c, &line, budget);
        if (r <= 0)
            return io_fail(r, 431);
        if (line[0])
            break;
        free(line);
        line = NULL;
        if (empties > 16)
            return -400;
    }
    budget -= strlen(line);

    char *sp1 = strchr(line, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2 || sp1 == line || sp2 == sp1 + 1 || strchr(sp2 + 1, ' ') ||
        strncmp(sp2 + 1, "HTTP/1.", 7) != 0 || !(sp2[8] == '0' || sp2[8] == '1') || sp2[9]) {
        free(line);
        return -400;
    }
    rq = calloc(1, sizeof *rq);
    if (!rq)
        abort();
    rq->srv = c->srv;
    rq->pub.connection_id = c->id;
    rq->pub.method = xmemdup0(line, (size_t)(sp1 - line));
    rq->pub.path = xmemdup0(sp1 + 1, (size_t)(sp2 - sp1 - 1));
    *http10 = sp2[8] == '0';
    free(line);
    line = NULL;

    /* header fields */
    for (;;) {
        r = conn_field_line(c, &line, &budget);
        if (r <= 0) {
            req_free(rq);
            return io_fail(r, 431);
        }
        if (!line[0]) {
            free(line);
            line = NULL;
            break;
        }
        if ((line[0] == ' ' || line[0] == '\t') && rq->pub.n_headers > 0) { /* obs-fold */
            char *v = line;
            while (*v == ' ' || *v == '\t')
                v++;
            char **prev = &rq->pub.header_values[rq->pub.n_headers - 1];
            size_t pl = strlen(*prev), vl = strlen(v);
            *prev = xrealloc(*prev, pl + 1 + vl + 1);
            (*prev)[pl] = ' ';
            memcpy(*prev + pl + 1, v, vl + 1);
            free(line);
            continue;
        }
        char *colon = strchr(line, ':');
        if (!colon || colon == line || strcspn(line, " \t") < (size_t)(colon - line)) {
            free(line);
            req_free(rq);
            return -400;
        }
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        char *ve = v + strlen(v);
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        req_add_header(rq, xmemdup0(line, (size_t)(colon - line)), xmemdup0(v, (size_t)(ve - v)));
        free(line);
    }

    /* framing */
    int chunked = 0;
    size_t content_length = 0;
    int have_cl = 0;
    *keep_alive = !*http10;
    for (size_t i = 0; i < rq->pub.n_headers; i++) {
        const char *n = rq->pub.header_names[i], *v = rq->pub.header_values[i];
        if (strcasecmp(n, "Transfer-Encoding") == 0) {
            /* chunked must be the final coding; anything else is unsupported */
            const char *last = strrchr(v, ',');
            last = last ? last + 1 : v;
            if (!has_token(last, "chunked")) {
                req_free(rq);
                return -501;
            }
            chunked = 1;
        } else if (strcasecmp(n, "Content-Length") == 0) {
            size_t cl = 0;
            const char *p = v;
            if (!*p) {
                req_free(rq);
                return -400;
            }
            for (; *p; p++) {
                if (*p < '0' || *p > '9' || cl > FH_MAX_BODY_BYTES) {
                    req_free(rq);
                    return *p >= '0' && *p <= '9' ? -413 : -400;
                }
                cl = cl * 10 + (size_t)(*p - '0');
            }
            if (have_cl && cl != content_length) {
                req_free(rq);
                return -400;
            }
            have_cl = 1;
            content_length = cl;
        } else if (strcasecmp(n, "Connection") == 0) {
            if (has_token(v, "close"))
                *keep_alive = 0;
            else if (has_token(v, "keep-alive"))
                *keep_alive = 1;
        }
    }
    if (chunked && have_cl)
        *keep_alive = 0; /* RFC 9112 6.3: ignore Content-Length, close afterwards */
    if (!chunked && content_length > FH_MAX_BODY_BYTES) {
        req_free(rq);
        return -413;
    }

    /* 100-continue: tell the client to go ahead before we read the body */
    const char *expect = fake_http_request_header(&rq->pub, "Expect");
    if (expect && !*http10 && strcasecmp(expect, "100-continue") == 0 &&
        (chunked || content_length > 0)) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        if (send_all(c, cont, sizeof cont - 1) != 0) {
            req_free(rq);
            return 0;
        }
    }

    /* body */
    size_t cap = 0;
    if (chunked) {
        for (;;) {
            size_t sz = 0;
            r = conn_line(c, &line, 4096);
            if (r <= 0) {
                req_free(rq);
                return io_fail(r, 400);
            }
            int pr = parse_chunk_size(line, &sz);
            free(line);
            line = NULL;
            if (pr < 0 || rq->pub.body_len + sz > FH_MAX_BODY_BYTES) {
                req_free(rq);
                return pr < 0 ? pr : -413;
            }
            if (sz == 0)
                break;
            r = conn_need(c, sz + 1);
            if (r <= 0) {
                req_free(rq);
                return 0;
            }
            req_body_append(rq, &cap, c->buf + c->pos, sz);
            c->pos += sz;
            /* chunk data is followed by CRLF (accept a bare LF) */
            if (c->buf[c->pos] == '\r') {
                r = conn_need(c, 2);
                if (r <= 0) {
                    req_free(rq);
                    return 0;
                }
                c->pos++;
            }
            if (c->buf[c->pos] != '\n') {
                req_free(rq);
                return -400;
            }
            c->pos++;
        }
        /* trailer section: ignored, up to the empty line */
        for (;;) {
            r = conn_field_line(c, &line, &budget);
            if (r <= 0) {
                req_free(rq);
                return io_fail(r, 431);
            }
            int empty = line[0] == '\0';
            free(line);
            line = NULL;
            if (empty)
                break;
        }
    } else if (content_length > 0) {
        r = conn_need(c, content_length);
        if (r <= 0) {
            req_free(rq);
            return 0;
        }
        req_body_append(rq, &cap, c->buf + c->pos, content_length);
        c->pos += content_length;
    }
    if (!rq->pub.body)
        rq->pub.body = xmemdup0("", 0);

    rq->pub.received_at = now_mono();
    *out = rq;
    return 1;
}

/* ------------------------------------------------------------------------ */
/* responses                                                                 */

/* Appends the raw header block normalised to CRLF line endings. */
static void add_raw_headers(sbuf *b, const char *raw)
{
    const char *p = raw;
    while (p && *p) {
        const char *eol = strchr(p, '\n');
        const char *end = eol ? eol : p + strlen(p);
        const char *e = end;
        if (e > p && e[-1] == '\r')
            e--;
        if (e > p) {
            sb_add(b, p, (size_t)(e - p));
            sb_str(b, "\r\n");
        }
        p = eol ? eol + 1 : NULL;
    }
}

/* Length of the next streamed piece starting at off. */
static size_t next_piece(const char *body, size_t len, size_t off, int sse)
{
    for (size_t i = off; i < len; i++) {
        if (body[i] != '\n')
            continue;
        if (!sse)
            return i + 1 - off;
        if (i + 1 < len && body[i + 1] == '\n')
            return i + 2 - off;
        if (i + 2 < len && body[i + 1] == '\r' && body[i + 2] == '\n')
            return i + 3 - off;
    }
    return len - off;
}

static int body_has_blank_line(const char *body, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (body[i] == '\n' && (body[i + 1] == '\n' || (i + 2 < len && body[i + 1] == '\r' && body[i + 2] == '\n')))
            return 1;
    }
    return 0;
}

/* Sends the reply.  Returns 1 if the connection may be kept alive. */
static int send_reply(conn *c, const req_rec *rq, const fake_http_reply *r, int client_keep, int http10)
{
    if (r->delay_ms > 0 && !sleep_ms(c->srv, r->delay_ms))
        return 0;
    if (r->close_without_reply || (r->close_if_reused && c->served > 1))
        return 0;

    const char *raw = r->headers ? r->headers : "";
    size_t vlen = 0;
    const char *conn_v = raw_header_find(raw, "Connection", &vlen);
    int user_conn = conn_v != NULL;
    int user_close = 0;
    if (conn_v) {
        char *tmp = xmemdup0(conn_v, vlen);
        user_close = has_token(tmp, "close");
        free(tmp);
    }
    int user_ct = raw_header_find(raw, "Content-Type", NULL) != NULL;
    int user_cl = raw_header_find(raw, "Content-Length", NULL) != NULL;
    int user_te = raw_header_find(raw, "Transfer-Encoding", NULL) != NULL;
    int is_head = strcmp(rq->pub.method, "HEAD") == 0;
    int bodyless_status = r->status < 200 || r->status == 204 || r->status == 304;
    int stream = (r->stream || r->stream_delay_ms > 0) && !bodyless_status && !user_cl;
    size_t blen = r->body ? (size_t)r->body_len : 0;
    int keep = client_keep && !r->truncate && !user_close && !r->no_length;

    sbuf b = {0};
    sb_printf(&b, "HTTP/1.1 %d %s\r\n", r->status, reason_phrase(r->status));
    add_raw_headers(&b, raw);
    if (!user_ct)
        sb_str(&b, "Content-Type: application/json\r\n");
    if (stream) {
        if (!user_te)
            sb_str(&b, "Transfer-Encoding: chunked\r\n");
    } else if (!bodyless_status && !user_cl && !user_te && !r->no_length) {
        sb_printf(&b, "Content-Length: %zu\r\n", blen);
    }
    if (!user_conn) {
        if (!keep)
            sb_str(&b, "Connection: close\r\n");
        else if (http10)
            sb_str(&b, "Connection: keep-alive\r\n");
    }
    sb_str(&b, "\r\n");

    int ok = send_all(c, b.p, b.len) == 0;
    free(b.p);
    if (!ok)
        return 0;
    if (is_head || bodyless_status)
        return keep;

    size_t limit = r->truncate ? blen / 2 : blen;
    if (!stream) {
        if (limit && send_all(c, r->body, limit) != 0)
            return 0;
        return keep;
    }

    int sse = body_has_blank_line(r->body ? r->body : "", blen);
    for (size_t off = 0; off < limit;) {
        size_t plen = next_piece(r->body, blen, off, sse);
        size_t send_len = off + plen > limit ? limit - off : plen;
        if (off > 0 && r->stream_delay_ms > 0 && !sleep_ms(c->srv, r->stream_delay_ms))
            return 0;
        char hdr[32];
        int hl = snprintf(hdr, sizeof hdr, "%zx\r\n", plen);
        if (send_all(c, hdr, (size_t)hl) != 0 || send_all(c, r->body + off, send_len) != 0)
            return 0;
        if (send_len < plen)
            return 0; /* truncated mid-piece */
        if (send_all(c, "\r\n", 2) != 0)
            return 0;
        off += plen;
    }
    if (r->truncate)
        return 0;
    if (send_all(c, "0\r\n\r\n", 5) != 0)
        return 0;
    return keep;
}

static void send_error(conn *c, int status)
{
    sbuf b = {0};
    char body[96];
    int bl = snprintf(body, sizeof body, "{\"error\":\"fake_http: %d %s\"}", status, reason_phrase(status));
    sb_printf(&b, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n",
              status, reason_phrase(status), bl);
    sb_add(&b, body, (size_t)bl);
    (void)send_all(c, b.p, b.len);
    free(b.p);
}

/* ------------------------------------------------------------------------ */
/* server bookkeeping                                                        */

static void record_request(fake_http_server *s, req_rec *rq)
{
    pthread_mutex_lock(&s->mu);
    if (s->n_reqs == s->cap_reqs) {
        s->cap_reqs = s->cap_reqs ? s->cap_reqs * 2 : 16;
        s->reqs = xrealloc(s->reqs, s->cap_reqs * sizeof *s->reqs);
    }
    s->reqs[s->n_reqs++] = rq;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
}

/* Produces an owned reply for the request: handler, else script, else default. */
static void pick_reply(fake_http_server *s, const req_rec *rq, fake_http_reply *out)
{
    fake_http_handler h;
    void *ud;
    pthread_mutex_lock(&s->mu);
    h = s->handler;
    ud = s->handler_ud;
    if (!h) {
        reply_node *n = s->q_head;
        if (n) {
            s->q_head = n->next;
            if (!s->q_head)
                s->q_tail = NULL;
            *out = n->r;
            free(n);
        } else {
            reply_copy(out, &s->deflt);
        }
    }
    pthread_mutex_unlock(&s->mu);
    if (h) {
        fake_http_reply tmp;
        memset(&tmp, 0, sizeof tmp);
        tmp.status = 200;
        tmp.body_len = -1;
        h(&rq->pub, &tmp, ud);
        reply_copy(out, &tmp);
    }
}

static void *conn_main(void *arg)
{
    conn *c = arg;
    fake_http_server *s = c->srv;
    for (;;) {
        req_rec *rq = NULL;
        int keep = 0, http10 = 0;
        int r = read_request(c, &rq, &keep, &http10);
        if (r == 0)
            break;
        if (r < 0) {
            send_error(c, -r);
            break;
        }
        c->served++;
        record_request(s, rq); /* from here on rq belongs to the server */
        fake_http_reply reply;
        pick_reply(s, rq, &reply);
        int k = send_reply(c, rq, &reply, keep, http10);
        reply_free(&reply);
        if (!k)
            break;
    }
    (void)shutdown(c->fd, SHUT_WR);
    close(c->fd);
    c->fd = -1;
    free(c->buf);
    c->buf = NULL;
    pthread_mutex_lock(&s->mu);
    c->done = 1;
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Joins and frees connection threads that have finished. */
static void reap_conns(fake_http_server *s)
{
    conn *dead = NULL;
    pthread_mutex_lock(&s->mu);
    for (conn **pp = &s->conns; *pp;) {
        conn *c = *pp;
        if (c->done) {
            *pp = c->next;
            c->next = dead;
            dead = c;
        } else {
            pp = &c->next;
        }
    }
    pthread_mutex_unlock(&s->mu);
    while (dead) {
        conn *n = dead->next;
        pthread_join(dead->thread, NULL);
        free(dead);
        dead = n;
    }
}

static void *accept_main(void *arg)
{
    fake_http_server *s = arg;
    for (;;) {
        struct pollfd p[2];
        p[0].fd = s->listen_fd;
        p[0].events = POLLIN;
        p[0].revents = 0;
        p[1].fd = s->wake[0];
        p[1].events = POLLIN;
        p[1].revents = 0;
        int r = poll(p, 2, -1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents)
            break;
        if (!p[0].revents)
            continue;
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED) {
                /* e.g. EMFILE: back off briefly instead of spinning */
                if (!sleep_ms(s, 10))
                    break;
            }
            continue;
        }
        set_fd_flags(fd);
        int one = 1;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

        reap_conns(s);
        conn *c = calloc(1, sizeof *c);
        if (!c)
            abort();
        c->srv = s;
        c->fd = fd;
        c->cap = 2 * FH_READ_CHUNK;
        c->buf = xmalloc(c->cap);
        pthread_mutex_lock(&s->mu);
        c->id = s->next_conn_id++;
        c->next = s->conns;
        s->conns = c;
        pthread_mutex_unlock(&s->mu);
        if (pthread_create(&c->thread, NULL, conn_main, c) != 0) {
            pthread_mutex_lock(&s->mu);
            for (conn **pp = &s->conns; *pp; pp = &(*pp)->next) {
                if (*pp == c) {
                    *pp = c->next;
                    break;
                }
            }
            pthread_mutex_unlock(&s->mu);
            close(fd);
            free(c->buf);
            free(c);
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* public API                                                                */

int fake_http_start(fake_http_server **out)
{
    *out = NULL;
    fake_http_server *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    s->listen_fd = -1;
    s->wake[0] = s->wake[1] = -1;

    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (s->listen_fd < 0)
        goto fail;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (bind(s->listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0)
        goto fail;
    if (listen(s->listen_fd, SOMAXCONN) != 0)
        goto fail;
    socklen_t alen = sizeof addr;
    if (getsockname(s->listen_fd, (struct sockaddr *)&addr, &alen) != 0)
        goto fail;
    s->port = ntohs(addr.sin_port);
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d", s->port);
    set_fd_flags(s->listen_fd);

    if (pipe(s->wake) != 0)
        goto fail;
    set_fd_flags(s->wake[0]);
    set_fd_flags(s->wake[1]);

    pthread_condattr_t ca;
    if (pthread_mutex_init(&s->mu, NULL) != 0)
        goto fail;
    if (pthread_condattr_init(&ca) != 0) {
        pthread_mutex_destroy(&s->mu);
        goto fail;
    }
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int cr = pthread_cond_init(&s->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (cr != 0) {
        pthread_mutex_destroy(&s->mu);
        goto fail;
    }

    fake_http_reply d;
    memset(&d, 0, sizeof d);
    d.status = 500;
    d.body = "{\"error\":\"no scripted reply\"}";
    d.body_len = -1;
    reply_copy(&s->deflt, &d);

    if (pthread_create(&s->accept_thread, NULL, accept_main, s) != 0) {
        reply_free(&s->deflt);
        pthread_cond_destroy(&s->cond);
        pthread_mutex_destroy(&s->mu);
        goto fail;
    }
    *out = s;
    return 0;

fail:
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    if (s->wake[0] >= 0)
        close(s->wake[0]);
    if (s->wake[1] >= 0)
        close(s->wake[1]);
    free(s);
    return -1;
}

int fake_http_port(const fake_http_server *s) { return s ? s->port : -1; }

const char *fake_http_url(const fake_http_server *s) { return s ? s->url : NULL; }

void fake_http_push_reply(fake_http_server *s, const fake_http_reply *r)
{
    reply_node *n = xmalloc(sizeof *n);
    reply_copy(&n->r, r);
    n->next = NULL;
    pthread_mutex_lock(&s->mu);
    if (s->q_tail)
        s->q_tail->next = n;
    else
        s->q_head = n;
    s->q_tail = n;
    pthread_mutex_unlock(&s->mu);
}

void fake_http_set_default_reply(fake_http_server *s, const fake_http_reply *r)
{
    fake_http_reply nr, old;
    reply_copy(&nr, r);
    pthread_mutex_lock(&s->mu);
    old = s->deflt;
    s->deflt = nr;
    pthread_mutex_unlock(&s->mu);
    reply_free(&old);
}

void fake_http_set_handler(fake_http_server *s, fake_http_handler fn, void *userdata)
{
    pthread_mutex_lock(&s->mu);
    s->handler = fn;
    s->handler_ud = fn ? userdata : NULL;
    pthread_mutex_unlock(&s->mu);
}

size_t fake_http_request_count(fake_http_server *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->n_reqs;
    pthread_mutex_unlock(&s->mu);
    return n;
}

const fake_http_request *fake_http_request_at(fake_http_server *s, size_t i)
{
    const fake_http_request *r = NULL;
    pthread_mutex_lock(&s->mu);
    if (i < s->n_reqs)
        r = &s->reqs[i]->pub;
    pthread_mutex_unlock(&s->mu);
    return r;
}

const char *fake_http_request_header(const fake_http_request *r, const char *name)
{
    if (!r || !name)
        return NULL;
    for (size_t i = 0; i < r->n_headers; i++) {
        if (strcasecmp(r->header_names[i], name) == 0)
            return r->header_values[i];
    }
    return NULL;
}

int fake_http_wait_requests(fake_http_server *s, size_t n, int timeout_ms)
{
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    if (timeout_ms > 0) {
        dl.tv_sec += timeout_ms / 1000;
        dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (dl.tv_nsec >= 1000000000L) {
            dl.tv_sec++;
            dl.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&s->mu);
    while (s->n_reqs < n) {
        if (timeout_ms < 0) {
            pthread_cond_wait(&s->cond, &s->mu);
        } else if (pthread_cond_timedwait(&s->cond, &s->mu, &dl) == ETIMEDOUT) {
            break;
        }
    }
    int ok = s->n_reqs >= n;
    pthread_mutex_unlock(&s->mu);
    return ok ? 0 : -1;
}

char *fake_http_printf(const fake_http_request *req, const char *fmt, ...)
{
    req_rec *rec = (req_rec *)(void *)req; /* pub is the first member */
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *p = xmalloc((size_t)n + 1);
    if (n > 0)
        vsnprintf(p, (size_t)n + 1, fmt, ap2);
    else
        p[0] = '\0';
    va_end(ap2);

    fake_http_server *s = rec->srv;
    pthread_mutex_lock(&s->mu);
    rec->owned = xrealloc(rec->owned, (rec->n_owned + 1) * sizeof *rec->owned);
    rec->owned[rec->n_owned++] = p;
    pthread_mutex_unlock(&s->mu);
    return p;
}

void fake_http_stop(fake_http_server *s)
{
    if (!s)
        return;
    ssize_t w;
    do {
        w = write(s->wake[1], "x", 1);
    } while (w < 0 && errno == EINTR);
    pthread_join(s->accept_thread, NULL);

    /* no new connections can appear now; every connection thread sees the
     * readable wake pipe and returns */
    conn *c = s->conns;
    s->conns = NULL;
    while (c) {
        conn *n = c->next;
        pthread_join(c->thread, NULL);
        free(c);
        c = n;
    }

    close(s->listen_fd);
    close(s->wake[0]);
    close(s->wake[1]);

    for (size_t i = 0; i < s->n_reqs; i++)
        req_free(s->reqs[i]);
    free(s->reqs);
    for (reply_node *n = s->q_head; n;) {
        reply_node *next = n->next;
        reply_free(&n->r);
        free(n);
        n = next;
    }
    reply_free(&s->deflt);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
