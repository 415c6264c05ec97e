/* `llm-tester score EXPECTED ACTUAL`: extraction, optional validation and accuracy of one
 * answer, without any provider. Options: command line > project config "scoring" >
 * defaults. Exit 0 when scored, 2 when an input can't be read or understood. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/common.h"
#include "config/project_config.h"
#include "core/util.h"
#include "score/extract.h"
#include "score/score.h"
#include "core/jsonutil.h"
#include "score/validate.h"

/* Reads a file, or stdin for "-". */
static llmt_status read_input(const char *path, char **out, llmt_error *err)
{
    llmt_buf b = {0};
    char chunk[65536];
    size_t n;
    if (strcmp(path, "-") != 0)
        return llmt_read_file(path, out, NULL, err);
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
        llmt_buf_append(&b, chunk, n);
    if (ferror(stdin) || b.oom) {
        llmt_buf_free(&b);
        return llmt_error_set(err, LLMT_E_IO, "standard input: read error");
    }
    *out = llmt_buf_steal(&b);
    if (!*out)
        *out = llmt_strdup("");
    return *out ? LLMT_OK : llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
}

/* The project config's "scoring" object, if a project config applies. Returns 0 or an
 * exit code after printing the problem. */
static int project_scoring(cli_ctx *ctx, llmt_score_options *so)
{
    char *path = ctx->common.config_path ? llmt_strdup(ctx->common.config_path)
                                         : llmt_project_config_find(".");
    llmt_diags d = {0};
    llmt_error err;
    json_t *cfg;
    int rc = 0;
    if (!path)
        return 0;
    cfg = llmt_project_config_load(path, &d);
    if (!cfg) {
        cli_print_diags(ctx, &d, true);
        cli_error("score: %s: invalid project config (see: llm-tester config validate)", path);
        rc = CLI_EXIT_USAGE;
    } else if (llmt_score_options_apply_json(so, json_object_get(cfg, "scoring"), path, "/scoring",
                                             &err) != LLMT_OK) {
        cli_error("score: %s", err.message);
        rc = CLI_EXIT_USAGE;
    }
    json_decref(cfg);
    llmt_diags_free(&d);
    free(path);
    return rc;
}

/* Compact JSON of a value, cut to `max` characters for the table. */
static void print_cell(const json_t *v, int width)
{
    char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    const char *shown = v ? (s ? s : "?") : "(missing)";
    size_t len = strlen(shown), cut = (size_t)width;
    if (len > cut) {
        cut -= 3;
        while (cut > 0 && ((unsigned char)shown[cut] & 0xC0) == 0x80)
            cut--;
        printf("%.*s...", (int)cut, shown);
        len = cut + 3;
    } else {
        fputs(shown, stdout);
    }
    for (; len < (size_t)width; len++)
        putchar(' ');
    free(s);
}

static void print_text(const llmt_score_result *sr, const llmt_schema *schema, bool valid,
                       json_t *violations, llmt_extract_method method)
{
    size_t i, lost = 0;
    json_t *f, *v;
    printf("accuracy: %.2f%%\n", sr->accuracy);
    if (!schema)
        printf("valid: not checked (no --schema)\n");
    else if (valid)
        printf("valid: yes\n");
    else
        printf("valid: no (%zu violation%s)\n", json_array_size(violations),
               json_array_size(violations) == 1 ? "" : "s");
    printf("extraction: %s\n", llmt_extract_method_name(method));
    if (json_array_size(violations)) {
        printf("\nSchema violations:\n");
        json_array_foreach(violations, i, v) printf("  %s\n", json_string_value(v));
    }
    json_array_foreach(sr->fields, i, f) {
        json_t *sc = json_object_get(f, "score");
        const char *note = json_string_value(json_object_get(f, "note"));
        if (!json_is_number(sc) || json_number_value(sc) >= 1.0)
            continue;
        if (!lost++)
            printf("\nFields that lost points:\n%-28s %-24s %-24s %6s %6s  %s\n", "PATH",
                   "EXPECTED", "ACTUAL", "SCORE", "WEIGHT", "REASON");
        printf("%-28s ", json_string_value(json_object_get(f, "path"))[0]
                             ? json_string_value(json_object_get(f, "path"))
                             : "(root)");
        print_cell(json_object_get(f, "expected"), 24);
        putchar(' ');
        print_cell(json_object_get(f, "actual"), 24);
        printf(" %6.2f %6.2f  %s%s%s%s\n", json_number_value(sc),
               json_number_value(json_object_get(f, "weight")),
               json_string_value(json_object_get(f, "reason")), note ? " (" : "", note ? note : "",
               note ? ")" : "");
    }
    if (!lost)
        printf("\nNo field lost points.\n");
}

