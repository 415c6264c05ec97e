/* The Python helper shipped with llm-tester, for `import` (nothing else uses Python). */
#ifndef LLMT_CLI_PYHELPER_H
#define LLMT_CLI_PYHELPER_H

#include <stddef.h>

/* Full path of the installed helper script `name` (malloc'd), or NULL when it is not
 * found beside the binary, under its prefix or under the configured install prefix. */
char *cli_pyhelper_path(const char *name);
/* The interpreter: $LLMT_PYTHON, else "python3" (found on PATH). Borrowed. */
const char *cli_python(void);
/* Runs argv (argv[0] looked up on PATH), its stdout captured into *out (malloc'd,
 * NUL-terminated, caller frees), its stderr passed through. Returns its exit status;
 * 127 when the program was not found; 128+N when killed by signal N; -1 when it could
 * not be started (*out is NULL then). */
int cli_pyhelper_run(char *const argv[], char **out, size_t *out_len);

#endif
