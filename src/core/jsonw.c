#include "core/jsonw.h"

#include "core/utf8.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define JSONW_MAX_DEPTH 2048 /* jansson's own limit is its loop check; this bounds recursion */

/* Decimal digits of v into buf (>= 21 bytes); returns the length. printf-free: integers
 * are most of the numbers in a result line. */
static size_t fmt_ll(long long v, char *buf)
{
    char tmp[24];
    size_t n = 0, o = 0;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        buf[o++] = '-';
    while (n)
        buf[o++] = tmp[--n];
    return o;
}

static void put_u16(llmt_buf *b, unsigned u)
{
    static const char hex[] = "0123456789ABCDEF"; /* jansson prints \u%04X */
    char seq[6] = {'\\', 'u', hex[(u >> 12) & 15], hex[(u >> 8) & 15], hex[(u >> 4) & 15],
                   hex[u & 15]};
    llmt_json_put_raw(b, seq, sizeof seq);
}

/* Bytes printed as they are: printable ASCII but '"' and '\\'. */
static bool plain_byte(unsigned c)
{
    return c >= 0x20 && c != '"' && c != '\\' && c < 0x80;
}

/* The length of the leading run of plain bytes of s, eight bytes at a time: most strings
 * (names, keys, answers, prompts in request bodies) are plain throughout, and this scan
 * was the printer's largest cost. */
static size_t plain_run(const unsigned char *s, size_t len)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t x, q, bs;
        memcpy(&x, s + i, 8);
        q = x ^ (ones * '"');
        bs = x ^ (ones * '\\');
        /* each term is non-zero exactly when some byte is < 0x20 (x - 0x20 borrows into a
         * clear high bit), is '"' or '\\' (that byte of q or bs is zero), or is >= 0x80 */
        if ((((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((bs - ones) & ~bs) | x) & highs)
            break;
    }
    while (i < len && plain_byte(s[i]))
        i++;
    return i;
}

static bool dump_string(const char *str, size_t len, llmt_buf *b, bool ascii)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, run = 0;
    llmt_json_put_raw(b, "\"", 1);
    while (i < len) {
        unsigned c, cp;
        size_t n;
        const char *esc;
        i += plain_run(s + i, len - i);
        if (i == len)
            break;
        c = s[i];
        if (c >= 0x80) {
            n = llmt_utf8_decode(s + i, len - i, &cp); /* 0: jansson refuses the string */
            if (!n)
                return false;
            if (!ascii) {
                i += n;
                continue;
            }
        } else {
            n = 1;
            cp = c;
        }
        llmt_json_put_raw(b, str + run, i - run);
        switch (cp) {
        case '\\': esc = "\\\\"; break;
        case '"': esc = "\\\""; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default: esc = NULL;
        }
        if (esc) {
            llmt_json_put_raw(b, esc, 2);
        } else if (cp < 0x10000) {
            put_u16(b, cp);
        } else {
            cp -= 0x10000;
            put_u16(b, 0xD800 | ((cp >> 10) & 0x3FF));
            put_u16(b, 0xDC00 | (cp & 0x3FF));
        }
        i += n;
        run = i;
    }
    llmt_json_put_raw(b, str + run, i - run);
    llmt_json_put_raw(b, "\"", 1);
    return true;
}

#ifdef __SIZEOF_INT128__
__extension__ typedef unsigned __int128 u128;

/* snprintf(buf, .., "%.17g", d) for the doubles a result line holds (latencies, costs:
 * about 1e-11 <= |d| < 1e35), else -1: glibc's printf of a double was the largest
 * single cost of printing a result. The 17 significant digits are exact: |d| * 10^k
 * is held as a fraction of two 128-bit integers, and rounded half to even (as glibc
 * rounds in the default rounding mode). */
