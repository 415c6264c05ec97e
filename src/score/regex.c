/* ECMA-262 patterns on PCRE2 (see regex.h).
 *
 * Where the dialects differ:
 * - UTF mode without PCRE2_UCP: \d \w \b stay ASCII as in ECMA-262, while \p{...}
 *   still sees Unicode properties (they work in UTF mode regardless of UCP);
 * - \s and \S cover ECMA-262's Unicode white space and line terminators (PCRE2's \s is
 *   ASCII without UCP), so their extra code points are spelled out;
 * - \uXXXX (and surrogate pairs of them) and \u{...} become \x{...}; [^] (any
 *   character) and [] (nothing) are rewritten; \p{Script=X} style names are mapped;
 * - $ matches only at the very end (PCRE2_DOLLAR_ENDONLY).
 * Matching is bounded by a match limit and a depth limit, so a pathological pattern
 * gives up instead of hanging the run. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "score/regex.h"

#include <ctype.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

struct llmt_regex {
    pcre2_code *code;
    pcre2_match_context *mctx;
};

#define MATCH_LIMIT 1000000u
#define DEPTH_LIMIT 10000u

/* ECMA-262 WhiteSpace and LineTerminator beyond what PCRE2's ASCII \s has. */
static const char UNICODE_SPACES[] =
    "\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}\\x{feff}";

/* Reads 4 hex digits at p (within end); -1 when they aren't there. */
static long hex4(const char *p, const char *end)
{
    char digits[5];
    int i;
    if (end - p < 4)
        return -1;
    for (i = 0; i < 4; i++) {
        if (!isxdigit((unsigned char)p[i]))
            return -1;
        digits[i] = p[i];
    }
    digits[4] = '\0';
    return strtol(digits, NULL, 16);
}

/* ECMA-262's long General_Category names that PCRE2 only knows by their short form. */
static const char *short_category(const char *name, size_t n)
{
    static const char *const map[][2] = {
        {"Letter", "L"}, {"Cased_Letter", "L&"}, {"Uppercase_Letter", "Lu"}, {"Lowercase_Letter", "Ll"},
        {"Titlecase_Letter", "Lt"}, {"Modifier_Letter", "Lm"}, {"Other_Letter", "Lo"}, {"Mark", "M"},
        {"Nonspacing_Mark", "Mn"}, {"Spacing_Mark", "Mc"}, {"Enclosing_Mark", "Me"}, {"Number", "N"},
        {"Decimal_Number", "Nd"}, {"digit", "Nd"}, {"Letter_Number", "Nl"}, {"Other_Number", "No"},
        {"Punctuation", "P"}, {"punct", "P"}, {"Symbol", "S"}, {"Math_Symbol", "Sm"},
        {"Currency_Symbol", "Sc"}, {"Separator", "Z"}, {"Space_Separator", "Zs"}, {"Other", "C"},
        {"Control", "Cc"}, {"cntrl", "Cc"}, {"Format", "Cf"}, {"Unassigned", "Cn"},
        {"Private_Use", "Co"}, {"Surrogate", "Cs"}};
    size_t i;
    for (i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strlen(map[i][0]) == n && memcmp(map[i][0], name, n) == 0)
            return map[i][1];
    return NULL;
}

/* \p{Name=Value} of ECMA-262 to PCRE2's spelling; `body` excludes the braces. */
static void translate_property(llmt_buf *out, char pn, const char *body, size_t n)
{
    const char *eq = memchr(body, '=', n), *shrt;
    if (eq) {
        shrt = short_category(eq + 1, n - (size_t)(eq - body) - 1);
        if (shrt) {
            llmt_buf_printf(out, "\\%c{%s}", pn, shrt);
            return;
        }
    } else if ((shrt = short_category(body, n))) {
        llmt_buf_printf(out, "\\%c{%s}", pn, shrt);
        return;
    }
    llmt_buf_printf(out, "\\%c{", pn);
    if (eq) {
        size_t kl = (size_t)(eq - body);
        const char *val = eq + 1;
        size_t vl = n - kl - 1;
        /* PCRE2's bare \p{Greek} means Script_Extensions; ECMA-262 names the property */
        if ((kl == 17 && memcmp(body, "Script_Extensions", 17) == 0) ||
            (kl == 3 && memcmp(body, "scx", 3) == 0))
            llmt_buf_puts(out, "scx:");
        else if ((kl == 6 && memcmp(body, "Script", 6) == 0) || (kl == 2 && memcmp(body, "sc", 2) == 0))
            llmt_buf_puts(out, "sc:");
        llmt_buf_append(out, val, vl);
    } else {
        llmt_buf_append(out, body, n);
    }
    llmt_buf_puts(out, "}");
}

