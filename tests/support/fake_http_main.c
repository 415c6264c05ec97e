/*
 * fake-http-server — the fake_http test server as a standalone program for
 * shell / end-to-end tests.
 *
 *   fake-http-server --script FILE [--log FILE] [--port-file FILE]
 *
 * Loads a JSON script (see tests/support/README.md), listens on
 * 127.0.0.1:<ephemeral>, prints "PORT\n" on stdout (and atomically writes it
 * to --port-file), answers requests from the script until SIGTERM/SIGINT and
 * then exits 0.  With --log every request is appended to FILE as one JSON
 * line {"method","path","headers","body","t"}.
 *
 * Exit codes: 0 after SIGTERM/SIGINT, 1 if the server could not start,
 * 2 on a usage, script or file error.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* POSIX.1-2008 only; no _GNU_SOURCE / _DEFAULT_SOURCE needed */
#endif
#include "fake_http.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct reply_spec {
    fake_http_reply r; /* strings point into headers/body below */
    char *headers;
    char *body;
} reply_spec;

typedef struct match_rule {
    char *method;        /* NULL = any */
    char *path_contains; /* NULL = any */
    char *body_contains; /* NULL = any */
    long times;          /* remaining uses; -1 = unlimited */
    reply_spec reply;
} match_rule;

typedef struct script {
    reply_spec *replies;
    size_t n_replies, next_reply;
    reply_spec deflt;
    match_rule *rules;
    size_t n_rules;
    char *dir; /* directory of the script file, for relative body_file */
    /* "rate_limit": the server enforces an account limit like a provider and says so in
     * its headers: a bucket of rpm requests (a minute's worth; "start" of them at first)
     * refilled at rpm/60 a second; a request that finds less than one is answered 429.
     * remaining = what is left, reset = the time until the bucket is full again. */
    double rl_rpm;     /* 0 = off */
    int rl_style;      /* 0 openai, 1 anthropic */
    double rl_level, rl_updated;

    pthread_mutex_t mu; /* guards next_reply, rules[].times and log */
    FILE *log;
    double t0;
} script;

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *dupstr(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (!d)
        abort();
    memcpy(d, s, n + 1);
    return d;
}

/* ------------------------------------------------------------------------ */
/* script loading                                                            */

static int read_file(const char *path, char **out, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        abort();
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (!buf)
                abort();
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return -1;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return 0;
}

static int check_keys(json_t *obj, const char *const *allowed, const char *what)
{
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val) {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            ok |= strcmp(key, *a) == 0;
        if (!ok) {
            fprintf(stderr, "fake-http-server: unknown key \"%s\" in %s\n", key, what);
            return -1;
        }
    }
    return 0;
}

static int get_int(json_t *obj, const char *key, long lo, long hi, long *out, const char *what)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        fprintf(stderr, "fake-http-server: %s: \"%s\" must be an integer in [%ld, %ld]\n", what, key, lo, hi);
        return -1;
    }
    *out = (long)json_integer_value(v);
    return 0;
}

static int get_flag(json_t *obj, const char *key, int *out, const char *what)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return 0;
    if (json_is_boolean(v))
        *out = json_is_true(v);
    else if (json_is_integer(v))
        *out = json_integer_value(v) != 0;
    else {
        fprintf(stderr, "fake-http-server: %s: \"%s\" must be a boolean\n", what, key);
        return -1;
    }
    return 0;
}

static int get_str(json_t *obj, const char *key, char **out, const char *what)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return 0;
    if (!json_is_string(v)) {
        fprintf(stderr, "fake-http-server: %s: \"%s\" must be a string\n", what, key);
        return -1;
    }
    *out = dupstr(json_string_value(v));
    return 0;
}

static void reply_spec_free(reply_spec *rs)
{
    free(rs->headers);
    free(rs->body);
    rs->headers = rs->body = NULL;
}

