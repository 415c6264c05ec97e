/* Table cells for terminal output: widths in columns on screen (not bytes), and a text
 * too long for its column shortened in the middle, so that two long names that differ
 * only at the end ("…-2024-08-06" and "…-2024-11-20") stay told apart. */
#include "cli/common.h"

#include <string.h>

#include "core/utf8.h"

/* Columns a code point takes on a terminal: 0 for combining marks, 2 for East Asian
 * wide and fullwidth characters and emoji, else 1 (the ranges of wcwidth that matter
 * for names; no locale needed). */
static size_t cp_width(unsigned cp)
{
    if ((cp >= 0x300 && cp <= 0x36F) || (cp >= 0x200B && cp <= 0x200F) || (cp >= 0xFE00 && cp <= 0xFE0F))
        return 0;
    if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
        (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
        (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
        (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
        (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD))
        return 2;
    return 1;
}

/* Decodes the character at s (NUL-terminated); an invalid byte counts as one column. */
static size_t next_char(const char *s, size_t *width)
{
    unsigned cp = 0;
    size_t len = llmt_utf8_decode((const unsigned char *)s, strlen(s), &cp);
    *width = len ? cp_width(cp) : 1;
    return len ? len : 1;
}

size_t cli_display_width(const char *s)
{
    size_t w = 0, cw;
    while (s && *s) {
        s += next_char(s, &cw);
        w += cw;
    }
    return w;
}

/* Bytes of s that fill at most `cols` columns from its start. */
static size_t head_bytes(const char *s, size_t cols)
{
    size_t used = 0, off = 0, cw, len;
    while (s[off]) {
        len = next_char(s + off, &cw);
        if (used + cw > cols)
            break;
        used += cw;
        off += len;
    }
    return off;
}

/* Byte offset where the last `cols` columns of s start. */
static size_t tail_offset(const char *s, size_t cols)
{
    size_t total = cli_display_width(s), skip = total > cols ? total - cols : 0, off = 0, cw;
    size_t used = 0;
    while (s[off] && used < skip) {
        off += next_char(s + off, &cw);
        used += cw;
    }
    return off;
}

void cli_put_cell(FILE *f, const char *s, size_t width)
{
    size_t w = cli_display_width(s ? s : "");
    if (!s)
        s = "";
    if (w <= width) {
        fputs(s, f);
        for (; w < width; w++)
            fputc(' ', f);
        return;
    }
    if (width < 3) {
        fwrite(s, 1, head_bytes(s, width), f);
        return;
    }
    {
        /* keep both ends: the start says what it is, the end which one */
        size_t left = (width - 1) / 2, right = width - 1 - left;
        size_t hb = head_bytes(s, left), tail = tail_offset(s, right);
        fwrite(s, 1, hb, f);
        fputs("\xE2\x80\xA6", f); /* … */
        fputs(s + tail, f);
        for (w = cli_display_width(s + tail) + left + 1; w < width; w++)
            fputc(' ', f); /* a wide character at the cut leaves a column over */
    }
}

size_t cli_column_width(size_t current, const char *s, size_t cap)
{
    size_t w = cli_display_width(s);
    if (w > cap)
        w = cap;
    return w > current ? w : current;
}
