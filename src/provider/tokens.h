/* Token count approximation for providers that do not report usage (the mock) and
 * for budget estimates before sending. See docs/providers.md, "Token counting". */
#ifndef LLMT_TOKENS_H
#define LLMT_TOKENS_H

#include <stddef.h>

long llmt_estimate_tokens(const char *text);
long llmt_estimate_tokens_n(const char *text, size_t len);

#endif
