#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/common.h"
#include "core/util.h"
#include "run/output.h"
#include "store/history.h"

char *cli_history_path(const char *explicit_path)
{
    const char *env = getenv("LLMT_HISTORY_DB");
    if (explicit_path)
        return llmt_strdup(explicit_path);
    if (env && *env)
        return llmt_strdup(env);
    return llmt_history_default_path(".");
}

/* A percentage, or "-" for a model without answers (null). */
static const char *pct_cell(char *buf, size_t n, const json_t *v)
{
    if (!json_is_number(v))
        return "-";
    snprintf(buf, n, "%.2f%%", json_number_value(v));
    return buf;
}

static const char *pareto_cell(const json_t *m)
{
    if (json_is_true(json_object_get(m, "price_unknown")))
        return "  n/a (price unknown)";
    if (!json_is_number(json_object_get(m, "mean_accuracy")))
        return "  n/a (no answers)";
    return json_is_true(json_object_get(m, "pareto")) ? "  yes" : "  -";
}

static void print_models(json_t *models, bool with_pareto)
{
    json_t *m;
    size_t i, w = 5;
    json_array_foreach(models, i, m) /* model names are never cut: two would look alike */
        w = cli_column_width(w, json_string_value(json_object_get(m, "model")), (size_t)-1);
    fputs("  ", stdout);
    cli_put_cell(stdout, "MODEL", w);
    printf(" %7s %6s %6s %9s %8s %14s %10s%s\n", "RESULTS", "ERRORS", "VALID", "ACCURACY",
           "STDDEV", "COST", "LATENCY", with_pareto ? "  PARETO" : "");
    json_array_foreach(models, i, m) {
        json_t *mean = json_object_get(m, "mean_accuracy"), *lat = json_object_get(m, "mean_latency_ms");
        char acc[16], sd[16], cost[32], latency[24];
        snprintf(sd, sizeof sd, "%.2f", json_number_value(json_object_get(m, "stddev_accuracy")));
        snprintf(latency, sizeof latency, "%.0fms", json_number_value(lat));
        /* an unknown price is unknown, never $0: the known part is a lower bound */
        if (json_is_true(json_object_get(m, "cost_complete")))
            snprintf(cost, sizeof cost, "$%.6f", json_number_value(json_object_get(m, "cost_usd")));
        else if (json_number_value(json_object_get(m, "cost_usd")) > 0)
            snprintf(cost, sizeof cost, ">=$%.6f", json_number_value(json_object_get(m, "cost_usd")));
        else
            snprintf(cost, sizeof cost, "unknown");
        fputs("  ", stdout);
        cli_put_cell(stdout, json_string_value(json_object_get(m, "model")), w);
        printf(" %7lld %6lld %6lld %9s %8s %14s %10s%s\n",
               (long long)json_integer_value(json_object_get(m, "results")),
               (long long)json_integer_value(json_object_get(m, "errors")),
               (long long)json_integer_value(json_object_get(m, "valid")), pct_cell(acc, sizeof acc, mean),
               json_is_number(mean) ? sd : "-", cost, json_is_number(lat) ? latency : "-",
               with_pareto ? pareto_cell(m) : "");
    }
}

static void print_json(json_t *v)
{
    json_dumpf(v, stdout, JSON_INDENT(2));
    putchar('\n');
}

static int open_db(const char *db, llmt_history **h)
{
    llmt_error err;
    char *path = cli_history_path(db);
    if (!llmt_path_exists(path)) {
        cli_error("no run history at %s (runs are recorded by 'llm-tester run')", path);
        free(path);
        return CLI_EXIT_USAGE;
    }
    if (llmt_history_open(h, path, &err) != LLMT_OK) {
        cli_error("%s", err.message);
        free(path);
        return CLI_EXIT_USAGE;
    }
    free(path);
    return 0;
}

/* `history compare` as a table: per model the accuracies and the deltas, then the cases
 * whose accuracy changed, worst first. */
