#include "cli/common.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "run/formats.h"

int cli_split_list(const cli_strings *in, char ***out, size_t *n)
{
    size_t i, total = 0, bytes = 0, k = 0;
    char **v, *store;
    *out = NULL;
    *n = 0;
    for (i = 0; i < in->n; i++) {
        const char *p;
        total++;
        for (p = in->v[i]; *p; p++)
            total += *p == ',';
        bytes += strlen(in->v[i]) + 1;
    }
    v = malloc(total * sizeof(*v) + bytes + 1);
    if (!v) {
        cli_error("out of memory splitting the list '%s'", in->n ? in->v[0] : "");
        return CLI_EXIT_USAGE;
    }
    store = (char *)(v + total);
    for (i = 0; i < in->n; i++) {
        char *tok = store, *p;
        size_t len = strlen(in->v[i]);
        memcpy(store, in->v[i], len + 1);
        store += len + 1;
        for (p = tok;; p++) {
            if (*p == ',' || *p == '\0') {
                bool end = *p == '\0';
                *p = '\0';
                if (*tok)
                    v[k++] = tok;
                if (end)
                    break;
                tok = p + 1;
            }
        }
    }
    *out = v;
    *n = k;
    return 0;
}

const char *cli_format_help(char *buf, size_t n, unsigned dflt)
{
    char names[128], d[64];
    llmt_formats_names(names, sizeof names, ",");
    llmt_formats_format(dflt, d, sizeof d);
    snprintf(buf, n, "reports, comma-separated: %s (default: %s)", names, d);
    return buf;
}

int cli_parse_formats(const cli_strings *in, unsigned *out, unsigned dflt)
{
    char known[128];
    size_t i;
    *out = 0;
    llmt_formats_names(known, sizeof known, ", ");
    for (i = 0; i < in->n; i++) {
        char bad[64];
        if (!in->v[i][0] || strspn(in->v[i], ", ") == strlen(in->v[i])) {
            cli_error("--format needs at least one format (%s)", known);
            return CLI_EXIT_USAGE;
        }
        if (!llmt_formats_parse(in->v[i], out, bad, sizeof bad)) {
            cli_error("unknown format '%s' (known: %s)", bad, known);
            return CLI_EXIT_USAGE;
        }
    }
    if (!*out)
        *out = dflt;
    return 0;
}
