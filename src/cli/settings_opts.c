/* Command-line options backed by a project setting (config/settings.h): the option's
 * kind and help come from the settings table, and so do the merge with llm-tester.json
 * and the range check. */
#include "cli/common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

static double scale_of(const llmt_setting *s)
{
    return s->flag_scale > 0 ? s->flag_scale : 1;
}

cli_option cli_setting_option(const char *key, char short_name, const char *metavar, void *target,
                              bool *seen, char *help, size_t n)
{
    const llmt_setting *s = llmt_setting_find(key);
    cli_option o = {NULL, short_name, OPT_STRING, metavar, "", target, seen};
    json_t *d;
    char *dtext = NULL, *dots, *c;
    if (!s || !s->flag)
        return o; /* a programming error: the option is left out (name NULL ends the table) */
    o.name = s->flag;
    switch (s->type) {
    case LLMT_SETTING_INT: o.kind = scale_of(s) == 1 ? OPT_LONG : OPT_DOUBLE; break;
    case LLMT_SETTING_NUMBER: o.kind = OPT_DOUBLE; break;
    case LLMT_SETTING_PATH:
    case LLMT_SETTING_ENUM: o.kind = OPT_STRING; break;
    default: o.kind = OPT_STRINGS; break;
    }
    d = llmt_setting_default(s);
    if (d && json_is_number(d) && scale_of(s) != 1)
        dtext = llmt_asprintf("%g", json_number_value(d) / scale_of(s));
    else if (d && json_is_string(d))
        dtext = llmt_strdup(json_string_value(d));
    else if (d && json_is_number(d))
        dtext = json_dumps(d, JSON_COMPACT | JSON_ENCODE_ANY);
    else if (d && json_array_size(d)) {
        llmt_buf b = {0};
        size_t i;
        for (i = 0; i < json_array_size(d); i++)
            llmt_buf_printf(&b, "%s%s", i ? "," : "", json_string_value(json_array_get(d, i)));
        dtext = llmt_buf_steal(&b);
    }
    json_decref(d);
    dots = llmt_strdup(s->key);
    for (c = dots; c && *c; c++)
        if (*c == '/')
            *c = '.';
    if (dtext)
        snprintf(help, n, "%s (default %s; llm-tester.json: %s)", s->help, dtext, dots ? dots : "");
    else
        snprintf(help, n, "%s (llm-tester.json: %s)", s->help, dots ? dots : "");
    o.help = help;
    free(dtext);
    free(dots);
    return o;
}

/* "run: --timeout must be a number > 0, got 0". */
static int range_error(const char *cmd, const llmt_setting *s, double v)
{
    char range[96];
    llmt_setting_range_text(s, true, range, sizeof range);
    cli_error("%s: --%s must be %s, got %g", cmd, s->flag, range, v);
    return CLI_EXIT_USAGE;
}

int cli_setting_number(const char *cmd, const llmt_project *p, const char *key, bool given,
                       double *v, bool *set)
{
    const llmt_setting *s = llmt_setting_find(key);
    double scale;
    json_t *pv, *d;
    if (!s)
        return CLI_EXIT_USAGE;
    scale = scale_of(s);
    if (given) {
        if (!llmt_setting_in_range(s, *v * scale) ||
            (s->type == LLMT_SETTING_INT && scale == 1 && floor(*v) != *v))
            return range_error(cmd, s, *v);
        if (set)
            *set = true;
        return 0;
    }
    /* the project's value was checked against the same row when it was loaded */
    pv = p ? llmt_project_get(p, key) : NULL;
    d = pv ? NULL : llmt_setting_default(s);
    if (pv || d) {
        *v = json_number_value(pv ? pv : d) / scale;
        if (set)
            *set = true;
    } else if (set) {
        *set = false;
    }
    json_decref(d);
    return 0;
}

int cli_setting_long(const char *cmd, const llmt_project *p, const char *key, bool given, long *v)
{
    double d = (double)*v;
    int rc = cli_setting_number(cmd, p, key, given, &d, NULL);
    if (rc == 0)
        *v = (long)d;
    return rc;
}

const char *cli_setting_string(const llmt_project *p, const char *key, const char *given)
{
    json_t *pv;
    if (given)
        return given;
    pv = p ? llmt_project_get(p, key) : NULL;
    if (json_is_string(pv))
        return json_string_value(pv);
    return NULL; /* the default of a string setting is its consumer's (e.g. cache "off") */
}