static int fmt_g17(double d, char *buf)
{
    static const uint64_t P10[20] = {1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u,
                                     10000000u, 100000000u, 1000000000u, 10000000000u,
                                     100000000000u, 1000000000000u, 10000000000000u,
                                     100000000000000u, 1000000000000000u,
                                     10000000000000000u, 100000000000000000u,
                                     1000000000000000000u, 10000000000000000000u};
    static const uint64_t P5[28] = {
        1u, 5u, 25u, 125u, 625u, 3125u, 15625u, 78125u, 390625u, 1953125u, 9765625u,
        48828125u, 244140625u, 1220703125u, 6103515625u, 30517578125u, 152587890625u,
        762939453125u, 3814697265625u, 19073486328125u, 95367431640625u, 476837158203125u,
        2384185791015625u, 11920928955078125u, 59604644775390625u, 298023223876953125u,
        1490116119384765625u, 7450580596923828125u};
    uint64_t bits, m, n = 0;
    int e, x, k, tries, len = 0, i;
    char dig[17];
    memcpy(&bits, &d, sizeof bits);
    e = (int)((bits >> 52) & 0x7FF);
    if (e == 0 || e == 0x7FF)
        return -1; /* zero, subnormal, infinite, NaN */
    m = (bits & 0xFFFFFFFFFFFFFu) | (1ull << 52);
    e -= 1075; /* |d| = m * 2^e, m < 2^53 */
    if (e < -120 || e > 66)
        return -1;
    /* x = floor(log10 |d|), first guessed from the binary exponent, then corrected */
    x = (int)floor((e + 52) * 0.30102999566398120);
    for (tries = 0;; tries++) {
        u128 num = m, den = 1, q, r;
        k = 16 - x; /* n = |d| * 10^k rounded: 17 digits */
        if (tries == 3 || k > 27 || k < -19)
            return -1;
        if (k >= 0) {
            /* m * 2^e * 10^k = m * 5^k * 2^(e + k); m * 5^27 < 2^116 */
            int sh = e + k;
            num *= P5[k];
            if (sh >= 0)
                num <<= sh; /* e >= 0 only for |d| >= 2^52: k <= 1, sh <= 67 */
            else
                den <<= -sh; /* -sh <= 120 */
        } else {
            if (e < 0)
                return -1; /* |d| >= 1e17 has e >= 4: not reached */
            num <<= e;     /* < 2^119 */
            den = P10[-k];
        }
        q = num / den;
        r = num % den;
        if (q >= (u128)P10[17]) {
            x++;
            continue;
        }
        if (q < (u128)P10[16]) {
            x--;
            continue;
        }
        n = (uint64_t)q;
        if (2 * r > den || (2 * r == den && (n & 1)))
            n++;
        if (n == P10[17]) { /* rounded up to the next power of ten */
            n = P10[16];
            x++;
        }
        break;
    }
    for (i = 16; i >= 0; i--, n /= 10)
        dig[i] = (char)('0' + n % 10);
    if (d < 0)
        buf[len++] = '-';
    /* %g: fixed notation for -4 <= x < 17, else d.ddde±XX; trailing zeros dropped */
    k = 17;
    while (k > 1 && dig[k - 1] == '0')
        k--;
    if (x >= -4 && x < 17) {
        if (x < 0) {
            buf[len++] = '0';
            buf[len++] = '.';
            for (i = -1; i > x; i--)
                buf[len++] = '0';
            for (i = 0; i < k; i++)
                buf[len++] = dig[i];
        } else {
            for (i = 0; i <= x; i++)
                buf[len++] = dig[i];
            if (k > x + 1) {
                buf[len++] = '.';
                for (; i < k; i++)
                    buf[len++] = dig[i];
            }
        }
    } else {
        buf[len++] = dig[0];
        if (k > 1) {
            buf[len++] = '.';
            for (i = 1; i < k; i++)
                buf[len++] = dig[i];
        }
        buf[len++] = 'e';
        buf[len++] = x < 0 ? '-' : '+';
        if (x < 0)
            x = -x;
        if (x >= 100)
            buf[len++] = (char)('0' + x / 100);
        buf[len++] = (char)('0' + x / 10 % 10);
        buf[len++] = (char)('0' + x % 10);
    }
    buf[len] = '\0';
    return len;
}
#else
static int fmt_g17(double d, char *buf)
{
    (void)d;
    (void)buf;
    return -1; /* no 128-bit integers: snprintf does it */
}
#endif

/* jansson's jsonp_dtostr with the default precision: "%.17g", ".0" added to integral
 * values, and the exponent stripped of '+' and leading zeros ("1e+05" -> "1e5"). */