/* json_load_file, but a leading UTF-8 byte-order mark is accepted. */
static json_t *load_json(const char *path, json_error_t *je)
{
    char *text = NULL;
    const char *body;
    size_t len = 0;
    llmt_error err;
    json_t *v;
    if (llmt_read_file(path, &text, &len, &err) != LLMT_OK) {
        je->line = -1;
        snprintf(je->text, sizeof je->text, "%.150s", err.message);
        return NULL;
    }
    /* a byte-order mark is not JSON but editors write one; NUL in strings and numbers
     * beyond 64 bits are JSON (llmt_json_loadb) */
    body = llmt_skip_bom(text);
    v = llmt_json_loadb(body, len - (size_t)(body - text), JSON_DECODE_ANY, je);
    free(text);
    return v;
}

/* The command line's scoring options over the project's (tolerance and threshold NULL:
 * not given). Returns 0, or -1 after printing what is wrong. */
static int apply_options(llmt_score_options *so, const char *list_mode, double *tolerance,
                         double *threshold, const cli_strings *weights,
                         const cli_strings *skips)
{
    llmt_error err;
    size_t i;
    if (list_mode && !llmt_list_mode_parse(list_mode, &so->list_mode)) {
        cli_error("score: --list-mode must be ordered_exact, ordered_similarity or set_similarity, got '%s'",
                  list_mode);
        return -1;
    }
    /* the ranges of the settings table, as for the project's values */
    if ((tolerance && cli_setting_number("score", NULL, "scoring/tolerance", true, tolerance, NULL)) ||
        (threshold && cli_setting_number("score", NULL, "scoring/threshold", true, threshold, NULL)))
        return -1;
    if (tolerance)
        so->tolerance = *tolerance;
    if (threshold)
        so->threshold = *threshold;
    for (i = 0; i < weights->n; i++) {
        if (llmt_score_options_parse_weight(so, weights->v[i], &err) != LLMT_OK) {
            cli_error("score: %s", err.message);
            return -1;
        }
    }
    for (i = 0; i < skips->n; i++) {
        if (llmt_score_options_add_skip(so, skips->v[i], &err) != LLMT_OK) {
            cli_error("score: --skip: %s", err.message);
            return -1;
        }
    }
    return 0;
}

