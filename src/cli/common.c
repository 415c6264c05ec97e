#include "cli/common.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "run/output.h"

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
    if (!v)
        return CLI_EXIT_USAGE;
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

int cli_parse_formats(const cli_strings *in, unsigned *out)
{
    size_t i;
    *out = 0;
    for (i = 0; i < in->n; i++) {
        char bad[64];
        if (!in->v[i][0] || strspn(in->v[i], ", ") == strlen(in->v[i])) {
            cli_error("--format needs at least one format (md, json, html, junit, csv)");
            return CLI_EXIT_USAGE;
        }
        if (!llmt_formats_parse(in->v[i], out, bad, sizeof bad)) {
            cli_error("unknown format '%s' (known: md, json, html, junit, csv)", bad);
            return CLI_EXIT_USAGE;
        }
    }
    if (!*out)
        *out = LLMT_FORMAT_JSON | LLMT_FORMAT_MD;
    return 0;
}