static int parse_reply(json_t *obj, reply_spec *rs, const char *dir, const char *what)
{
    static const char *const keys[] = {"status", "headers", "body", "body_file", "delay_ms",
                                       "truncate", "close", "close_if_reused", "stream",
                                       "stream_delay_ms", NULL};
    memset(rs, 0, sizeof *rs);
    rs->r.status = 200;
    if (!json_is_object(obj)) {
        fprintf(stderr, "fake-http-server: %s must be an object\n", what);
        return -1;
    }
    if (check_keys(obj, keys, what) != 0)
        return -1;

    long status = 200, delay = 0, sdelay = 0;
    if (get_int(obj, "status", 100, 999, &status, what) || get_int(obj, "delay_ms", 0, 3600000, &delay, what) ||
        get_int(obj, "stream_delay_ms", 0, 3600000, &sdelay, what) ||
        get_flag(obj, "truncate", &rs->r.truncate, what) || get_flag(obj, "close", &rs->r.close_without_reply, what) ||
        get_flag(obj, "close_if_reused", &rs->r.close_if_reused, what) ||
        get_flag(obj, "stream", &rs->r.stream, what))
        return -1;
    rs->r.status = (int)status;
    rs->r.delay_ms = (int)delay;
    rs->r.stream_delay_ms = (int)sdelay;

    json_t *h = json_object_get(obj, "headers");
    if (h && json_is_object(h)) {
        size_t cap = 1, len = 0;
        char *buf = malloc(cap);
        if (!buf)
            abort();
        buf[0] = '\0';
        const char *name;
        json_t *val;
        json_object_foreach(h, name, val) {
            char *sval = json_is_string(val) ? dupstr(json_string_value(val))
                                             : json_dumps(val, JSON_COMPACT | JSON_ENCODE_ANY);
            if (!sval)
                abort();
            size_t need = len + strlen(name) + 2 + strlen(sval) + 2 + 1;
            if (need > cap) {
                cap = need * 2;
                buf = realloc(buf, cap);
                if (!buf)
                    abort();
            }
            len += (size_t)sprintf(buf + len, "%s: %s\r\n", name, sval);
            free(sval);
        }
        rs->headers = buf;
    } else if (h && json_is_string(h)) {
        rs->headers = dupstr(json_string_value(h));
    } else if (h && !json_is_null(h)) {
        fprintf(stderr, "fake-http-server: %s: \"headers\" must be an object {name: value}\n", what);
        return -1;
    }

    json_t *b = json_object_get(obj, "body");
    json_t *bf = json_object_get(obj, "body_file");
    size_t blen = 0;
    if (b && bf) {
        fprintf(stderr, "fake-http-server: %s: use either \"body\" or \"body_file\", not both\n", what);
        reply_spec_free(rs);
        return -1;
    }
    if (b && json_is_string(b)) {
        blen = json_string_length(b);
        rs->body = malloc(blen + 1);
        if (!rs->body)
            abort();
        memcpy(rs->body, json_string_value(b), blen);
        rs->body[blen] = '\0';
    } else if (b) {
        rs->body = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!rs->body)
            abort();
        blen = strlen(rs->body);
    } else if (bf) {
        if (!json_is_string(bf)) {
            fprintf(stderr, "fake-http-server: %s: \"body_file\" must be a string\n", what);
            reply_spec_free(rs);
            return -1;
        }
        const char *p = json_string_value(bf);
        char *full;
        if (p[0] == '/' || !dir) {
            full = dupstr(p);
        } else {
            full = malloc(strlen(dir) + 1 + strlen(p) + 1);
            if (!full)
                abort();
            sprintf(full, "%s/%s", dir, p);
        }
        int rc = read_file(full, &rs->body, &blen);
        if (rc != 0)
            fprintf(stderr, "fake-http-server: %s: cannot read body_file %s\n", what, full);
        free(full);
        if (rc != 0) {
            reply_spec_free(rs);
            return -1;
        }
    }
    rs->r.headers = rs->headers;
    rs->r.body = rs->body;
    rs->r.body_len = rs->body ? (long)blen : -1;
    return 0;
}

static void script_free(script *sc)
{
    for (size_t i = 0; i < sc->n_replies; i++)
        reply_spec_free(&sc->replies[i]);
    free(sc->replies);
    for (size_t i = 0; i < sc->n_rules; i++) {
        free(sc->rules[i].method);
        free(sc->rules[i].path_contains);
        free(sc->rules[i].body_contains);
        reply_spec_free(&sc->rules[i].reply);
    }
    free(sc->rules);
    reply_spec_free(&sc->deflt);
    free(sc->dir);
}

