/* Format checks (see format.h). Every checker reads `len` bytes; a NUL inside makes the
 * value invalid for every format, since none of the grammars allow it. */
#include "score/format.h"

#include <stdlib.h>
#include <string.h>

#include "score/regex.h"

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

static bool digits_at(const char *s, size_t len, size_t at, size_t n)
{
    size_t i;
    if (at + n > len)
        return false;
    for (i = 0; i < n; i++)
        if (!is_digit(s[at + i]))
            return false;
    return true;
}

static int num_at(const char *s, size_t at, size_t n)
{
    int v = 0;
    size_t i;
    for (i = 0; i < n; i++)
        v = v * 10 + (s[at + i] - '0');
    return v;
}

/* full-date: YYYY-MM-DD, a real day of a real month (leap years by the Gregorian rule). */
static bool full_date(const char *s, size_t len)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d, max;
    if (len != 10 || !digits_at(s, len, 0, 4) || s[4] != '-' || !digits_at(s, len, 5, 2) ||
        s[7] != '-' || !digits_at(s, len, 8, 2))
        return false;
    y = num_at(s, 0, 4);
    m = num_at(s, 5, 2);
    d = num_at(s, 8, 2);
    if (m < 1 || m > 12 || d < 1)
        return false;
    max = mdays[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        max = 29;
    return d <= max;
}

/* full-time: HH:MM:SS[.frac](Z|+HH:MM|-HH:MM). A leap second (:60) is only valid when
 * the time is 23:59 in UTC, i.e. after applying the offset. */
static bool full_time(const char *s, size_t len)
{
    int h, m, sec, oh = 0, om = 0, sign = 0, uh, um;
    size_t p = 8;
    if (len < 9 || !digits_at(s, len, 0, 2) || s[2] != ':' || !digits_at(s, len, 3, 2) ||
        s[5] != ':' || !digits_at(s, len, 6, 2))
        return false;
    h = num_at(s, 0, 2);
    m = num_at(s, 3, 2);
    sec = num_at(s, 6, 2);
    if (h > 23 || m > 59 || sec > 60)
        return false;
    if (s[p] == '.') {
        p++;
        if (p >= len || !is_digit(s[p]))
            return false;
        while (p < len && is_digit(s[p]))
            p++;
    }
    if (p < len && (s[p] == 'Z' || s[p] == 'z')) {
        if (p + 1 != len)
            return false;
    } else if (p < len && (s[p] == '+' || s[p] == '-')) {
        sign = s[p] == '+' ? 1 : -1;
        if (p + 6 != len || !digits_at(s, len, p + 1, 2) || s[p + 3] != ':' ||
            !digits_at(s, len, p + 4, 2))
            return false;
        oh = num_at(s, p + 1, 2);
        om = num_at(s, p + 4, 2);
        if (oh > 23 || om > 59)
            return false;
    } else {
        return false;
    }
    if (sec < 60)
        return true;
    um = h * 60 + m - sign * (oh * 60 + om);
    um = ((um % 1440) + 1440) % 1440;
    uh = um / 60;
    um %= 60;
    return uh == 23 && um == 59;
}

static bool fmt_date(const char *s, size_t len)
{
    return full_date(s, len);
}

static bool fmt_time(const char *s, size_t len)
{
    return full_time(s, len);
}

static bool fmt_date_time(const char *s, size_t len)
{
    return len > 11 && (s[10] == 'T' || s[10] == 't') && full_date(s, 10) &&
           full_time(s + 11, len - 11);
}

/* RFC 3339 appendix A: P then dates (Y M D in order) and/or T then times (H M S in
 * order, at least one after T), or weeks alone. */
static bool fmt_duration(const char *s, size_t len)
{
    static const char date_units[] = "YMD", time_units[] = "HMS";
    size_t p = 1, next = 0;
    bool any = false, in_time = false;
    if (len < 2 || s[0] != 'P')
        return false;
    if (s[len - 1] == 'W') {
        return len > 2 && digits_at(s, len, 1, len - 2);
    }
    while (p < len) {
        const char *units = in_time ? time_units : date_units;
        const char *u;
        size_t start = p;
        if (s[p] == 'T') {
            if (in_time)
                return false;
            in_time = true;
            next = 0;
            p++;
            if (p >= len)
                return false;
            continue;
        }
        while (p < len && is_digit(s[p]))
            p++;
        if (p == start || p >= len)
            return false;
        u = strchr(units, s[p]);
        /* Y M D and H M S each in order with none skipped between two present ones */
        if (!u || s[p] == '\0' || (size_t)(u - units) < next ||
            (next > 0 && (size_t)(u - units) != next))
            return false;
        next = (size_t)(u - units) + 1;
        any = true;
        p++;
    }
    return any && s[len - 1] != 'T';
}

