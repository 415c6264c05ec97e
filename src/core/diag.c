#include "core/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

void llmt_diags_add(llmt_diags *d, llmt_diag_severity sev, const char *file, const char *path,
                    const char *fmt, ...)
{
    llmt_diag *items;
    llmt_buf b = {0};
    va_list ap;
    items = realloc(d->items, (d->count + 1) * sizeof(*items));
    if (!items)
        return;
    d->items = items;
    va_start(ap, fmt);
    llmt_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    items[d->count].severity = sev;
    items[d->count].file = llmt_strdup(file ? file : "");
    items[d->count].path = llmt_strdup(path ? path : "");
    items[d->count].message = llmt_buf_steal(&b);
    d->count++;
    if (sev == LLMT_DIAG_ERROR)
        d->errors++;
}

char *llmt_diag_format(const llmt_diag *dg)
{
    const char *sev = dg->severity == LLMT_DIAG_WARNING ? "warning: " : "";
    if (dg->path && dg->path[0])
        return llmt_asprintf("%s: %s%s: %s", dg->file, sev, dg->path, dg->message);
    return llmt_asprintf("%s: %s%s", dg->file, sev, dg->message);
}

void llmt_diags_free(llmt_diags *d)
{
    size_t i;
    for (i = 0; i < d->count; i++) {
        free(d->items[i].file);
        free(d->items[i].path);
        free(d->items[i].message);
    }
    free(d->items);
    memset(d, 0, sizeof(*d));
}

llmt_status llmt_diags_to_error(const llmt_diags *d, llmt_error *err)
{
    size_t i;
    for (i = 0; i < d->count; i++) {
        if (d->items[i].severity == LLMT_DIAG_ERROR) {
            char *s = llmt_diag_format(&d->items[i]);
            llmt_error_set(err, LLMT_E_CONFIG, "%s", s ? s : "invalid configuration");
            free(s);
            return LLMT_E_CONFIG;
        }
    }
    return LLMT_OK;
}
