/* UTF-8 as jansson accepts it: the one decoder of the JSON printer, the JSON scanner and
 * the scorer, and the repair of messages bound for JSON files. */
#ifndef LLMT_UTF8_H
#define LLMT_UTF8_H

#include <stddef.h>

/* Length of the UTF-8 sequence at p (avail >= 1 bytes readable) that jansson accepts: no
 * overlong forms, no surrogates, nothing above U+10FFFF. 0 when invalid; *cp gets the
 * code point. Inline: the scorer and the printers call it per character. */
static inline size_t llmt_utf8_decode(const unsigned char *p, size_t avail, unsigned *cp)
{
    unsigned c = p[0], v, min;
    size_t len, i;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (avail < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

/* Writes code point cp (<= U+10FFFF) as UTF-8 at o (room for 4 bytes); returns the
 * number of bytes. */
size_t llmt_utf8_encode(char *o, unsigned cp);

/* Offset of the first byte of s[0..n) that does not start a valid sequence (as
 * llmt_utf8_decode judges it), or -1 when all of it is valid UTF-8. */
long llmt_utf8_invalid_at(const char *s, size_t n);

/* Makes the NUL-terminated s valid UTF-8 in place: a sequence cut short at the end (a
 * message truncated by a fixed-size buffer) is removed, any other invalid byte becomes
 * '?'. Messages go into JSON files, where a string that is not UTF-8 cannot be written. */
void llmt_utf8_scrub(char *s);


#endif