static bool dump_real(double d, llmt_buf *b)
{
    char buf[64], out[64];
    int n;
    size_t i, o = 0;
    /* integral values below 1e15 print as their digits under %.17g (scores, weights
     * and percentages mostly are): formatted directly, since snprintf of a double is
     * the slowest part of printing a result. -0.0 keeps the snprintf path ("-0"). */
    if (d > -1e15 && d < 1e15 && d == (double)(long long)d && !(d == 0 && signbit(d))) {
        o = fmt_ll((long long)d, buf);
        buf[o++] = '.';
        buf[o++] = '0';
        llmt_json_put_raw(b, buf, o);
        return true;
    }
    n = fmt_g17(d, buf);
    if (n < 0)
        n = snprintf(buf, sizeof buf, "%.17g", d);
    if (n < 0 || (size_t)n >= sizeof buf - 3)
        return false;
    for (i = 0; buf[i]; i++)
        if (buf[i] == ',')
            buf[i] = '.'; /* locale decimal comma, as jansson's to_locale undoes it */
    if (!strpbrk(buf, ".e")) {
        buf[n] = '.';
        buf[n + 1] = '0';
        buf[n + 2] = '\0';
    }
    for (i = 0; buf[i]; i++) {
        out[o++] = buf[i];
        if (buf[i] == 'e') {
            i++;
            if (buf[i] == '-')
                out[o++] = buf[i++];
            else if (buf[i] == '+')
                i++;
            while (buf[i] == '0' && buf[i + 1])
                i++;
            for (; buf[i]; i++)
                out[o++] = buf[i];
            break;
        }
    }
    llmt_json_put_raw(b, out, o);
    return true;
}

static bool dump(const json_t *v, llmt_buf *b, bool ascii, int depth)
{
    char num[32];
    if (depth > JSONW_MAX_DEPTH)
        return false;
    switch (json_typeof(v)) {
    case JSON_NULL: llmt_json_put_raw(b, "null", 4); return true;
    case JSON_TRUE: llmt_json_put_raw(b, "true", 4); return true;
    case JSON_FALSE: llmt_json_put_raw(b, "false", 5); return true;
    case JSON_INTEGER:
        llmt_json_put_raw(b, num, fmt_ll((long long)json_integer_value(v), num));
        return true;
    case JSON_REAL: return dump_real(json_real_value(v), b);
    case JSON_STRING: return dump_string(json_string_value(v), json_string_length(v), b, ascii);
    case JSON_ARRAY: {
        size_t i, len = json_array_size(v);
        llmt_json_put_raw(b, "[", 1);
        for (i = 0; i < len; i++) {
            if (i)
                llmt_json_put_raw(b, ",", 1);
            if (!dump(json_array_get(v, i), b, ascii, depth + 1))
                return false;
        }
        llmt_json_put_raw(b, "]", 1);
        return true;
    }
    case JSON_OBJECT: {
        const char *key;
        size_t klen;
        json_t *val;
        bool first = true;
        /* the iterator walks keys in insertion order, as json_dumps without SORT_KEYS */
        void *it = json_object_iter((json_t *)v);
        llmt_json_put_raw(b, "{", 1);
        for (; it; it = json_object_iter_next((json_t *)v, it)) {
            key = json_object_iter_key(it);
            klen = json_object_iter_key_len(it);
            val = json_object_iter_value(it);
            if (!first)
                llmt_json_put_raw(b, ",", 1);
            first = false;
            if (!dump_string(key, klen, b, ascii))
                return false;
            llmt_json_put_raw(b, ":", 1);
            if (!dump(val, b, ascii, depth + 1))
                return false;
        }
        llmt_json_put_raw(b, "}", 1);
        return true;
    }
    }
    return false;
}

bool llmt_json_put_string(llmt_buf *b, const char *s, size_t len, bool ensure_ascii)
{
    return dump_string(s, len, b, ensure_ascii);
}

bool llmt_json_put_real(llmt_buf *b, double d)
{
    return isfinite(d) && dump_real(d, b);
}

void llmt_json_put_int(llmt_buf *b, long long v)
{
    char num[24];
    llmt_json_put_raw(b, num, fmt_ll(v, num));
}

bool llmt_json_dump_compact(const json_t *v, llmt_buf *b, bool ensure_ascii)
{
    return v && dump(v, b, ensure_ascii, 0);
}

char *llmt_json_dumps_compact(const json_t *v, bool ensure_ascii)
{
    llmt_buf b = {0};
    if (!llmt_json_dump_compact(v, &b, ensure_ascii) || b.oom) {
        llmt_buf_free(&b);
        return NULL;
    }
    if (!b.data)
        return llmt_strdup("");
    return llmt_buf_steal(&b);
}
