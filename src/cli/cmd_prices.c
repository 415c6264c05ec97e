#include <jansson.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/common.h"
#include "core/util.h"
#include "provider/manager_info.h"

typedef struct price_row {
    const char *provider;
    const llmt_model_config *m;
    char *ref;         /* provider:model */
    double total;      /* input + output per 1M; meaningful when m->has_cost */
    long context;      /* max input + max output tokens */
} price_row;

typedef enum { SORT_TOTAL, SORT_NAME, SORT_PROVIDER, SORT_CONTEXT, SORT_INPUT, SORT_OUTPUT } sort_key;

typedef struct sort_spec {
    sort_key key;
    bool desc;
} sort_spec;

static int cmp_num(double a, double b)
{
    return a < b ? -1 : a > b ? 1 : 0;
}

/* qsort has no user data in C11: the key travels in a wrapper array. */
typedef struct sort_item {
    price_row *row;
    const sort_spec *spec;
} sort_item;

static int cmp_rows(const void *pa, const void *pb)
{
    const sort_item *ia = pa, *ib = pb;
    const price_row *a = ia->row, *b = ib->row;
    const sort_spec *s = ia->spec;
    int c = 0;
    bool cost_key = s->key == SORT_TOTAL || s->key == SORT_INPUT || s->key == SORT_OUTPUT;
    /* models without a price sort last either way */
    if (cost_key && a->m->has_cost != b->m->has_cost)
        return a->m->has_cost ? -1 : 1;
    switch (s->key) {
    case SORT_TOTAL: c = cmp_num(a->total, b->total); break;
    case SORT_INPUT: c = cmp_num(a->m->cost_input, b->m->cost_input); break;
    case SORT_OUTPUT: c = cmp_num(a->m->cost_output, b->m->cost_output); break;
    case SORT_CONTEXT: c = cmp_num((double)a->context, (double)b->context); break;
    case SORT_PROVIDER: c = strcmp(a->provider, b->provider); break;
    case SORT_NAME: c = strcmp(a->m->name, b->m->name); break;
    }
    if (s->desc)
        c = -c;
    return c ? c : strcmp(a->ref, b->ref);
}

/* The enabled models of the wanted providers (all when n_names is 0) that pass the
 * filters (max_cost < 0: none; re NULL: none), appended to *rows_out. False when out of
 * memory (what was collected stays for the caller to free). */
static bool collect_rows(llmt_registry *reg, char **names, size_t n_names, double max_cost,
                         long min_context, const regex_t *re, price_row **rows_out,
                         size_t *n_out)
{
    size_t i, j, cap = 0;
    for (i = 0; i < llmt_registry_count(reg); i++) {
        llmt_provider_entry *e = llmt_registry_at(reg, i);
        bool wanted = n_names == 0;
        for (j = 0; j < n_names && !wanted; j++)
            wanted = strcmp(names[j], e->config->name) == 0;
        if (!wanted || !e->config->enabled)
            continue;
        for (j = 0; j < e->config->n_models; j++) {
            const llmt_model_config *m = &e->config->models[j];
            price_row r;
            if (!m->enabled)
                continue;
            r.provider = e->config->name;
            r.m = m;
            r.total = m->cost_input + m->cost_output;
            r.context = m->info.max_input_tokens + m->info.max_output_tokens;
            if (max_cost >= 0 && (!m->has_cost || r.total > max_cost))
                continue;
            if (r.context < min_context)
                continue;
            r.ref = llmt_asprintf("%s:%s", r.provider, m->name);
            if (!r.ref) {
                cli_error("prices: out of memory");
                return false;
            }
            if (re && regexec(re, r.ref, 0, NULL, 0) != 0) {
                free(r.ref);
                continue;
            }
            if (*n_out == cap) {
                price_row *g = realloc(*rows_out, (cap = cap ? cap * 2 : 16) * sizeof(*g));
                if (!g) {
                    cli_error("prices: out of memory");
                    free(r.ref);
                    return false;
                }
                *rows_out = g;
            }
            (*rows_out)[(*n_out)++] = r;
        }
    }
    return true;
}

/* The sorted rows as a table, or as JSON. */
static void print_rows(const sort_item *items, size_t n_rows, bool as_json)
{
    size_t i;
    if (as_json) {
        json_t *arr = json_array();
        for (i = 0; i < n_rows; i++) {
            const price_row *r = items[i].row;
            json_t *o = json_pack("{s:s, s:s, s:I, s:s}", "provider", r->provider, "model",
                                  r->m->name, "context", (json_int_t)r->context, "cost_category",
                                  r->m->cost_category);
            json_object_set_new(o, "cost_input", r->m->has_cost ? json_real(r->m->cost_input) : json_null());
            json_object_set_new(o, "cost_output", r->m->has_cost ? json_real(r->m->cost_output) : json_null());
            json_object_set_new(o, "total_cost", r->m->has_cost ? json_real(r->total) : json_null());
            json_array_append_new(arr, o);
        }
        json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
        putchar('\n');
        json_decref(arr);
    } else {
        printf("%-44s %10s %10s %10s %10s  %s\n", "MODEL", "IN $/1M", "OUT $/1M", "TOTAL",
               "CONTEXT", "CATEGORY");
        for (i = 0; i < n_rows; i++) {
            const price_row *r = items[i].row;
            char in[24] = "unknown", out[24] = "unknown", tot[24] = "unknown";
            if (r->m->has_cost) {
                snprintf(in, sizeof in, "%.4f", r->m->cost_input);
                snprintf(out, sizeof out, "%.4f", r->m->cost_output);
                snprintf(tot, sizeof tot, "%.4f", r->total);
            }
            printf("%-44s %10s %10s %10s %10ld  %s\n", r->ref, in, out, tot, r->context,
                   r->m->cost_category);
        }
        if (n_rows == 0)
            fprintf(stderr, "llm-tester: no enabled model matches\n");
    }
}

