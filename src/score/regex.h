/* ECMA-262 regular expressions (what JSON Schema's `pattern` and `patternProperties`
 * use) on PCRE2: the pattern is translated where the two dialects differ, compiled
 * once in UTF mode, and matched with bounded work. */
#ifndef LLMT_REGEX_H
#define LLMT_REGEX_H

#include <stddef.h>

typedef struct llmt_regex llmt_regex;

/* Compiles `pattern` (`len` bytes of UTF-8). Returns a handle to free with
 * llmt_regex_free(), or NULL with `*err` set to a message the caller frees. The handle
 * is read-only afterwards: several threads may match with it at once. */
llmt_regex *llmt_regex_compile(const char *pattern, size_t len, char **err);
void llmt_regex_free(llmt_regex *re); /* NULL is fine */

/* Searches `s` (`len` bytes of valid UTF-8) for a match anywhere, as ECMA-262's
 * RegExp.prototype.test does: 1 match, 0 no match, -1 the match gave up (its work or
 * memory limit was reached, or out of memory). */
int llmt_regex_search(const llmt_regex *re, const char *s, size_t len);

#endif