static int script_load(script *sc, const char *path)
{
    static const char *const top_keys[] = {"replies", "default", "match", "rate_limit", NULL};
    static const char *const match_keys[] = {"method", "path_contains", "body_contains", "times", "reply", NULL};
    json_error_t jerr;
    char what[64];
    int rc = -1;

    memset(sc, 0, sizeof *sc);
    const char *slash = strrchr(path, '/');
    if (slash) {
        size_t n = (size_t)(slash - path);
        sc->dir = malloc(n + 2);
        if (!sc->dir)
            abort();
        memcpy(sc->dir, path, n);
        sc->dir[n] = '\0';
        if (n == 0)
            strcpy(sc->dir, "/");
    }

    /* built-in default, same as the library's */
    sc->deflt.body = dupstr("{\"error\":\"no scripted reply\"}");
    sc->deflt.r.status = 500;
    sc->deflt.r.body = sc->deflt.body;
    sc->deflt.r.body_len = -1;

    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        if (jerr.line > 0)
            fprintf(stderr, "fake-http-server: %s:%d:%d: %s\n", path, jerr.line, jerr.column, jerr.text);
        else
            fprintf(stderr, "fake-http-server: %s\n", jerr.text);
        return -1;
    }
    if (!json_is_object(root)) {
        fprintf(stderr, "fake-http-server: %s: top level must be an object\n", path);
        goto out;
    }
    if (check_keys(root, top_keys, "script") != 0)
        goto out;

    json_t *replies = json_object_get(root, "replies");
    if (replies) {
        if (!json_is_array(replies)) {
            fprintf(stderr, "fake-http-server: \"replies\" must be an array\n");
            goto out;
        }
        size_t n = json_array_size(replies);
        sc->replies = calloc(n ? n : 1, sizeof *sc->replies);
        if (!sc->replies)
            abort();
        for (size_t i = 0; i < n; i++) {
            snprintf(what, sizeof what, "replies[%zu]", i);
            if (parse_reply(json_array_get(replies, i), &sc->replies[i], sc->dir, what) != 0)
                goto out;
            sc->n_replies++;
        }
    }

    json_t *rl = json_object_get(root, "rate_limit");
    if (rl) {
        static const char *const rl_keys[] = {"rpm", "style", "start", NULL};
        long rpm = 0, start = -1;
        const char *style = json_string_value(json_object_get(rl, "style"));
        if (!json_is_object(rl) || check_keys(rl, rl_keys, "rate_limit") ||
            get_int(rl, "rpm", 1, 100000000L, &rpm, "rate_limit") ||
            get_int(rl, "start", 0, 100000000L, &start, "rate_limit"))
            goto out;
        if (style && strcmp(style, "openai") != 0 && strcmp(style, "anthropic") != 0) {
            fprintf(stderr, "fake-http-server: rate_limit: \"style\" must be openai or anthropic\n");
            goto out;
        }
        sc->rl_rpm = (double)rpm;
        sc->rl_style = style && strcmp(style, "anthropic") == 0;
        sc->rl_level = start >= 0 && start < rpm ? (double)start : (double)rpm;
        sc->rl_updated = -1;
    }

    json_t *d = json_object_get(root, "default");
    if (d) {
        reply_spec_free(&sc->deflt);
        if (parse_reply(d, &sc->deflt, sc->dir, "default") != 0)
            goto out;
    }

    json_t *match = json_object_get(root, "match");
    if (match) {
        if (!json_is_array(match)) {
            fprintf(stderr, "fake-http-server: \"match\" must be an array\n");
            goto out;
        }
        size_t n = json_array_size(match);
        sc->rules = calloc(n ? n : 1, sizeof *sc->rules);
        if (!sc->rules)
            abort();
        for (size_t i = 0; i < n; i++) {
            json_t *m = json_array_get(match, i);
            match_rule *mr = &sc->rules[i];
            snprintf(what, sizeof what, "match[%zu]", i);
            if (!json_is_object(m)) {
                fprintf(stderr, "fake-http-server: %s must be an object\n", what);
                goto out;
            }
            sc->n_rules++; /* so that script_free sees partially filled rules */
            mr->times = -1;
            if (check_keys(m, match_keys, what) != 0 || get_str(m, "method", &mr->method, what) ||
                get_str(m, "path_contains", &mr->path_contains, what) ||
                get_str(m, "body_contains", &mr->body_contains, what) ||
                get_int(m, "times", -1, 1000000000L, &mr->times, what))
                goto out;
            json_t *r = json_object_get(m, "reply");
            if (!r) {
                fprintf(stderr, "fake-http-server: %s: missing \"reply\"\n", what);
                goto out;
            }
            snprintf(what, sizeof what, "match[%zu].reply", i);
            if (parse_reply(r, &mr->reply, sc->dir, what) != 0)
                goto out;
        }
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* request handling                                                          */

static int contains(const char *hay, size_t hlen, const char *needle)
{
    size_t nl = strlen(needle);
    if (nl == 0)
        return 1;
    for (size_t i = 0; i + nl <= hlen; i++) {
        if (hay[i] == needle[0] && memcmp(hay + i, needle, nl) == 0)
            return 1;
    }
    return 0;
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min, cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, min = 0x80, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, min = 0x800, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, min = 0x10000, cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* JSON string from bytes that may not be valid UTF-8 (invalid bytes -> U+FFFD). */
static json_t *json_str_lossy(const char *s, size_t n)
{
    json_t *j = json_stringn(s, n);
    if (j)
        return j;
    char *c = malloc(3 * n + 1);
    if (!c)
        abort();
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_seq_len((const unsigned char *)s + i, n - i);
        if (l) {
            memcpy(c + o, s + i, l);
            o += l;
            i += l;
        } else {
            memcpy(c + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    j = json_stringn(c, o);
    free(c);
    return j ? j : json_string("");
}

static void log_request(script *sc, const fake_http_request *req, int status)
{
    json_t *o = json_object();
    json_t *h = json_object();
    for (size_t i = 0; i < req->n_headers; i++) {
        char *lname = dupstr(req->header_names[i]);
        for (char *p = lname; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        const char *v = req->header_values[i];
        json_t *prev = json_object_get(h, lname);
        if (prev && json_is_string(prev)) { /* repeated header: join like a proxy would */
            size_t pl = json_string_length(prev), vl = strlen(v);
            char *joined = malloc(pl + 2 + vl + 1);
            if (!joined)
                abort();
            memcpy(joined, json_string_value(prev), pl);
            memcpy(joined + pl, ", ", 2);
            memcpy(joined + pl + 2, v, vl + 1);
            json_object_set_new(h, lname, json_str_lossy(joined, pl + 2 + vl));
            free(joined);
        } else {
            json_object_set_new(h, lname, json_str_lossy(v, strlen(v)));
        }
        free(lname);
    }
    json_object_set_new(o, "method", json_str_lossy(req->method, strlen(req->method)));
    json_object_set_new(o, "path", json_str_lossy(req->path, strlen(req->path)));
    json_object_set_new(o, "headers", h);
    json_object_set_new(o, "body", json_str_lossy(req->body, req->body_len));
    json_object_set_new(o, "t", json_real(req->received_at - sc->t0));
    json_object_set_new(o, "status", json_integer(status));
    json_dumpf(o, sc->log, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fputc('\n', sc->log);
    fflush(sc->log);
    json_decref(o);
}

/* The emulated account limit (script "rate_limit"): takes one request from the bucket or
 * turns the reply into a 429, and adds the provider's rate-limit headers. Under sc->mu. */
static void rate_limit(script *sc, const fake_http_request *req, fake_http_reply *out)
{
    double cap = sc->rl_rpm, rate = sc->rl_rpm / 60.0;
    double now = req->received_at, reset_s;
    int ok;
    if (sc->rl_updated >= 0)
        sc->rl_level = fmin(cap, sc->rl_level + (now - sc->rl_updated) * rate);
    sc->rl_updated = now;
    ok = sc->rl_level >= 1;
    if (ok)
        sc->rl_level -= 1;
    reset_s = (cap - sc->rl_level) / rate;
    if (!ok) {
        out->status = 429;
        out->delay_ms = 0;
        out->body = sc->rl_style ? "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
                                   "\"message\":\"rate limited\"}}"
                                 : "{\"error\":{\"message\":\"Rate limit reached\",\"type\":"
                                   "\"requests\",\"code\":\"rate_limit_exceeded\"}}";
        out->body_len = -1;
    }
    if (sc->rl_style) {
        char when[32];
        time_t t = (time_t)(time(NULL) + (time_t)ceil(reset_s));
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        out->headers = fake_http_printf(req,
            "%santhropic-ratelimit-requests-limit: %.0f\r\nanthropic-ratelimit-requests-remaining: "
            "%.0f\r\nanthropic-ratelimit-requests-reset: %s\r\n%s",
            out->headers ? out->headers : "", sc->rl_rpm, floor(sc->rl_level), when,
            ok ? "" : "retry-after: 1\r\n");
    } else {
        out->headers = fake_http_printf(req,
            "%sx-ratelimit-limit-requests: %.0f\r\nx-ratelimit-remaining-requests: %.0f\r\n"
            "x-ratelimit-reset-requests: %.3fs\r\n%s",
            out->headers ? out->headers : "", sc->rl_rpm, floor(sc->rl_level), reset_s,
            ok ? "" : "retry-after: 1\r\n");
    }
}

static void handle(const fake_http_request *req, fake_http_reply *out, void *ud)
{
    script *sc = ud;
    const reply_spec *chosen = NULL;
    pthread_mutex_lock(&sc->mu);
    for (size_t i = 0; i < sc->n_rules && !chosen; i++) {
        match_rule *m = &sc->rules[i];
        if (m->times == 0)
            continue;
        if (m->method && strcmp(m->method, req->method) != 0)
            continue;
        if (m->path_contains && !strstr(req->path, m->path_contains))
            continue;
        if (m->body_contains && !contains(req->body, req->body_len, m->body_contains))
            continue;
        if (m->times > 0)
            m->times--;
        chosen = &m->reply;
    }
    if (!chosen && sc->next_reply < sc->n_replies)
        chosen = &sc->replies[sc->next_reply++];
    if (!chosen)
        chosen = &sc->deflt;
    *out = chosen->r; /* strings live as long as the script; the server copies them anyway */
    if (sc->rl_rpm > 0)
        rate_limit(sc, req, out);
    if (sc->log)
        log_request(sc, req, out->status ? out->status : 200);
    pthread_mutex_unlock(&sc->mu);
}

/* ------------------------------------------------------------------------ */

static void usage(FILE *f)
{
    fputs("usage: fake-http-server --script FILE [--log FILE] [--port-file FILE]\n"
          "Serves scripted HTTP replies on 127.0.0.1:<ephemeral port>; prints the port on\n"
          "stdout once listening; runs until SIGTERM/SIGINT.\n",
          f);
}

static int write_port_file(const char *path, int port)
{
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp)
        abort();
    snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    int ok = f != NULL;
    if (f) {
        ok = fprintf(f, "%d\n", port) > 0;
        ok = (fclose(f) == 0) && ok;
    }
    if (ok && rename(tmp, path) != 0)
        ok = 0;
    if (!ok)
        remove(tmp);
    free(tmp);
    return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *script_path = NULL, *log_path = NULL, *port_file = NULL;
    for (int i = 1; i < argc; i++) {
        const char **dst = NULL;
        if (strcmp(argv[i], "--script") == 0)
            dst = &script_path;
        else if (strcmp(argv[i], "--log") == 0)
            dst = &log_path;
        else if (strcmp(argv[i], "--port-file") == 0)
            dst = &port_file;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "fake-http-server: unknown argument %s\n", argv[i]);
            usage(stderr);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "fake-http-server: %s needs a value\n", argv[i]);
            return 2;
        }
        *dst = argv[++i];
    }
    if (!script_path) {
        usage(stderr);
        return 2;
    }

    script sc;
    if (script_load(&sc, script_path) != 0) {
        script_free(&sc);
        return 2;
    }
    if (log_path) {
        sc.log = fopen(log_path, "a");
        if (!sc.log) {
            fprintf(stderr, "fake-http-server: cannot open log %s\n", log_path);
            script_free(&sc);
            return 2;
        }
    }
    pthread_mutex_init(&sc.mu, NULL);

    /* Block the stop signals before any thread exists, so every server
     * thread inherits the mask and only sigwait() below receives them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    fake_http_server *srv = NULL;
    int rc = 0;
    if (fake_http_start(&srv) != 0) {
        fprintf(stderr, "fake-http-server: cannot listen on 127.0.0.1\n");
        rc = 1;
        goto done;
    }
    sc.t0 = now_mono();
    fake_http_set_handler(srv, handle, &sc);

    if (port_file && write_port_file(port_file, fake_http_port(srv)) != 0) {
        fprintf(stderr, "fake-http-server: cannot write port file %s\n", port_file);
        rc = 2;
        goto done;
    }
    printf("%d\n", fake_http_port(srv));
    fflush(stdout);

    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) == 0 && (sig == SIGTERM || sig == SIGINT))
            break;
    }

done:
    fake_http_stop(srv);
    if (sc.log)
        fclose(sc.log);
    pthread_mutex_destroy(&sc.mu);
    script_free(&sc);
    return rc;
}