static void print_comparison(json_t *out)
{
    json_t *x, *models = json_object_get(out, "models");
    size_t i, w = 5;
    json_array_foreach(models, i, x) /* model names are never cut: two would look alike */
        w = cli_column_width(w, json_string_value(json_object_get(x, "model")), (size_t)-1);
    printf("A = %s\nB = %s\n\n", json_string_value(json_object_get(out, "a")),
           json_string_value(json_object_get(out, "b")));
    cli_put_cell(stdout, "MODEL", w);
    printf(" %10s %10s %9s %12s\n", "ACC A", "ACC B", "DELTA", "COST DELTA");
    json_array_foreach(models, i, x) {
        json_t *ma = json_object_get(x, "a"), *mb = json_object_get(x, "b");
        json_t *delta = json_object_get(x, "delta_accuracy");
        const char *status = json_string_value(json_object_get(x, "status"));
        char acc_a[16], acc_b[16], d[16];
        bool gone = status && strcmp(status, "gone") == 0, added = !gone && json_is_null(ma);
        cli_put_cell(stdout, json_string_value(json_object_get(x, "model")), w);
        snprintf(d, sizeof d, "%+8.2f", json_number_value(delta));
        if (gone || added) {
            printf(" %10s %10s %9s %12s  (%s)\n",
                   gone ? pct_cell(acc_a, sizeof acc_a, json_object_get(ma, "mean_accuracy")) : "-",
                   added ? pct_cell(acc_b, sizeof acc_b, json_object_get(mb, "mean_accuracy")) : "-",
                   "", "", gone ? "gone: only in A" : "new: only in B");
            continue;
        }
        printf(" %10s %10s %9s %+12.6f\n", pct_cell(acc_a, sizeof acc_a, json_object_get(ma, "mean_accuracy")),
               pct_cell(acc_b, sizeof acc_b, json_object_get(mb, "mean_accuracy")),
               json_is_number(delta) ? d : "-", json_number_value(json_object_get(x, "delta_cost")));
    }
    if (!json_array_size(json_object_get(out, "cases"))) {
        printf("\nNo case changed accuracy.\n");
        return;
    }
    printf("\nCases whose accuracy changed (worst first):\n");
    json_array_foreach(json_object_get(out, "cases"), i, x)
        printf("  %s/%s  %s  %.2f -> %.2f (%+.2f)\n", json_string_value(json_object_get(x, "task")),
               json_string_value(json_object_get(x, "case")),
               json_string_value(json_object_get(x, "model")),
               json_number_value(json_object_get(x, "a")), json_number_value(json_object_get(x, "b")),
               json_number_value(json_object_get(x, "delta")));
}

