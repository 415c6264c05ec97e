#include "run/formats.h"

#include <stdio.h>
#include <string.h>

const llmt_report_format llmt_report_formats[] = {
    {"json", LLMT_FORMAT_JSON, "results.json", NULL},
    {"md", LLMT_FORMAT_MD, "report.md", llmt_report_md_write},
    {"html", LLMT_FORMAT_HTML, "report.html", llmt_report_html_write},
    {"junit", LLMT_FORMAT_JUNIT, "junit.xml", llmt_report_junit_write},
    {"csv", LLMT_FORMAT_CSV, "results.csv", llmt_report_csv_write},
    {NULL, 0, NULL, NULL}};

static void join(unsigned bits, char *buf, size_t n, const char *sep)
{
    const llmt_report_format *f;
    size_t used = 0;
    if (n)
        buf[0] = '\0';
    for (f = llmt_report_formats; f->name && used < n; f++) {
        int w;
        if (!(bits & f->bit))
            continue;
        w = snprintf(buf + used, n - used, "%s%s", used ? sep : "", f->name);
        if (w < 0)
            return;
        used += (size_t)w;
    }
}

void llmt_formats_names(char *buf, size_t n, const char *sep)
{
    join(~0u, buf, n, sep);
}

void llmt_formats_format(unsigned bits, char *buf, size_t n)
{
    join(bits, buf, n, ",");
}

bool llmt_formats_parse(const char *list, unsigned *out, char *bad, size_t bad_size)
{
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ",");
        const llmt_report_format *f;
        bool known = false;
        for (f = llmt_report_formats; f->name; f++) {
            if (strlen(f->name) == len && strncmp(f->name, p, len) == 0) {
                *out |= f->bit;
                known = true;
            }
        }
        if (!known && len) {
            snprintf(bad, bad_size, "%.*s", (int)len, p);
            return false;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return true;
}
