/*
 * A BPE-like token estimate, close to what cl100k/o200k-style tokenizers produce for
 * English prose, JSON and code, without shipping a vocabulary:
 *   - the text is split the way those tokenizers pre-split it: a letter run with its
 *     one leading space, a digit run, a run of other symbols, a whitespace run;
 *   - a letter run of up to 6 ASCII letters is one token (common words are whole
 *     vocabulary entries); longer runs add one token per further 4 letters;
 *   - digits are grouped by three (cl100k splits numbers into 1-3 digit tokens);
 *   - punctuation: each symbol is a token, except that common pairs ("{\"", "\":",
 *     "\",", "},") merge, which matters for JSON;
 *   - whitespace runs (indentation, blank lines) are one token each;
 *   - non-ASCII letters cost more: every 2 bytes of UTF-8 count as one token
 *     (accented Latin is ~1 token per character pair, CJK ~1 per character).
 * It has not been calibrated against a real vocabulary (none is available offline);
 * its point is to scale like a BPE tokenizer with punctuation-heavy JSON, digits and
 * non-English text, where a word count does not.
 */
#include "provider/tokens.h"

#include <string.h>

static int is_letter(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

long llmt_estimate_tokens_n(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    long tokens = 0;
    if (!text)
        return 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c == ' ' && i + 1 < len && is_letter(s[i + 1]))
            i++; /* a single leading space belongs to the following word */
        c = s[i];
        if (is_letter(c)) {
            size_t ascii = 0, high = 0;
            while (i < len && is_letter(s[i])) {
                if (s[i] >= 0x80)
                    high++;
                else
                    ascii++;
                i++;
            }
            tokens += ascii <= 6 ? (ascii ? 1 : 0) : 1 + (long)((ascii - 6 + 3) / 4);
            tokens += (long)((high + 1) / 2);
        } else if (is_digit(c)) {
            size_t n = 0;
            while (i < len && is_digit(s[i])) {
                n++;
                i++;
            }
            tokens += (long)((n + 2) / 3);
        } else if (is_space(c)) {
            while (i < len && is_space(s[i]) && !(s[i] == ' ' && i + 1 < len && is_letter(s[i + 1])))
                i++;
            tokens++;
        } else {
            /* symbols: merge common JSON pairs */
            if (i + 1 < len && ((c == '{' && s[i + 1] == '"') || (c == '"' && s[i + 1] == ':') ||
                                (c == '"' && s[i + 1] == ',') || (c == '}' && s[i + 1] == ',') ||
                                (c == ']' && s[i + 1] == ',') || (c == ':' && s[i + 1] == ' ')))
                i += 2;
            else
                i++;
            tokens++;
        }
    }
    return tokens;
}

long llmt_estimate_tokens(const char *text)
{
    return text ? llmt_estimate_tokens_n(text, strlen(text)) : 0;
}
