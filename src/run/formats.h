/* The report formats, in one table: adding a format is a row here, its writer, a test
 * and the docs. Parsing --format, the help texts and writing the files all read it. */
#ifndef LLMT_FORMATS_H
#define LLMT_FORMATS_H

#include <stdbool.h>
#include <stddef.h>

#include "run/output.h"

typedef struct llmt_report_format {
    const char *name;   /* as given to --format: "md" */
    unsigned bit;       /* LLMT_FORMAT_* */
    const char *file;   /* written into the output folder: "report.md" */
    /* NULL for results.json, which the output module writes itself */
    llmt_status (*write)(const char *path, const char *jsonl_path, const llmt_run_meta *meta,
                         const llmt_summary *s, llmt_error *err);
} llmt_report_format;

/* Every format, in the order their files are written; ends with a row whose name is NULL. */
extern const llmt_report_format llmt_report_formats[];

/* "json, md, html, junit, csv" into buf (for messages and help). */
void llmt_formats_names(char *buf, size_t n, const char *sep);
/* "md,json" for the bits set, in table order, into buf. */
void llmt_formats_format(unsigned bits, char *buf, size_t n);

#endif
