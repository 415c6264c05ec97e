/* Helpers shared by several commands. */
#ifndef LLMT_CLI_COMMON_H
#define LLMT_CLI_COMMON_H

#include "cli/cli.h"

/* Splits every comma-separated value of `in` into a flat list (pointers into a single
 * allocation owned by *out). Returns 0 or prints an error. */
int cli_split_list(const cli_strings *in, char ***out, size_t *n);
/* Parses --format values into LLMT_FORMAT_* bits (default: json and md). */
int cli_parse_formats(const cli_strings *in, unsigned *out);

#endif
