#include "core/utf8.h"

#include <stdbool.h>
#include <string.h>

size_t llmt_utf8_encode(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

long llmt_utf8_invalid_at(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t at = 0;
    unsigned cp;
    while (at < n) {
        size_t len = llmt_utf8_decode(p + at, n - at, &cp);
        if (!len)
            return (long)at;
        at += len;
    }
    return -1;
}

void llmt_utf8_scrub(char *s)
{
    size_t len = s ? strlen(s) : 0, i = 0;
    while (i < len) {
        unsigned cp;
        size_t n = llmt_utf8_decode((const unsigned char *)s + i, len - i, &cp);
        if (n) {
            i += n;
            continue;
        }
        /* cut at the end: drop the partial character; elsewhere: mark the byte */
        if ((unsigned char)s[i] >= 0xC2 && (unsigned char)s[i] <= 0xF4) {
            size_t want = (unsigned char)s[i] >= 0xF0 ? 4 : (unsigned char)s[i] >= 0xE0 ? 3 : 2, k;
            bool tail_ok = len - i < want;
            for (k = 1; tail_ok && k < len - i; k++)
                tail_ok = ((unsigned char)s[i + k] & 0xC0) == 0x80;
            if (tail_ok) {
                s[i] = '\0';
                return;
            }
        }
        s[i++] = '?';
    }
}