static bool fmt_uuid(const char *s, size_t len)
{
    size_t i;
    if (len != 36)
        return false;
    for (i = 0; i < len; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!is_hex(s[i])) {
            return false;
        }
    }
    return true;
}

static bool fmt_ipv4(const char *s, size_t len)
{
    size_t p = 0;
    int part;
    for (part = 0; part < 4; part++) {
        size_t start = p;
        int v = 0;
        if (part > 0) {
            if (p >= len || s[p] != '.')
                return false;
            start = ++p;
        }
        while (p < len && is_digit(s[p]) && p - start < 3)
            v = v * 10 + (s[p++] - '0');
        if (p == start || v > 255 || (p - start > 1 && s[start] == '0'))
            return false;
    }
    return p == len;
}

/* RFC 4291 text form: eight groups of 1-4 hex digits, one "::" for a run of zeros, the
 * last 32 bits optionally as dotted IPv4; no zone id. */
static bool fmt_ipv6(const char *s, size_t len)
{
    size_t p = 0;
    int groups = 0;
    bool dcolon = false;
    if (len < 2)
        return false;
    if (s[0] == ':') {
        if (s[1] != ':')
            return false;
        dcolon = true;
        p = 2;
        if (p == len)
            return true;
    }
    while (p < len) {
        size_t start = p;
        while (p < len && is_hex(s[p]) && p - start < 5)
            p++;
        if (p < len && s[p] == '.') {
            /* dotted IPv4 tail: counts as two groups */
            if (!fmt_ipv4(s + start, len - start))
                return false;
            groups += 2;
            p = len;
            break;
        }
        if (p == start || p - start > 4)
            return false;
        groups++;
        if (p == len)
            break;
        if (s[p] != ':')
            return false;
        p++;
        if (p < len && s[p] == ':') {
            if (dcolon)
                return false;
            dcolon = true;
            p++;
            if (p == len)
                break;
        } else if (p == len) {
            return false; /* a single trailing colon */
        }
    }
    return dcolon ? groups < 8 : groups == 8;
}

/* ---- IDNA A-labels ("xn--..."): RFC 3492 Punycode, RFC 5891/5892 rules ------------ */

#define PUNY_MAX 64 /* a label has at most 63 octets, so fewer code points */

static int puny_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0' + 26;
    if (c >= 'a' && c <= 'z')
        return c - 'a';
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    return 36;
}

static unsigned long puny_adapt(unsigned long delta, unsigned long points, bool first)
{
    unsigned long k = 0;
    delta = first ? delta / 700 : delta / 2;
    delta += delta / points;
    while (delta > ((36 - 1) * 26) / 2) {
        delta /= 36 - 1;
        k += 36;
    }
    return k + (36 - 1 + 1) * delta / (delta + 38);
}

/* Decodes the Punycode of `s` (after "xn--") into code points; -1 when it is not valid. */
static int puny_decode(const char *s, size_t len, unsigned long *out)
{
    unsigned long n = 128, i = 0, bias = 72;
    size_t b = 0, in, j, count = 0;
    for (j = 0; j < len; j++)
        if (s[j] == '-')
            b = j;
    for (j = 0; j < b; j++) {
        if ((unsigned char)s[j] >= 0x80 || count >= PUNY_MAX)
            return -1;
        out[count++] = (unsigned char)s[j];
    }
    for (in = b > 0 ? b + 1 : 0; in < len;) {
        unsigned long oldi = i, w = 1, k;
        for (k = 36;; k += 36) {
            int digit;
            unsigned long t;
            if (in >= len || (digit = puny_digit(s[in++])) >= 36 || (unsigned long)digit > (0x7FFFFFFFul - i) / w)
                return -1;
            i += (unsigned long)digit * w;
            t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
            if ((unsigned long)digit < t)
                break;
            w *= 36 - t;
        }
        bias = puny_adapt(i - oldi, count + 1, oldi == 0);
        n += i / (count + 1);
        i %= count + 1;
        if (count >= PUNY_MAX || n > 0x10FFFF || (n >= 0xD800 && n <= 0xDFFF))
            return -1;
        memmove(out + i + 1, out + i, (count - i) * sizeof(*out));
        out[i++] = n;
        count++;
    }
    return (int)count;
}

