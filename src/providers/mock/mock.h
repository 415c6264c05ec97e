/* What the mock provider offers besides its vtable: checking a rules file
 * (docs/mock-provider.md) for `config validate`, with the parser mock:rules uses at run
 * time, so that a file validate accepts loads at run time and one it rejects fails there
 * with the first of the same messages. */
#ifndef LLMT_PROVIDERS_MOCK_H
#define LLMT_PROVIDERS_MOCK_H

#include <stdbool.h>

#include "core/diag.h"

/* A task's own rules file, in its folder, consulted before the --mock-rules file. */
#define LLMT_MOCK_RULES_NAME "mock_rules.json"

/* Adds an error to diags for every problem in the rules file `file` (a --mock-rules file
 * or a task's mock_rules.json), each naming the file and the JSON path of the field:
 * unreadable file, invalid JSON, not an object, unknown or mistyped fields, a bad regex,
 * an unreadable reply_file (relative to the file's folder), ... Returns true when the
 * file has no error. */
bool llmt_mock_rules_validate(const char *file, llmt_diags *diags);

#endif
