/* Finding the JSON answer in a model's reply.
 *
 * Three methods, in order: the whole reply; the first fenced block tagged json (or not
 * tagged at all); the span from the first '{' to the '}' that closes it, found by a scan
 * that knows JSON strings and escapes (a "}" inside a string value doesn't end the span,
 * and prose after the object doesn't get swallowed as "last }" would). Positions in
 * error messages are lines/columns of the reply, not of the extracted span. */
#include "score/extract.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonutil.h"
#include "core/util.h"

const char *llmt_extract_method_name(llmt_extract_method m)
{
    switch (m) {
    case LLMT_EXTRACT_WHOLE: return "whole";
    case LLMT_EXTRACT_FENCE: return "fence";
    case LLMT_EXTRACT_BRACES: return "braces";
    default: return "none";
    }
}

/* Line and column (1-based, column in characters) of byte offset `off` in `text`. */
static void line_col(const char *text, size_t off, int *line, int *col)
{
    size_t i;
    int l = 1, c = 1;
    for (i = 0; i < off && text[i]; i++) {
        if (text[i] == '\n') {
            l++;
            c = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

/* "line L, column C: <parser message>" for a parse error of the span starting at `start`. */
static void parse_error(llmt_buf *b, const char *text, size_t start, const json_error_t *je)
{
    int l, c;
    size_t pos = je->position > 0 ? (size_t)je->position : 0;
    line_col(text, start + pos, &l, &c);
    llmt_buf_printf(b, "line %d, column %d: %s", l, c, je->text);
}

static bool word_is(const char *s, size_t n, const char *w)
{
    size_t i;
    if (strlen(w) != n)
        return false;
    for (i = 0; i < n; i++)
        if (tolower((unsigned char)s[i]) != w[i])
            return false;
    return true;
}

/* The info string of a fence: empty, "json" or "jsonc" (any case). */
static bool is_json_info(const char *s, size_t n)
{
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    while (n && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    return n == 0 || word_is(s, n, "json") || word_is(s, n, "jsonc");
}

typedef struct fence {
    size_t open;      /* offset of the opening ``` */
    size_t body;      /* first byte of the body */
    size_t body_end;  /* one past the last byte of the body */
    bool closed;
} fence;

/* Finds the first fence tagged json (or untagged); fences of other languages are
 * skipped whole. A fence that is never closed runs to the end (truncated replies). */
static bool find_fence(const char *text, size_t len, fence *f)
{
    const char *p = text, *end = text + len;
    while ((p = strstr(p, "```")) != NULL) {
        const char *info = p + 3, *nl, *close;
        bool json_fence;
        while (info < end && *info == '`')
            info++; /* longer fences (````) open the same way */
        nl = info < end ? memchr(info, '\n', (size_t)(end - info)) : NULL;
        if (!nl)
            nl = end;
        /* an inline fence ("```{...}```") has its body right after the backticks */
        if (info < nl && (*info == '{' || *info == '[')) {
            json_fence = true;
            nl = info - 1;
        } else {
            json_fence = is_json_info(info, (size_t)(nl - info));
        }
        close = nl < end ? strstr(nl + 1 > end ? end : nl + 1, "```") : NULL;
        if (json_fence) {
            f->open = (size_t)(p - text);
            f->body = (size_t)(nl + 1 - text);
            if (f->body > len)
                f->body = len;
            f->body_end = close ? (size_t)(close - text) : len;
            f->closed = close != NULL;
            return true;
        }
        if (!close)
            return false;
        p = close + 3;
    }
    return false;
}

/* From the '{' at `start`, the offset one past its matching '}', or 0 when unclosed. */
static size_t match_brace(const char *text, size_t len, size_t start)
{
    size_t i, depth = 0;
    bool in_str = false;
    for (i = start; i < len; i++) {
        char ch = text[i];
        if (in_str) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_str = false;
            continue;
        }
        if (ch == '"')
            in_str = true;
        else if (ch == '{')
            depth++;
        else if (ch == '}' && --depth == 0)
            return i + 1;
    }
    return 0;
}

llmt_status llmt_extract_json(const char *text, json_t **out, llmt_extract_method *method,
                              llmt_error *err)
{
    json_error_t je;
    llmt_buf why = {0};
    fence f;
    const char *brace;
    size_t len, skip = 0;
    llmt_status st = LLMT_E_PARSE;
    *out = NULL;
    *method = LLMT_EXTRACT_NONE;
    if (!text)
        return llmt_error_set(err, LLMT_E_INVALID_ARG, "no reply text");
    len = strlen(text);
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        skip = 3; /* a UTF-8 byte order mark is not part of the JSON */
    *out = llmt_json_loadb(text + skip, len - skip, JSON_DECODE_ANY, &je);
    if (*out) {
        *method = LLMT_EXTRACT_WHOLE;
        return LLMT_OK;
    }
    if (find_fence(text, len, &f)) {
        int l, c;
        *out = llmt_json_loadb(text + f.body, f.body_end - f.body, JSON_DECODE_ANY, &je);
        if (*out) {
            *method = LLMT_EXTRACT_FENCE;
            return LLMT_OK;
        }
        line_col(text, f.open, &l, &c);
        llmt_buf_printf(&why, "the ``` block at line %d%s is not valid JSON: ", l,
                        f.closed ? "" : " (never closed)");
        parse_error(&why, text, f.body, &je);
    }
    brace = strchr(text, '{');
    if (brace) {
        size_t start = (size_t)(brace - text), stop = match_brace(text, len, start);
        int l, c;
        line_col(text, start, &l, &c);
        if (why.len)
            llmt_buf_puts(&why, "; ");
        if (stop) {
            *out = llmt_json_loadb(text + start, stop - start, 0, &je);
            if (*out) {
                llmt_buf_free(&why);
                *method = LLMT_EXTRACT_BRACES;
                return LLMT_OK;
            }
            llmt_buf_printf(&why, "the object at line %d, column %d is not valid JSON: ", l, c);
        } else {
            /* let the parser say where it ran out */
            json_t *v = llmt_json_loadb(text + start, len - start, JSON_DISABLE_EOF_CHECK, &je);
            if (json_is_object(v)) {
                llmt_buf_free(&why);
                *out = v;
                *method = LLMT_EXTRACT_BRACES;
                return LLMT_OK;
            }
            json_decref(v);
            llmt_buf_printf(&why, "the object at line %d, column %d is never closed (truncated "
                                  "reply?): ", l, c);
        }
        parse_error(&why, text, start, &je);
    }
    if (!why.len)
        llmt_buf_puts(&why, "no JSON object found");
    st = llmt_error_set(err, LLMT_E_PARSE, "%s", why.oom ? "no JSON object found" : why.data);
    llmt_buf_free(&why);
    return st;
}