/* Translates one escape starting at p (p[0] == '\\'); returns the position after it. */
static const char *translate_escape(llmt_buf *out, const char *p, const char *end, bool in_class)
{
    char e = p + 1 < end ? p[1] : '\\';
    long cp, lo;
    if (p + 1 >= end) {
        llmt_buf_puts(out, "\\\\");
        return end;
    }
    switch (e) {
    case 's':
        llmt_buf_printf(out, in_class ? "\\s%s" : "[\\s%s]", UNICODE_SPACES);
        return p + 2;
    case 'S':
        if (in_class)
            llmt_buf_puts(out, "\\S"); /* the Unicode spaces stay in: rare, documented */
        else
            llmt_buf_printf(out, "[^\\s%s]", UNICODE_SPACES);
        return p + 2;
    case 'u':
        if (p + 2 < end && p[2] == '{') {
            const char *close = memchr(p + 3, '}', (size_t)(end - p - 3));
            if (close) {
                llmt_buf_puts(out, "\\x{");
                llmt_buf_append(out, p + 3, (size_t)(close - p - 3));
                llmt_buf_puts(out, "}");
                return close + 1;
            }
        }
        cp = hex4(p + 2, end);
        if (cp < 0) {
            llmt_buf_puts(out, "u");
            return p + 2;
        }
        p += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
            (lo = hex4(p + 2, end)) >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            p += 6;
        }
        llmt_buf_printf(out, "\\x{%lx}", cp);
        return p;
    case 'p':
    case 'P':
        if (p + 2 < end && p[2] == '{') {
            const char *close = memchr(p + 3, '}', (size_t)(end - p - 3));
            if (close) {
                translate_property(out, e, p + 3, (size_t)(close - p - 3));
                return close + 1;
            }
        }
        break;
    case '0':
        if (p + 2 >= end || p[2] < '0' || p[2] > '9') {
            llmt_buf_puts(out, "\\x{0}");
            return p + 2;
        }
        break;
    case '/':
        llmt_buf_puts(out, "/");
        return p + 2;
    default:
        break;
    }
    llmt_buf_append(out, p, 2);
    return p + 2;
}

static void translate(llmt_buf *out, const char *p, size_t len)
{
    const char *end = p + len;
    bool in_class = false;
    while (p < end) {
        if (*p == '\\') {
            p = translate_escape(out, p, end, in_class);
        } else if (!in_class && *p == '[') {
            if (end - p >= 3 && p[1] == '^' && p[2] == ']') {
                llmt_buf_puts(out, "[\\s\\S]");
                p += 3;
            } else if (end - p >= 2 && p[1] == ']') {
                llmt_buf_puts(out, "(?!)");
                p += 2;
            } else {
                in_class = true;
                llmt_buf_append(out, p, 1);
                p++;
                if (p < end && *p == '^') {
                    llmt_buf_append(out, p, 1);
                    p++;
                }
            }
        } else if (in_class && *p == '[') {
            llmt_buf_puts(out, "\\["); /* ECMA has no POSIX classes inside [] */
            p++;
        } else {
            if (in_class && *p == ']')
                in_class = false;
            llmt_buf_append(out, p, 1);
            p++;
        }
    }
}

llmt_regex *llmt_regex_compile(const char *pattern, size_t len, char **err)
{
    llmt_buf src = {0};
    llmt_regex *re = NULL;
    int code;
    PCRE2_SIZE off;
    *err = NULL;
    translate(&src, pattern, len);
    if (src.oom) {
        *err = llmt_strdup("out of memory");
        goto done;
    }
    re = calloc(1, sizeof(*re));
    if (!re) {
        *err = llmt_strdup("out of memory");
        goto done;
    }
    re->code = pcre2_compile((PCRE2_SPTR)(src.data ? src.data : ""), src.len,
                             PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &code, &off, NULL);
    if (!re->code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        *err = llmt_asprintf("not a valid regular expression: %s", (const char *)msg);
        llmt_regex_free(re);
        re = NULL;
        goto done;
    }
    /* No JIT: its generated code reads memory valgrind cannot follow (reported as
     * uninitialised), and the interpreter is fast enough for schema patterns. */
    re->mctx = pcre2_match_context_create(NULL);
    if (!re->mctx) {
        *err = llmt_strdup("out of memory");
        llmt_regex_free(re);
        re = NULL;
        goto done;
    }
    pcre2_set_match_limit(re->mctx, MATCH_LIMIT);
    pcre2_set_depth_limit(re->mctx, DEPTH_LIMIT);
done:
    llmt_buf_free(&src);
    return re;
}

void llmt_regex_free(llmt_regex *re)
{
    if (!re)
        return;
    pcre2_code_free(re->code);
    pcre2_match_context_free(re->mctx);
    free(re);
}

int llmt_regex_search(const llmt_regex *re, const char *s, size_t len)
{
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    int rc;
    if (!md)
        return -1;
    rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, 0, PCRE2_NO_UTF_CHECK, md, re->mctx);
    pcre2_match_data_free(md);
    if (rc >= 0)
        return 1;
    return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}
