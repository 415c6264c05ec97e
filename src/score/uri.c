/* RFC 3986 section 5.2 reference resolution (see uri.h). */
#include "score/uri.h"

#include <stdbool.h>
#include <string.h>

#include "core/util.h"

typedef struct uri_parts {
    const char *scheme, *auth, *path, *query, *frag;
    size_t scheme_n, auth_n, path_n, query_n, frag_n;
    bool has_scheme, has_auth, has_query, has_frag;
} uri_parts;

static void split(const char *s, uri_parts *u)
{
    const char *p = s, *q;
    memset(u, 0, sizeof(*u));
    for (q = s; *q && *q != ':' && *q != '/' && *q != '?' && *q != '#'; q++)
        ;
    if (*q == ':' && q > s) {
        u->has_scheme = true;
        u->scheme = s;
        u->scheme_n = (size_t)(q - s);
        p = q + 1;
    }
    if (p[0] == '/' && p[1] == '/') {
        u->has_auth = true;
        u->auth = p + 2;
        for (q = p + 2; *q && *q != '/' && *q != '?' && *q != '#'; q++)
            ;
        u->auth_n = (size_t)(q - u->auth);
        p = q;
    }
    u->path = p;
    for (q = p; *q && *q != '?' && *q != '#'; q++)
        ;
    u->path_n = (size_t)(q - p);
    p = q;
    if (*p == '?') {
        u->has_query = true;
        u->query = p + 1;
        for (q = p + 1; *q && *q != '#'; q++)
            ;
        u->query_n = (size_t)(q - u->query);
        p = q;
    }
    if (*p == '#') {
        u->has_frag = true;
        u->frag = p + 1;
        u->frag_n = strlen(p + 1);
    }
}

/* remove_dot_segments of RFC 3986 5.2.4 on `in` (n bytes), appended to `out`. */
static void remove_dots(llmt_buf *out, const char *in, size_t n)
{
    llmt_buf tmp = {0};
    size_t i = 0;
    while (i < n) {
        const char *p = in + i;
        size_t left = n - i;
        if (left >= 3 && memcmp(p, "../", 3) == 0) {
            i += 3;
        } else if (left >= 2 && memcmp(p, "./", 2) == 0) {
            i += 2;
        } else if ((left >= 3 && memcmp(p, "/./", 3) == 0)) {
            i += 2;
        } else if (left == 2 && memcmp(p, "/.", 2) == 0) {
            llmt_buf_append(&tmp, "/", 1);
            i += 2;
        } else if ((left >= 4 && memcmp(p, "/../", 4) == 0) || (left == 3 && memcmp(p, "/..", 3) == 0)) {
            size_t cut = tmp.len;
            while (cut > 0 && tmp.data[cut - 1] != '/')
                cut--;
            if (cut > 0)
                cut--;
            tmp.len = cut;
            if (tmp.data)
                tmp.data[cut] = '\0';
            if (left == 3) {
                llmt_buf_append(&tmp, "/", 1);
                i += 3;
            } else {
                i += 3;
            }
        } else if ((left == 1 && p[0] == '.') || (left == 2 && memcmp(p, "..", 2) == 0)) {
            i = n;
        } else {
            size_t j = (p[0] == '/') ? 1 : 0;
            while (j < left && p[j] != '/')
                j++;
            llmt_buf_append(&tmp, p, j);
            i += j;
        }
    }
    if (tmp.len)
        llmt_buf_append(out, tmp.data, tmp.len);
    llmt_buf_free(&tmp);
}

static void put_tail(llmt_buf *b, const uri_parts *r, bool query_from_r, const uri_parts *base)
{
    const uri_parts *q = query_from_r ? r : base;
    if (q->has_query) {
        llmt_buf_append(b, "?", 1);
        llmt_buf_append(b, q->query, q->query_n);
    }
    if (r->has_frag) {
        llmt_buf_append(b, "#", 1);
        llmt_buf_append(b, r->frag, r->frag_n);
    }
}

char *llmt_uri_resolve(const char *base, const char *ref)
{
    uri_parts b, r;
    llmt_buf out = {0};
    split(base ? base : "", &b);
    split(ref ? ref : "", &r);
    if (r.has_scheme || b.has_scheme) {
        const uri_parts *sch = r.has_scheme ? &r : &b;
        llmt_buf_append(&out, sch->scheme, sch->scheme_n);
        llmt_buf_append(&out, ":", 1);
    }
    if (r.has_scheme || r.has_auth) { /* the reference brings its own authority and path */
        if (r.has_auth) {
            llmt_buf_append(&out, "//", 2);
            llmt_buf_append(&out, r.auth, r.auth_n);
        }
        remove_dots(&out, r.path, r.path_n);
        put_tail(&out, &r, true, &b);
        goto done;
    }
    if (b.has_auth) {
        llmt_buf_append(&out, "//", 2);
        llmt_buf_append(&out, b.auth, b.auth_n);
    }
    if (r.path_n == 0) {
        llmt_buf_append(&out, b.path, b.path_n);
        put_tail(&out, &r, r.has_query, &b);
    } else if (r.path[0] == '/') {
        remove_dots(&out, r.path, r.path_n);
        put_tail(&out, &r, true, &b);
    } else {
        llmt_buf merged = {0};
        if (b.has_auth && b.path_n == 0) {
            llmt_buf_append(&merged, "/", 1);
        } else {
            size_t k = b.path_n;
            while (k > 0 && b.path[k - 1] != '/')
                k--;
            llmt_buf_append(&merged, b.path, k);
        }
        llmt_buf_append(&merged, r.path, r.path_n);
        remove_dots(&out, merged.data ? merged.data : "", merged.len);
        llmt_buf_free(&merged);
        put_tail(&out, &r, true, &b);
    }
done:
    if (!out.data)
        llmt_buf_puts(&out, "");
    if (out.oom) {
        llmt_buf_free(&out);
        return NULL;
    }
    return llmt_buf_steal(&out);
}

unsigned long llmt_uri_strip_fragment_len(const char *uri)
{
    const char *h = strchr(uri, '#');
    return h ? (unsigned long)(h - uri) : (unsigned long)strlen(uri);
}
