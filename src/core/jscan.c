#include "core/jscan.h"

#include "core/utf8.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* jansson reads one character past a number or a literal and puts it back; a NUL byte
 * put back is lost (its reader refills its buffer when it sees a NUL there), so one NUL
 * right after a number or a literal is skipped: "[1\0]" and "[true\0]" are accepted,
 * "[1\0\0]" and "[\"a\"\0]" are not. The accessors keep that NUL inside the value's
 * span, where the readers of numbers and literals stop anyway. */
static const char *skip_lost_nul(const char *p, const char *end)
{
    return p < end && *p == '\0' ? p + 1 : p;
}

/* jansson's JSON_PARSER_MAX_DEPTH: every value counts, the top-level one is depth 1 */
#define JSCAN_MAX_DEPTH 2048

typedef struct scanner {
    const char *s, *end;
    const char *pos;
    const char *fail_at;
    const char *fail_why;
} scanner;

static bool fail(scanner *sc, const char *at, const char *why)
{
    sc->fail_at = at;
    sc->fail_why = why;
    return false;
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Four hex digits at p (p + 4 <= end checked by the caller) or -1. */
static long hex4(const char *p)
{
    long v = 0;
    int i;
    for (i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Reads the \u escape at p ("\uXXXX", possibly a surrogate pair) into *cp; returns the
 * bytes used or 0 when jansson would refuse it. */
static size_t read_u_escape(const char *p, const char *end, unsigned *cp)
{
    long hi, lo;
    if (end - p < 6 || (hi = hex4(p + 2)) < 0)
        return 0;
    if (hi >= 0xDC00 && hi <= 0xDFFF)
        return 0; /* a lone low surrogate */
    if (hi < 0xD800 || hi > 0xDBFF) {
        if (hi == 0)
            return 0; /* \u0000: refused without JSON_ALLOW_NUL */
        *cp = (unsigned)hi;
        return 6;
    }
    if (end - p < 12 || p[6] != '\\' || p[7] != 'u' || (lo = hex4(p + 8)) < 0 || lo < 0xDC00 ||
        lo > 0xDFFF)
        return 0;
    *cp = 0x10000u + (((unsigned)hi - 0xD800u) << 10) + ((unsigned)lo - 0xDC00u);
    return 12;
}

static bool scan_string(scanner *sc)
{
    const char *p = sc->pos + 1; /* past the opening quote */
    while (p < sc->end) {
        unsigned char c = (unsigned char)*p;
        unsigned cp;
        size_t n;
        if (c == '"') {
            sc->pos = p + 1;
            return true;
        }
        if (c < 0x20)
            return fail(sc, p, "control character in a string");
        if (c == '\\') {
            if (p + 1 >= sc->end)
                break;
            if (p[1] == 'u') {
                n = read_u_escape(p, sc->end, &cp);
                if (!n)
                    return fail(sc, p, "invalid \\u escape");
                p += n;
            } else if (p[1] && strchr("\"\\/bfnrt", p[1])) {
                p += 2;
            } else {
                return fail(sc, p, "invalid escape");
            }
            continue;
        }
        if (c < 0x80) {
            p++;
            continue;
        }
        n = llmt_utf8_decode((const unsigned char *)p, (size_t)(sc->end - p), &cp);
        if (!n)
            return fail(sc, p, "invalid UTF-8");
        p += n;
    }
    return fail(sc, sc->end, "unterminated string");
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool scan_number(scanner *sc)
{
    const char *p = sc->pos, *start = p;
    bool real = false;
    char buf[64], *copy = buf, *endp;
    size_t len;
    if (p < sc->end && *p == '-')
        p++;
    if (p >= sc->end || !is_digit(*p))
        return fail(sc, start, "invalid token");
    if (*p == '0') {
        p++;
        if (p < sc->end && is_digit(*p))
            return fail(sc, start, "invalid token (leading zero)");
    } else {
        while (p < sc->end && is_digit(*p))
            p++;
    }
    if (p < sc->end && *p == '.') {
        real = true;
        p++;
        if (p >= sc->end || !is_digit(*p))
            return fail(sc, start, "invalid number");
        while (p < sc->end && is_digit(*p))
            p++;
    }
    if (p < sc->end && (*p == 'e' || *p == 'E')) {
        real = true;
        p++;
        if (p < sc->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= sc->end || !is_digit(*p))
            return fail(sc, start, "invalid number");
        while (p < sc->end && is_digit(*p))
            p++;
    }
    len = (size_t)(p - start);
    /* range checks as jansson's: integers must fit json_int_t, reals must be finite */
    if (len >= sizeof buf) {
        copy = malloc(len + 1);
        if (!copy)
            return fail(sc, start, "out of memory");
    }
    memcpy(copy, start, len);
    copy[len] = '\0';
    errno = 0;
    if (real) {
        double d = strtod(copy, &endp);
        if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL)) {
            if (copy != buf)
                free(copy);
            return fail(sc, start, "real number overflow");
        }
    } else {
        (void)strtoll(copy, &endp, 10);
        if (errno == ERANGE) {
            if (copy != buf)
                free(copy);
            return fail(sc, start, "too big integer");
        }
    }
    if (copy != buf)
        free(copy);
    sc->pos = skip_lost_nul(p, sc->end);
    return true;
}

static bool scan_literal(scanner *sc, const char *word)
{
    size_t n = strlen(word);
    const char *p = sc->pos;
    if ((size_t)(sc->end - p) < n || memcmp(p, word, n) != 0)
        return fail(sc, p, "invalid token");
    p += n;
    /* jansson reads a whole run of letters as one token: "truex" is not "true" */
    if (p < sc->end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
        return fail(sc, sc->pos, "invalid token");
    sc->pos = skip_lost_nul(p, sc->end);
    return true;
}

static bool scan_value(scanner *sc, int depth);

static bool scan_container(scanner *sc, int depth, char close)
{
    bool object = close == '}';
    sc->pos = skip_ws(sc->pos + 1, sc->end);
    if (sc->pos < sc->end && *sc->pos == close) {
        sc->pos++;
        return true;
    }
    for (;;) {
        if (object) {
            if (sc->pos >= sc->end || *sc->pos != '"')
                return fail(sc, sc->pos, "string or '}' expected");
            if (!scan_string(sc))
                return false;
            sc->pos = skip_ws(sc->pos, sc->end);
            if (sc->pos >= sc->end || *sc->pos != ':')
                return fail(sc, sc->pos, "':' expected");
            sc->pos = skip_ws(sc->pos + 1, sc->end);
        }
        if (!scan_value(sc, depth + 1))
            return false;
        sc->pos = skip_ws(sc->pos, sc->end);
        if (sc->pos < sc->end && *sc->pos == ',') {
            sc->pos = skip_ws(sc->pos + 1, sc->end);
            continue;
        }
        if (sc->pos < sc->end && *sc->pos == close) {
            sc->pos++;
            return true;
        }
        return fail(sc, sc->pos, object ? "'}' expected" : "']' expected");
    }
}

static bool scan_value(scanner *sc, int depth)
{
    if (depth > JSCAN_MAX_DEPTH)
        return fail(sc, sc->pos, "maximum parsing depth reached");
    if (sc->pos >= sc->end)
        return fail(sc, sc->pos, "unexpected end of input");
    switch (*sc->pos) {
    case '{': return scan_container(sc, depth, '}');
    case '[': return scan_container(sc, depth, ']');
    case '"': return scan_string(sc);
    case 't': return scan_literal(sc, "true");
    case 'f': return scan_literal(sc, "false");
    case 'n': return scan_literal(sc, "null");
    default: return scan_number(sc);
    }
}

bool llmt_jscan_parse(const char *s, size_t n, llmt_jval *root, char *why, size_t why_len)
{
    scanner sc;
    const char *start;
    root->p = NULL;
    root->n = 0;
    if (!s)
        s = "", n = 0;
    memset(&sc, 0, sizeof sc);
    sc.s = s;
    sc.end = s + n;
    sc.pos = skip_ws(s, sc.end);
    start = sc.pos;
    if (sc.pos >= sc.end || (*sc.pos != '{' && *sc.pos != '[')) {
        fail(&sc, sc.pos, "'[' or '{' expected");
    } else if (scan_value(&sc, 1)) {
        const char *after = skip_ws(sc.pos, sc.end);
        if (after == sc.end) {
            root->p = start;
            root->n = (size_t)(sc.pos - start);
            return true;
        }
        fail(&sc, after, "end of file expected");
    }
    if (why && why_len)
        snprintf(why, why_len, "%s at byte %zu", sc.fail_why, (size_t)(sc.fail_at - s));
    return false;
}

/* ---------------------------------------------------------------- accessors */

/* Past the string starting at p (validated text). */
static const char *skip_string(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\')
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return end;
}

/* Past the value starting at p (validated text). */
static const char *skip_value(const char *p, const char *end)
{
    int depth = 0;
    if (p >= end)
        return end;
    if (*p == '"')
        return skip_string(p, end);
    if (*p != '{' && *p != '[') {
        while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' &&
               *p != '\n' && *p != '\r')
            p++;
        return p;
    }
    for (; p < end; p++) {
        if (*p == '"') {
            p = skip_string(p, end) - 1;
        } else if (*p == '{' || *p == '[') {
            depth++;
        } else if (*p == '}' || *p == ']') {
            if (--depth == 0)
                return p + 1;
        }
    }
    return end;
}

llmt_jtype llmt_jval_type(llmt_jval v)
{
    const char *p;
    if (!v.p || !v.n)
        return LLMT_J_NONE;
    switch (v.p[0]) {
    case '{': return LLMT_J_OBJECT;
    case '[': return LLMT_J_ARRAY;
    case '"': return LLMT_J_STRING;
    case 't': return LLMT_J_TRUE;
    case 'f': return LLMT_J_FALSE;
    case 'n': return LLMT_J_NULL;
    default: break;
    }
    for (p = v.p; p < v.p + v.n; p++)
        if (*p == '.' || *p == 'e' || *p == 'E')
            return LLMT_J_REAL;
    return LLMT_J_INTEGER;
}

static llmt_jval span(const char *a, const char *b)
{
    llmt_jval v;
    v.p = a;
    v.n = (size_t)(b - a);
    return v;
}

/* Compares the string at [p, q) (with its quotes, escapes undone) with key. */
static bool string_equals(const char *p, const char *q, const char *key)
{
    const unsigned char *k = (const unsigned char *)key;
    p++;     /* opening quote */
    q--;     /* closing quote */
    while (p < q) {
        unsigned cp;
        char enc[4];
        size_t n, i;
        if (*p != '\\') {
            if (*k != (unsigned char)*p)
                return false;
            k++, p++;
            continue;
        }
        switch (p[1]) {
        case 'b': cp = '\b'; n = 2; break;
        case 'f': cp = '\f'; n = 2; break;
        case 'n': cp = '\n'; n = 2; break;
        case 'r': cp = '\r'; n = 2; break;
        case 't': cp = '\t'; n = 2; break;
        case 'u': n = read_u_escape(p, q, &cp); break;
        default: cp = (unsigned char)p[1]; n = 2; break;
        }
        if (!n)
            return false;
        p += n;
        i = llmt_utf8_encode(enc, cp); /* compare the code point's UTF-8 bytes */
        if (strncmp((const char *)k, enc, i) != 0)
            return false;
        k += i;
    }
    return *k == '\0';
}

llmt_jval llmt_jval_get(llmt_jval v, const char *key)
{
    llmt_jval found;
    llmt_jval_get_many(v, &key, &found, 1);
    return found;
}

void llmt_jval_get_many(llmt_jval v, const char *const *keys, llmt_jval *out, size_t n)
{
    const char *p, *end;
    size_t k;
    for (k = 0; k < n; k++)
        out[k].p = NULL, out[k].n = 0;
    if (llmt_jval_type(v) != LLMT_J_OBJECT)
        return;
    end = v.p + v.n;
    p = skip_ws(v.p + 1, end);
    while (p < end && *p == '"') {
        const char *kend = skip_string(p, end), *val, *vend;
        val = skip_ws(skip_ws(kend, end) + 1, end); /* past ':' */
        vend = skip_value(val, end);
        for (k = 0; k < n; k++)
            if (string_equals(p, kend, keys[k]))
                out[k] = span(val, vend); /* the last duplicate wins */
        p = skip_ws(vend, end);
        if (p < end && *p == ',')
            p = skip_ws(p + 1, end);
    }
}

llmt_jval llmt_jval_at(llmt_jval v, size_t i)
{
    const char *p, *end;
    llmt_jval none = {NULL, 0};
    size_t k = 0;
    if (llmt_jval_type(v) != LLMT_J_ARRAY)
        return none;
    end = v.p + v.n;
    p = skip_ws(v.p + 1, end);
    while (p < end && *p != ']') {
        const char *vend = skip_value(p, end);
        if (k++ == i)
            return span(p, vend);
        p = skip_ws(vend, end);
        if (p < end && *p == ',')
            p = skip_ws(p + 1, end);
    }
    return none;
}

size_t llmt_jval_size(llmt_jval v)
{
    const char *p, *end;
    size_t k = 0;
    if (llmt_jval_type(v) != LLMT_J_ARRAY)
        return 0;
    end = v.p + v.n;
    p = skip_ws(v.p + 1, end);
    while (p < end && *p != ']') {
        k++;
        p = skip_ws(skip_value(p, end), end);
        if (p < end && *p == ',')
            p = skip_ws(p + 1, end);
    }
    return k;
}

char *llmt_jval_strdup(llmt_jval v, size_t *len)
{
    const char *p, *q;
    char *out, *o;
    if (llmt_jval_type(v) != LLMT_J_STRING)
        return NULL;
    p = v.p + 1;
    q = v.p + v.n - 1;
    /* decoded text is never longer than the escaped text */
    out = malloc((size_t)(q - p) + 1);
    if (!out)
        return NULL;
    o = out;
    while (p < q) {
        const char *bs = memchr(p, '\\', (size_t)(q - p));
        size_t run = bs ? (size_t)(bs - p) : (size_t)(q - p);
        unsigned cp = 0;
        size_t n;
        memcpy(o, p, run);
        o += run;
        p += run;
        if (p >= q)
            break;
        switch (p[1]) {
        case 'b': *o++ = '\b'; p += 2; continue;
        case 'f': *o++ = '\f'; p += 2; continue;
        case 'n': *o++ = '\n'; p += 2; continue;
        case 'r': *o++ = '\r'; p += 2; continue;
        case 't': *o++ = '\t'; p += 2; continue;
        case 'u':
            n = read_u_escape(p, q, &cp);
            if (!n) { /* cannot happen in validated text */
                free(out);
                return NULL;
            }
            o += llmt_utf8_encode(o, cp);
            p += n;
            continue;
        default: *o++ = p[1]; p += 2; continue;
        }
    }
    *o = '\0';
    if (len)
        *len = (size_t)(o - out);
    return out;
}

bool llmt_jval_streq(llmt_jval v, const char *s)
{
    return llmt_jval_type(v) == LLMT_J_STRING && string_equals(v.p, v.p + v.n, s);
}

long long llmt_jval_integer_or(llmt_jval v, long long dflt)
{
    char buf[64];
    llmt_jtype t = llmt_jval_type(v);
    if (t == LLMT_J_INTEGER) {
        if (v.n >= sizeof buf)
            return dflt;
        memcpy(buf, v.p, v.n);
        buf[v.n] = '\0';
        return strtoll(buf, NULL, 10);
    }
    if (t == LLMT_J_REAL) {
        char *copy = v.n < sizeof buf ? buf : malloc(v.n + 1);
        double d;
        if (!copy)
            return dflt;
        memcpy(copy, v.p, v.n);
        copy[v.n] = '\0';
        d = strtod(copy, NULL);
        if (copy != buf)
            free(copy);
        if (!(d > -9.2e18 && d < 9.2e18))
            return dflt;
        return (long long)d;
    }
    return dflt;
}
