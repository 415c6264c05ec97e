/* Diagnostics: problems found in input files, each naming file, JSON path and
 * what was expected. Validation collects all of them instead of stopping early. */
#ifndef LLMT_DIAG_H
#define LLMT_DIAG_H

#include "llmt/error.h"

typedef enum { LLMT_DIAG_ERROR, LLMT_DIAG_WARNING } llmt_diag_severity;

typedef struct llmt_diag {
    llmt_diag_severity severity;
    char *file;
    char *path;     /* JSON pointer, "" for the whole document */
    char *message;
} llmt_diag;

typedef struct llmt_diags {
    llmt_diag *items;
    size_t count;
    size_t errors;
} llmt_diags;

void llmt_diags_add(llmt_diags *d, llmt_diag_severity sev, const char *file, const char *path,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* "file: /path: message" of item i into a malloc'd string. */
char *llmt_diag_format(const llmt_diag *dg);
void llmt_diags_free(llmt_diags *d);
/* Fills err with the first error (status LLMT_E_CONFIG) and returns it; LLMT_OK if none. */
llmt_status llmt_diags_to_error(const llmt_diags *d, llmt_error *err);

#endif
