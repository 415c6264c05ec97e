#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/util.h"

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("llm-tester: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    fputs("llm-tester: warning: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_print_diags(const cli_ctx *ctx, const llmt_diags *d, bool all)
{
    size_t i;
    for (i = 0; i < d->count; i++) {
        char *s;
        if (d->items[i].severity == LLMT_DIAG_WARNING && !all && ctx->common.verbose < 1)
            continue;
        s = llmt_diag_format(&d->items[i]);
        fprintf(stderr, "llm-tester: %s%s\n",
                d->items[i].severity == LLMT_DIAG_ERROR ? "error: " : "", s ? s : "");
        free(s);
    }
}

int cli_exit_for(llmt_status st)
{
    switch (st) {
    case LLMT_OK: return CLI_EXIT_OK;
    case LLMT_E_CONFIG:
    case LLMT_E_INVALID_ARG:
    case LLMT_E_IO:
    case LLMT_E_PARSE:
    case LLMT_E_NOT_FOUND:
    case LLMT_E_PLUGIN: return CLI_EXIT_USAGE;
    default: return CLI_EXIT_PROVIDER;
    }
}

void cli_strings_free(cli_strings *s)
{
    free(s->v); /* the strings themselves point into argv */
    s->v = NULL;
    s->n = 0;
}

/* The options every command accepts, bound to `c`. */
static void common_options(cli_option t[7], cli_common *c)
{
    const cli_option tbl[7] = {
        {"verbose", 'v', OPT_COUNT, NULL,
         "more diagnostics on stderr (-vv: HTTP traffic, secrets redacted)", &c->verbose, NULL},
        {"quiet", 'q', OPT_FLAG, NULL,
         "run: no progress line on stderr (shown only on a terminal anyway); results, "
         "warnings and errors are still printed",
         &c->quiet, NULL},
        {"config", 0, OPT_STRING, "FILE",
         "project config file (default: llm-tester.json found upward)", &c->config_path, NULL},
        {"seed", 0, OPT_STRING, "N", "seed for simulated providers (default 0)", &c->seed_text,
         NULL},
        {"provider-option", 0, OPT_STRINGS, "P.KEY=VALUE",
         "an option for one provider only, e.g. mock.rules=FILE (repeatable)",
         &c->provider_options, NULL},
        {"help", 'h', OPT_FLAG, NULL, "show this help", &c->help, NULL},
        {NULL, 0, OPT_FLAG, NULL, NULL, NULL, NULL}};
    memcpy(t, tbl, sizeof tbl);
}

static const cli_option *find_long(const cli_option *opts, const char *name, size_t len)
{
    for (; opts && opts->name; opts++)
        if (strlen(opts->name) == len && strncmp(opts->name, name, len) == 0)
            return opts;
    return NULL;
}

static const cli_option *find_short(const cli_option *opts, char c)
{
    for (; opts && opts->name; opts++)
        if (opts->short_name && opts->short_name == c)
            return opts;
    return NULL;
}

static int store(const cli_option *o, const char *val, const char *shown)
{
    char *end = NULL;
    if (o->seen)
        *o->seen = true;
    switch (o->kind) {
    case OPT_FLAG: *(bool *)o->target = true; return 0;
    case OPT_COUNT: (*(int *)o->target)++; return 0;
    case OPT_STRING: *(const char **)o->target = val; return 0;
    case OPT_STRINGS: {
        cli_strings *s = o->target;
        /* a comma-separated value counts as several, so --format md,json works */
        char **nv = realloc(s->v, (s->n + 1) * sizeof(*nv));
        if (!nv) {
            cli_error("out of memory reading option %s", shown);
            return CLI_EXIT_USAGE;
        }
        s->v = nv;
        s->v[s->n++] = (char *)val;
        return 0;
    }
    case OPT_LONG:
        errno = 0;
        *(long *)o->target = strtol(val, &end, 10);
        if (errno || !end || *end || end == val) {
            cli_error("option %s expects an integer, got '%s'", shown, val);
            return CLI_EXIT_USAGE;
        }
        return 0;
    case OPT_DOUBLE:
        errno = 0;
        *(double *)o->target = strtod(val, &end);
        /* "nan" and "inf" parse, but no option means them */
        if (errno || !end || *end || end == val || !isfinite(*(double *)o->target)) {
            cli_error("option %s expects a number, got '%s'", shown, val);
            return CLI_EXIT_USAGE;
        }
        return 0;
    }
    return CLI_EXIT_USAGE;
}

static bool takes_value(const cli_option *o)
{
    return o->kind != OPT_FLAG && o->kind != OPT_COUNT;
}

/* --seed: decimal digits that fit 64 bits (strtoull would take "-5" as a huge number). */
static bool valid_seed(const char *s)
{
    char *end = NULL;
    const char *p;
    for (p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    errno = 0;
    (void)strtoull(s, &end, 10);
    return *s && !errno;
}

int cli_parse(cli_ctx *ctx, const cli_command *cmd, const cli_option *opts, int argc, char **argv,
              int *npos)
{
    cli_option common[7];
    int i, n = 0;
    bool only_pos = false;
    common_options(common, &ctx->common);
    for (i = 1; i < argc; i++) {
        char *a = argv[i];
        const cli_option *o;
        if (only_pos || a[0] != '-' || a[1] == '\0') {
            argv[n++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = true;
            continue;
        }
        if (a[1] == '-') {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            const char *val = eq ? eq + 1 : NULL;
            int rc;
            o = find_long(opts, name, len);
            if (!o)
                o = find_long(common, name, len);
            if (!o) {
                cli_error("unknown option '--%.*s' for '%s' (see: llm-tester %s --help)", (int)len,
                          name, cmd->name, cmd->name);
                return CLI_EXIT_USAGE;
            }
            if (takes_value(o) && !val) {
                if (i + 1 >= argc) {
                    cli_error("option --%s needs a value (%s)", o->name, o->metavar ? o->metavar : "VALUE");
                    return CLI_EXIT_USAGE;
                }
                val = argv[++i];
            } else if (!takes_value(o) && val) {
                cli_error("option --%s takes no value", o->name);
                return CLI_EXIT_USAGE;
            }
            rc = store(o, val, a);
            if (rc)
                return rc;
        } else {
            const char *p;
            for (p = a + 1; *p; p++) {
                int rc;
                o = find_short(opts, *p);
                if (!o)
                    o = find_short(common, *p);
                if (!o) {
                    cli_error("unknown option '-%c' for '%s' (see: llm-tester %s --help)", *p,
                              cmd->name, cmd->name);
                    return CLI_EXIT_USAGE;
                }
                if (takes_value(o)) {
                    const char *val = p[1] ? p + 1 : (i + 1 < argc ? argv[++i] : NULL);
                    if (!val) {
                        cli_error("option -%c needs a value", *p);
                        return CLI_EXIT_USAGE;
                    }
                    rc = store(o, val, a);
                    if (rc)
                        return rc;
                    break;
                }
                rc = store(o, NULL, a);
                if (rc)
                    return rc;
            }
        }
    }
    *npos = n;
    if (ctx->common.seed_text && !valid_seed(ctx->common.seed_text)) {
        cli_error("option --seed expects a whole number >= 0, got '%s'", ctx->common.seed_text);
        return CLI_EXIT_USAGE;
    }
    if (ctx->common.help) {
        cli_print_help(cmd, opts, stdout);
        return -1;
    }
    if (ctx->common.verbose >= 2)
        ctx->logger.level = LLMT_LOG_DEBUG;
    else if (ctx->common.verbose == 1)
        ctx->logger.level = LLMT_LOG_INFO;
    return 0;
}

static void print_opts(const cli_option *o, FILE *f)
{
    for (; o && o->name; o++) {
        char left[64];
        if (o->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name,
                     o->metavar ? " " : "", o->metavar ? o->metavar : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", o->name, o->metavar ? " " : "",
                     o->metavar ? o->metavar : "");
        fprintf(f, "  %-28s %s%s\n", left, o->help,
                o->kind == OPT_STRINGS && !strstr(o->help, "repeatable") ? " (repeatable)" : "");
    }
}

void cli_print_help(const cli_command *cmd, const cli_option *opts, FILE *f)
{
    cli_common dummy;
    cli_option common[7];
    common_options(common, &dummy);
    fprintf(f, "Usage: llm-tester %s\n\n%s\n", cmd->usage, cmd->summary);
    if (cmd->description)
        fprintf(f, "\n%s\n", cmd->description);
    if (opts && opts->name) {
        fputs("\nOptions:\n", f);
        print_opts(opts, f);
    }
    fputs("\nCommon options:\n", f);
    print_opts(common, f);
    if (cmd->examples)
        fprintf(f, "\nExamples:\n%s", cmd->examples);
}