int cmd_history(cli_ctx *ctx, int argc, char **argv)
{
    const char *db = NULL;
    long limit = 20;
    bool as_json = false;
    const char *format = NULL, *output = NULL;
    const cli_option opts[] = {
        {"db", 0, OPT_STRING, "FILE", "history database (default .llm-tester/history.db or $LLMT_HISTORY_DB)", &db, NULL},
        {"format", 0, OPT_STRING, "html", "compare: write the comparison page instead of the table", &format, NULL},
        {"output", 'o', OPT_STRING, "FILE", "compare --format html: the page's file (default: stdout)", &output, NULL},
        {"limit", 'n', OPT_LONG, "N", "list: at most N runs (default 20, 0 = all)", &limit, NULL},
        {"json", 0, OPT_FLAG, NULL, "machine-readable output", &as_json, NULL},
        {NULL, 0, OPT_FLAG, NULL, NULL, NULL, NULL}};
    llmt_history *h = NULL;
    llmt_error err;
    json_t *out = NULL, *x;
    size_t i;
    int npos, rc = cli_parse(ctx, cli_find_command("history"), opts, argc, argv, &npos);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (limit < 0) {
        cli_error("history: --limit must be a whole number >= 0 (0 = all), got %ld", limit);
        return CLI_EXIT_USAGE;
    }
    if (npos < 1 || (strcmp(argv[0], "list") && strcmp(argv[0], "show") && strcmp(argv[0], "compare"))) {
        cli_error("history: expected list, show RUN or compare RUN_A RUN_B (see: llm-tester history --help)");
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[0], "compare") == 0 && npos != 3 && npos != 1) {
        cli_error("history compare: expected two runs (ids, id prefixes, 'latest' or 'previous')");
        return CLI_EXIT_USAGE;
    }
    if (format && (strcmp(format, "html") != 0 || strcmp(argv[0], "compare") != 0)) {
        cli_error("history: --format: only 'compare --format html' is known");
        return CLI_EXIT_USAGE;
    }
    if ((rc = open_db(db, &h)) != 0)
        return rc;
    rc = CLI_EXIT_OK;
    if (strcmp(argv[0], "list") == 0) {
        llmt_history_list(h, limit < 0 ? 0 : (size_t)limit, &out, &err);
        if (as_json)
            print_json(out);
        else
            json_array_foreach(out, i, x) {
                printf("%s  %s%s%s\n", json_string_value(json_object_get(x, "run_id")),
                       json_string_value(json_object_get(x, "started_at")),
                       json_is_string(json_object_get(x, "label")) ? "  " : "",
                       json_is_string(json_object_get(x, "label")) ? json_string_value(json_object_get(x, "label")) : "");
                print_models(json_object_get(x, "models"), false);
            }
    } else if (strcmp(argv[0], "show") == 0) {
        if (llmt_history_show(h, npos > 1 ? argv[1] : "latest", &out, &err) != LLMT_OK) {
            cli_error("history show: %s", err.message);
            rc = CLI_EXIT_USAGE;
        } else if (as_json) {
            print_json(out);
        } else {
            json_t *label = json_object_get(out, "label"), *seed = json_object_get(out, "seed");
            printf("run:     %s\nstarted: %s\nlabel:   %s\nseed:    %s\n\n",
                   json_string_value(json_object_get(out, "run_id")),
                   json_string_value(json_object_get(out, "started_at")),
                   json_is_string(label) ? json_string_value(label) : "(none)",
                   json_is_string(seed) ? json_string_value(seed) : "(not recorded)");
            print_models(json_object_get(out, "models"), false);
        }
    } else {
        const char *a = npos == 3 ? argv[1] : "previous", *b = npos == 3 ? argv[2] : "latest";
        if (llmt_history_compare(h, a, b, &out, &err) != LLMT_OK) {
            cli_error("history compare: %s", err.message);
            rc = CLI_EXIT_USAGE;
        } else if (format) {
            if (llmt_report_html_history_write(output ? output : "-", out, &err) != LLMT_OK) {
                cli_error("history compare: %s", err.message);
                rc = CLI_EXIT_USAGE;
            } else if (output) {
                fprintf(stderr, "Comparison page written to %s\n", output);
            }
        } else if (as_json) {
            print_json(out);
        } else {
            print_comparison(out);
        }
    }
    json_decref(out);
    llmt_history_close(h);
    return rc;
}

int cmd_recommend(cli_ctx *ctx, int argc, char **argv)
{
    const char *db = NULL;
    bool as_json = false;
    const cli_option opts[] = {
        {"db", 0, OPT_STRING, "FILE", "history database (default .llm-tester/history.db or $LLMT_HISTORY_DB)", &db, NULL},
        {"json", 0, OPT_FLAG, NULL, "machine-readable output", &as_json, NULL},
        {NULL, 0, OPT_FLAG, NULL, NULL, NULL, NULL}};
    llmt_history *h = NULL;
    llmt_error err;
    json_t *out = NULL;
    int npos, rc = cli_parse(ctx, cli_find_command("recommend"), opts, argc, argv, &npos);
    if (rc)
        return rc < 0 ? 0 : rc;
    if ((rc = open_db(db, &h)) != 0)
        return rc;
    if (llmt_history_recommend(h, npos ? argv[0] : "latest", &out, &err) != LLMT_OK) {
        cli_error("recommend: %s", err.message);
        llmt_history_close(h);
        return CLI_EXIT_USAGE;
    }
    if (as_json) {
        print_json(out);
    } else {
        printf("Run %s: models by accuracy; PARETO = no other model is both at least as accurate\n"
               "and at most as expensive per result. A model whose price is unknown is listed\n"
               "after the others and is never on the front.\n\n",
               json_string_value(json_object_get(out, "run_id")));
        print_models(json_object_get(out, "models"), true);
    }
    json_decref(out);
    llmt_history_close(h);
    return CLI_EXIT_OK;
}