int cmd_prices(cli_ctx *ctx, int argc, char **argv)
{
    cli_strings providers = {0};
    const char *match = NULL, *sort = "total_cost";
    double max_cost = -1;
    long min_context = 0;
    bool desc = false, as_json = false, max_seen = false;
    const cli_option opts[] = {
        {"provider", 'p', OPT_STRINGS, "NAME", "only these providers (comma-separated ok)", &providers, NULL},
        {"match", 0, OPT_STRING, "REGEX", "only models whose provider:model matches (POSIX extended)", &match, NULL},
        {"max-cost", 0, OPT_DOUBLE, "USD", "only models whose input + output cost per 1M is at most USD", &max_cost, &max_seen},
        {"min-context", 0, OPT_LONG, "N", "only models whose context (input + output tokens) is at least N", &min_context, NULL},
        {"sort", 0, OPT_STRING, "KEY", "total_cost (default) | name | provider | context | input | output", &sort, NULL},
        {"desc", 0, OPT_FLAG, NULL, "sort descending", &desc, NULL},
        {"json", 0, OPT_FLAG, NULL, "machine-readable output", &as_json, NULL},
        {NULL, 0, OPT_FLAG, NULL, NULL, NULL, NULL}};
    static const char *const sort_names[] = {"total_cost", "name", "provider", "context", "input", "output", NULL};
    llmt_manager *mgr = NULL;
    llmt_registry *reg;
    regex_t re;
    bool have_re = false;
    price_row *rows = NULL;
    sort_item *items = NULL;
    sort_spec spec = {SORT_TOTAL, false};
    char **names = NULL;
    size_t n_names = 0, n_rows = 0, i, j;
    int npos, rc;
    rc = cli_parse(ctx, cli_find_command("prices"), opts, argc, argv, &npos);
    if (rc)
        goto done;
    rc = CLI_EXIT_USAGE;
    if (npos != 1 || strcmp(argv[0], "list") != 0) {
        cli_error("prices: expected 'list' (see: llm-tester prices --help)");
        goto done;
    }
    if ((max_seen && max_cost < 0) || min_context < 0) {
        cli_error("prices list: --max-cost and --min-context must be >= 0");
        goto done;
    }
    for (i = 0; sort_names[i] && strcmp(sort_names[i], sort) != 0; i++)
        ;
    if (!sort_names[i]) {
        cli_error("prices list: --sort must be total_cost, name, provider, context, input or output; got '%s'", sort);
        goto done;
    }
    spec.key = (sort_key)i;
    spec.desc = desc;
    if (max_seen && max_cost < 0) {
        cli_error("prices list: --max-cost must be >= 0");
        goto done;
    }
    if (min_context < 0) {
        cli_error("prices list: --min-context must be >= 0");
        goto done;
    }
    if (match) {
        int e = regcomp(&re, match, REG_EXTENDED | REG_NOSUB);
        if (e != 0) {
            char msg[256];
            regerror(e, &re, msg, sizeof msg);
            cli_error("prices list: --match '%s': %s", match, msg);
            goto done;
        }
        have_re = true;
    }
    if (cli_split_list(&providers, &names, &n_names) != 0)
        goto done;
    rc = cli_manager(ctx, &mgr, NULL);
    if (rc)
        goto done;
    rc = CLI_EXIT_USAGE;
    reg = llmt_manager_registry(mgr);
    for (j = 0; j < n_names; j++) {
        if (!llmt_registry_find(reg, names[j])) {
            cli_error("prices list: unknown provider '%s' (see: llm-tester providers list)", names[j]);
            goto done;
        }
    }
    if (!collect_rows(reg, names, n_names, max_seen ? max_cost : -1, min_context,
                      have_re ? &re : NULL, &rows, &n_rows))
        goto done;
    items = calloc(n_rows + 1, sizeof(*items));
    if (!items) {
        cli_error("prices: out of memory");
        goto done;
    }
    for (i = 0; i < n_rows; i++) {
        items[i].row = &rows[i];
        items[i].spec = &spec;
    }
    qsort(items, n_rows, sizeof(*items), cmp_rows);
    print_rows(items, n_rows, as_json);
    rc = CLI_EXIT_OK;
done:
    for (i = 0; i < n_rows; i++)
        free(rows[i].ref);
    free(rows);
    free(items);
    if (have_re)
        regfree(&re);
    llmt_manager_free(mgr);
    free(names);
    cli_strings_free(&providers);
    return rc < 0 ? 0 : rc;
}
