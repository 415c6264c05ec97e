/*
 * fake_http — a scriptable HTTP/1.1 server on 127.0.0.1 for tests.
 *
 * The server binds 127.0.0.1 on an ephemeral port, accepts any number of
 * concurrent keep-alive connections (one thread per connection) and answers
 * each request either from a FIFO script of replies, from a default reply, or
 * from a handler callback.  Every request is recorded (method, path, headers,
 * body, arrival time) and can be inspected until fake_http_stop().
 *
 * All state lives in the fake_http_server handle; there is no global mutable
 * state, so several servers can run in one process.  Out-of-memory aborts.
 *
 * See tests/support/README.md for details.
 */
#ifndef FAKE_HTTP_H
#define FAKE_HTTP_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fake_http_server fake_http_server;

typedef struct fake_http_reply {
    int status;              /* HTTP status, e.g. 200, 429; 0 means 200 */
    const char *headers;     /* extra raw header lines "Name: value\r\n..." or NULL */
    const char *body;        /* response body or NULL */
    long body_len;           /* -1 = strlen(body) */
    int delay_ms;            /* sleep before replying (to simulate slow replies / timeouts) */
    int truncate;            /* if nonzero: announce full Content-Length but send only half the body, then close */
    int close_without_reply; /* if nonzero: close the connection without any response (network error) */
    /* --- extensions (zero = off) --- */
    int stream;              /* if nonzero: send the body with Transfer-Encoding: chunked, one HTTP chunk
                                per piece: per SSE event (text up to and including each blank line) if
                                the body contains a blank line, else per line */
    int stream_delay_ms;     /* pause between streamed pieces; > 0 implies stream */
    int no_length;           /* if nonzero: no Content-Length; the body ends when the connection
                                closes (with truncate: after half of it) */
    int close_if_reused;     /* if nonzero: when the request came on a kept-alive connection (not its
                                first request), close it right after reading the request, without
                                replying (a keep-alive connection reset under the client); the first
                                request of a connection gets the reply as usual */
} fake_http_reply;

typedef struct fake_http_request { /* what the client sent; owned by the server, valid until fake_http_stop */
    char *method, *path;           /* path includes query string */
    char **header_names, **header_values;
    size_t n_headers;
    char *body;                    /* de-chunked; always NUL-terminated (body[body_len] == 0), never NULL */
    size_t body_len;
    double received_at;            /* seconds, CLOCK_MONOTONIC, when the request was fully read */
    /* --- extensions --- */
    unsigned long connection_id;   /* 0-based number of the TCP connection (accept order) it came on */
} fake_http_request;

/* Called for every request when set.  *out is pre-initialised to
 * {status 200, body NULL, body_len -1, everything else 0}.  The strings put
 * into *out are copied right after the handler returns, so they only need to
 * live that long (static strings, userdata, fields of req, or
 * fake_http_printf() results are all fine).  May be called from several
 * threads at once. */
typedef void (*fake_http_handler)(const fake_http_request *req, fake_http_reply *out, void *userdata);

/* Binds 127.0.0.1:0 and starts the accept thread.  0 on success (and *out set),
 * -1 on failure (*out set to NULL). */
int fake_http_start(fake_http_server **out);
int fake_http_port(const fake_http_server *s);
const char *fake_http_url(const fake_http_server *s); /* "http://127.0.0.1:PORT", no trailing slash */

/* Appends a reply to the FIFO script; copies the strings. */
void fake_http_push_reply(fake_http_server *s, const fake_http_reply *r);
/* Used when the script is empty; copies the strings.
 * Initial default: 500 with body {"error":"no scripted reply"}. */
void fake_http_set_default_reply(fake_http_server *s, const fake_http_reply *r);
/* When fn is non-NULL it answers every request instead of the script;
 * fn == NULL goes back to script mode. */
void fake_http_set_handler(fake_http_server *s, fake_http_handler fn, void *userdata);

size_t fake_http_request_count(fake_http_server *s);
/* NULL if i >= count.  The pointer stays valid until fake_http_stop. */
const fake_http_request *fake_http_request_at(fake_http_server *s, size_t i);
/* Case-insensitive; first occurrence; NULL if absent. */
const char *fake_http_request_header(const fake_http_request *r, const char *name);
/* Waits until at least n requests have been fully received.  timeout_ms < 0
 * waits forever.  0 ok, -1 on timeout. */
int fake_http_wait_requests(fake_http_server *s, size_t n, int timeout_ms);

/* printf into memory owned by the request record (freed by fake_http_stop);
 * meant for building reply strings inside a handler. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
char *fake_http_printf(const fake_http_request *req, const char *fmt, ...);

/* Wakes every thread (pending delays are cut short), joins them, closes all
 * sockets and frees everything.  NULL is ok. */
void fake_http_stop(fake_http_server *s);

#ifdef __cplusplus
}
#endif

#endif /* FAKE_HTTP_H */