int cmd_score(cli_ctx *ctx, int argc, char **argv)
{
    bool as_json = false, tol_seen = false, thr_seen = false;
    const char *schema_path = NULL, *list_mode = NULL;
    double tolerance = 0, threshold = 80;
    cli_strings weights = {0}, skips = {0};
    char help[5][320];
    /* the scoring options: kind, help and range from the settings table */
    const cli_option opts[] = {
        {"schema", 's', OPT_STRING, "FILE", "validate the answer against this JSON Schema", &schema_path, NULL},
        cli_setting_option("scoring/list_mode", 0, "MODE", &list_mode, NULL, help[0], sizeof help[0]),
        cli_setting_option("scoring/tolerance", 0, "X", &tolerance, &tol_seen, help[1], sizeof help[1]),
        cli_setting_option("scoring/threshold", 0, "T", &threshold, &thr_seen, help[2], sizeof help[2]),
        cli_setting_option("scoring/weights", 'w', "KEY=W", &weights, NULL, help[3], sizeof help[3]),
        cli_setting_option("scoring/skip_fields", 0, "FIELD", &skips, NULL, help[4], sizeof help[4]),
        {"json", 0, OPT_FLAG, NULL, "print one JSON object {accuracy, valid, violations, fields, extraction}", &as_json, NULL},
        {NULL, 0, OPT_FLAG, NULL, NULL, NULL, NULL}};
    char *actual_text = NULL;
    json_t *expected = NULL, *actual = NULL, *schema_json = NULL, *violations = json_array();
    llmt_schema *schema = NULL;
    llmt_diags diags = {0};
    json_error_t je;
    llmt_extract_method method = LLMT_EXTRACT_NONE;
    llmt_score_options so;
    llmt_score_result sr = {0, NULL};
    llmt_error err;
    bool valid = false;
    int npos, rc;
    llmt_score_options_init(&so);
    rc = cli_parse(ctx, cli_find_command("score"), opts, argc, argv, &npos);
    if (rc) {
        rc = rc < 0 ? CLI_EXIT_OK : rc;
        goto done;
    }
    rc = CLI_EXIT_USAGE;
    if (npos != 2) {
        cli_error("score: expected EXPECTED.json and ACTUAL (see: llm-tester score --help)");
        goto done;
    }
    if (project_scoring(ctx, &so) != 0)
        goto done;
    if (apply_options(&so, list_mode, tol_seen ? &tolerance : NULL, thr_seen ? &threshold : NULL,
                      &weights, &skips) != 0)
        goto done;
    if (schema_path) {
        schema_json = load_json(schema_path, &je);
        if (!schema_json) {
            if (je.line <= 0)
                cli_error("score: %s", je.text);
            else
                cli_error("score: %s: line %d, column %d: %s", schema_path, je.line, je.column, je.text);
            goto done;
        }
        schema = llmt_schema_compile(schema_json, schema_path, &diags);
        cli_print_diags(ctx, &diags, true); /* unsupported keywords are worth seeing */
        if (!schema) {
            cli_error("score: %s: invalid schema", schema_path);
            goto done;
        }
    }
    expected = load_json(argv[0], &je);
    if (!expected) {
        if (je.line <= 0)
            cli_error("score: %s", je.text);
        else
            cli_error("score: %s: line %d, column %d: %s", argv[0], je.line, je.column, je.text);
        goto done;
    }
    if (read_input(argv[1], &actual_text, &err) != LLMT_OK) {
        cli_error("score: %s", err.message);
        goto done;
    }
    if (llmt_extract_json(actual_text, &actual, &method, &err) != LLMT_OK) {
        cli_error("score: %s: %s", strcmp(argv[1], "-") ? argv[1] : "standard input", err.message);
        goto done;
    }
    if (schema)
        valid = llmt_schema_validate(schema, actual, violations);
    if (llmt_score(expected, actual, &so, &sr, &err) != LLMT_OK) {
        cli_error("score: %s", err.message);
        rc = CLI_EXIT_PROVIDER;
        goto done;
    }
    if (as_json) {
        json_t *o = json_object();
        json_object_set_new(o, "accuracy", json_real(sr.accuracy));
        json_object_set_new(o, "valid", schema ? json_boolean(valid) : json_null());
        json_object_set(o, "violations", violations);
        json_object_set(o, "fields", sr.fields);
        json_object_set_new(o, "extraction", json_string(llmt_extract_method_name(method)));
        json_dumpf(o, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
        putchar('\n');
        json_decref(o);
    } else {
        print_text(&sr, schema, valid, violations, method);
    }
    rc = CLI_EXIT_OK;
done:
    llmt_score_result_free(&sr);
    llmt_score_options_free(&so);
    llmt_schema_free(schema);
    llmt_diags_free(&diags);
    json_decref(schema_json);
    json_decref(violations);
    json_decref(expected);
    json_decref(actual);
    free(actual_text);
    cli_strings_free(&weights);
    cli_strings_free(&skips);
    return rc;
}