static void put_utf8(char *buf, size_t *at, unsigned long cp)
{
    if (cp < 0x80) {
        buf[(*at)++] = (char)cp;
    } else if (cp < 0x800) {
        buf[(*at)++] = (char)(0xC0 | (cp >> 6));
        buf[(*at)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        buf[(*at)++] = (char)(0xE0 | (cp >> 12));
        buf[(*at)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[(*at)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        buf[(*at)++] = (char)(0xF0 | (cp >> 18));
        buf[(*at)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        buf[(*at)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[(*at)++] = (char)(0x80 | (cp & 0x3F));
    }
}

/* 1 when the ECMA-262 expression matches the UTF-8 text, 0 when not, -1 on error. */
static int search(const char *re_text, const char *s, size_t len)
{
    char *err = NULL;
    llmt_regex *re = llmt_regex_compile(re_text, strlen(re_text), &err);
    int m = re ? llmt_regex_search(re, s, len) : -1;
    llmt_regex_free(re);
    free(err);
    return m;
}

/* RFC 5891 4.2.3 and RFC 5892's exceptions and contextual rules that can be told from
 * Unicode properties: each expression describes a way to be invalid. Virama (for the
 * ZERO WIDTH JOINER rule) are the canonical combining class 9 marks of the main Indic
 * and South-East Asian scripts. */
static bool u_label_ok(const char *u, size_t len)
{
    static const char *const invalid[] = {
        "^\\p{M}",                                                          /* leading mark */
        "^..--",                                                            /* hyphens at 3-4 */
        "[\\u0640\\u07FA\\u302E\\u302F\\u3031-\\u3035\\u303B]",             /* DISALLOWED exceptions */
        "(?<!l)\\u00B7|\\u00B7(?!l)",                                       /* MIDDLE DOT */
        "\\u0375(?!\\p{Script=Greek})",                                     /* KERAIA */
        "(?<!\\p{Script=Hebrew})[\\u05F3\\u05F4]",                          /* GERESH, GERSHAYIM */
        "[\\u0660-\\u0669][^]*[\\u06F0-\\u06F9]|[\\u06F0-\\u06F9][^]*[\\u0660-\\u0669]",
        "(?<![\\u094D\\u09CD\\u0A4D\\u0ACD\\u0B4D\\u0BCD\\u0C4D\\u0CCD\\u0D4D\\u0DCA\\u0E3A"
        "\\u0F84\\u1039\\u103A\\u1714\\u1734\\u17D2\\u1A60\\u1B44\\u1BAA\\u1BAB\\u1BF2\\u1BF3"
        "\\uA806\\uA8C4\\uA953\\uA9C0\\uAAF6\\uABED])\\u200D",                /* ZWJ after virama */
        NULL};
    size_t i;
    for (i = 0; invalid[i]; i++)
        if (search(invalid[i], u, len) != 0)
            return false;
    /* KATAKANA MIDDLE DOT needs a Hiragana, Katakana or Han character in the label */
    if (search("\\u30FB", u, len) != 0 &&
        search("[\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Han}]", u, len) != 1)
        return false;
    return true;
}

/* An "xn--" label (len bytes from s): valid Punycode whose U-label passes the rules. */
static bool a_label_ok(const char *s, size_t len)
{
    unsigned long cps[PUNY_MAX];
    char u[PUNY_MAX * 4];
    size_t at = 0;
    int n = puny_decode(s + 4, len - 4, cps), i;
    if (n <= 0)
        return false;
    for (i = 0; i < n; i++)
        put_utf8(u, &at, cps[i]);
    return u_label_ok(u, at);
}

/* RFC 1123 host name: dot-separated labels of letters, digits and hyphens (not at
 * either end of a label), each 1-63 characters, 253 in all. Hyphens at 3-4 mark an
 * A-label, only "xn--" is one (RFC 5891 4.2.3.1), and it must be valid Punycode whose
 * Unicode form passes the rules a_label_ok() checks. */
static bool fmt_hostname(const char *s, size_t len)
{
    size_t p = 0;
    if (len == 0 || len > 253)
        return false;
    while (p <= len) {
        size_t start = p;
        while (p < len && s[p] != '.') {
            if (!is_alpha(s[p]) && !is_digit(s[p]) && s[p] != '-')
                return false;
            p++;
        }
        if (p == start || p - start > 63 || s[start] == '-' || s[p - 1] == '-')
            return false;
        if (p - start >= 4 && s[start + 2] == '-' && s[start + 3] == '-') {
            bool xn = (s[start] == 'x' || s[start] == 'X') && (s[start + 1] == 'n' || s[start + 1] == 'N');
            if (!xn || !a_label_ok(s + start, p - start))
                return false;
        }
        p++;
    }
    return true;
}

/* RFC 5321 Mailbox: dot-atom or quoted-string local part, then a host name or an
 * address literal ([IPv4] or [IPv6:...]). */
static bool fmt_email(const char *s, size_t len)
{
    static const char atext[] = "!#$%&'*+-/=?^_`{|}~";
    size_t at, p;
    if (len == 0)
        return false;
    if (s[0] == '"') {
        for (p = 1; p < len && s[p] != '"'; p++) {
            if (s[p] == '\\')
                p++;
            else if ((unsigned char)s[p] < 0x20)
                return false;
        }
        if (p >= len || p + 1 >= len || s[p + 1] != '@')
            return false;
        at = p + 1;
    } else {
        for (p = 0; p < len && s[p] != '@'; p++) {
            char c = s[p];
            if (c == '.') {
                if (p == 0 || s[p - 1] == '.' || p + 1 >= len || s[p + 1] == '@')
                    return false;
            } else if (!is_alpha(c) && !is_digit(c) && !strchr(atext, c)) {
                return false;
            }
        }
        if (p == 0 || p >= len)
            return false;
        at = p;
    }
    p = at + 1;
    if (p >= len)
        return false;
    if (s[p] == '[') {
        if (s[len - 1] != ']')
            return false;
        if (len - p > 7 && memcmp(s + p + 1, "IPv6:", 5) == 0)
            return fmt_ipv6(s + p + 6, len - p - 7);
        return fmt_ipv4(s + p + 1, len - p - 2);
    }
    return fmt_hostname(s + p, len - p);
}

static bool uri_unreserved_or_sub(char c)
{
    return is_alpha(c) || is_digit(c) || strchr("-._~!$&'()*+,;=", c) != NULL;
}

/* Characters of `s[from..to)` all pchar-like (unreserved, sub-delims, `extra`) or
 * percent escapes. */
static bool uri_chars(const char *s, size_t from, size_t to, const char *extra)
{
    size_t i;
    for (i = from; i < to; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= to || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
                return false;
            i += 2;
        } else if (c == '\0' || (!uri_unreserved_or_sub(c) && !strchr(extra, c))) {
            return false;
        }
    }
    return true;
}

/* RFC 3986 URI: scheme ":" hier-part [ "?" query ] [ "#" fragment ], with authority
 * [userinfo@]host[:port] where host is an IP literal, IPv4 or a reg-name. */
static bool fmt_uri(const char *s, size_t len)
{
    size_t p = 0, q, end_hier, end_query;
    const char *hash, *qm;
    if (len == 0 || !is_alpha(s[0]))
        return false;
    while (p < len && (is_alpha(s[p]) || is_digit(s[p]) || s[p] == '+' || s[p] == '-' || s[p] == '.'))
        p++;
    if (p >= len || s[p] != ':')
        return false;
    p++;
    hash = memchr(s + p, '#', len - p);
    end_query = hash ? (size_t)(hash - s) : len;
    qm = memchr(s + p, '?', end_query - p);
    end_hier = qm ? (size_t)(qm - s) : end_query;
    if (hash && !uri_chars(s, end_query + 1, len, ":@/?"))
        return false;
    if (qm && !uri_chars(s, end_hier + 1, end_query, ":@/?"))
        return false;
    if (end_hier - p >= 2 && s[p] == '/' && s[p + 1] == '/') {
        const char *slash = memchr(s + p + 2, '/', end_hier - p - 2);
        size_t auth_end = slash ? (size_t)(slash - s) : end_hier, host = p + 2, port;
        const char *at = memchr(s + host, '@', auth_end - host);
        if (at) {
            if (!uri_chars(s, host, (size_t)(at - s), ":"))
                return false;
            host = (size_t)(at - s) + 1;
        }
        if (host < auth_end && s[host] == '[') {
            const char *close = memchr(s + host, ']', auth_end - host);
            if (!close || !fmt_ipv6(s + host + 1, (size_t)(close - s) - host - 1))
                return false;
            port = (size_t)(close - s) + 1;
        } else {
            for (port = host; port < auth_end && s[port] != ':'; port++)
                ;
            if (!uri_chars(s, host, port, ""))
                return false;
        }
        if (port < auth_end) {
            if (s[port] != ':')
                return false;
            for (q = port + 1; q < auth_end; q++)
                if (!is_digit(s[q]))
                    return false;
        }
        p = auth_end;
    }
    return uri_chars(s, p, end_hier, ":@/");
}

llmt_format_fn llmt_format_lookup(const char *name)
{
    static const struct {
        const char *name;
        llmt_format_fn fn;
    } table[] = {{"date", fmt_date},         {"date-time", fmt_date_time}, {"time", fmt_time},
                 {"duration", fmt_duration}, {"email", fmt_email},         {"uri", fmt_uri},
                 {"uuid", fmt_uuid},         {"ipv4", fmt_ipv4},           {"ipv6", fmt_ipv6},
                 {"hostname", fmt_hostname}};
    size_t i;
    for (i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].name, name) == 0)
            return table[i].fn;
    return NULL;
}
