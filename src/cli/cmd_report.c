#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/common.h"
#include "core/util.h"
#include "run/output.h"
#include "run/summary.h"

static double parse_iso(const char *s, double dflt)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!s || sscanf(s, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                     &tm.tm_min, &tm.tm_sec) != 6)
        return dflt;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm);
}

/* results.json → a temporary results.jsonl beside the reports, plus its meta data. */
static int json_to_jsonl(const char *in, const char *tmp, llmt_run_meta *meta)
{
    json_error_t je;
    json_t *root = json_load_file(in, 0, &je), *results, *r;
    FILE *f;
    size_t i;
    if (!root) {
        cli_error("report: %s: line %d, column %d: %s", in, je.line, je.column, je.text);
        return CLI_EXIT_USAGE;
    }
    results = json_object_get(root, "results");
    if (!json_is_array(results)) {
        cli_error("report: %s: /results: expected array", in);
        json_decref(root);
        return CLI_EXIT_USAGE;
    }
    snprintf(meta->run_id, sizeof meta->run_id, "%s",
             json_string_value(json_object_get(root, "run_id")) ? json_string_value(json_object_get(root, "run_id")) : "unknown");
    meta->started_at = parse_iso(json_string_value(json_object_get(root, "started_at")), 0);
    meta->finished_at = parse_iso(json_string_value(json_object_get(root, "finished_at")), 0);
    f = fopen(tmp, "wb");
    if (!f) {
        cli_error("report: cannot write %s", tmp);
        json_decref(root);
        return CLI_EXIT_USAGE;
    }
    json_array_foreach(results, i, r) {
        json_dumpf(r, f, JSON_COMPACT | JSON_ENSURE_ASCII);
        fputc('\n', f);
    }
    fclose(f);
    json_decref(root);
    return 0;
}

/* One side of `report --compare`: the results.jsonl of output folder `dir` (or its
 * results.json, copied to *tmp as lines) and its run id from results.json's head. */
static int compare_side(const char *dir, const char *outdir, int side, char **jsonl, char **tmp,
                        llmt_run_meta *meta)
{
    char *json = llmt_path_join(dir, "results.json"), head[512];
    FILE *f = json ? fopen(json, "rb") : NULL;
    const char *slash = strrchr(dir, '/'), *id;
    struct stat st;
    int rc = 0;
    memset(meta, 0, sizeof *meta);
    snprintf(meta->run_id, sizeof meta->run_id, "%s", slash && slash[1] ? slash + 1 : dir);
    if (f) { /* results.json starts {"run_id": "...", "started_at": ... (output.c) */
        size_t n = fread(head, 1, sizeof head - 1, f);
        head[n] = '\0';
        fclose(f);
        if ((id = strstr(head, "\"run_id\": \"")) != NULL)
            snprintf(meta->run_id, sizeof meta->run_id, "%.*s", (int)strcspn(id + 11, "\""), id + 11);
    }
    *jsonl = llmt_path_join(dir, "results.jsonl");
    if (*jsonl && stat(*jsonl, &st) == 0) {
        meta->started_at = meta->finished_at = (double)st.st_mtime;
    } else if (json && llmt_path_exists(json)) {
        free(*jsonl);
        *tmp = llmt_asprintf("%s/.compare-%ld-%d.jsonl", outdir, (long)getpid(), side);
        *jsonl = llmt_strdup(*tmp);
        rc = json_to_jsonl(json, *tmp, meta);
    } else {
        cli_error("report --compare: %s: no results.jsonl or results.json", dir);
        rc = CLI_EXIT_USAGE;
    }
    free(json);
    return rc;
}

/* report --compare OLD_DIR NEW_DIR: the page in diff mode, compare.html. */
static int compare_dirs(const char *old_dir, const char *new_dir, const char *output)
{
    char *jsonl[2] = {NULL, NULL}, *tmp[2] = {NULL, NULL}, *path = NULL;
    const char *dirs[2] = {old_dir, new_dir}, *out = output ? output : new_dir;
    llmt_run_meta meta[2];
    llmt_error err;
    int i, rc = CLI_EXIT_USAGE;
    if (llmt_mkdirs(out, &err) != LLMT_OK) {
        cli_error("report: %s", err.message);
        return CLI_EXIT_USAGE;
    }
    for (i = 0; i < 2; i++)
        if (compare_side(dirs[i], out, i, &jsonl[i], &tmp[i], &meta[i]) != 0)
            goto done;
    path = llmt_path_join(out, "compare.html");
    if (llmt_report_html_compare_write(path, jsonl[0], &meta[0], jsonl[1], &meta[1], NULL, &err) != LLMT_OK) {
        cli_error("report --compare: %s", err.message);
        goto done;
    }
    printf("Comparison of %s and %s written to %s\n", meta[0].run_id, meta[1].run_id, path);
    rc = CLI_EXIT_OK;
done:
    for (i = 0; i < 2; i++) {
        if (tmp[i])
            unlink(tmp[i]);
        free(tmp[i]);
        free(jsonl[i]);
    }
    free(path);
    return rc;
}

int cmd_report(cli_ctx *ctx, int argc, char **argv)
{
    const char *output = NULL;
    cli_strings formats = {0};
    bool compare = false;
    char fhelp[160];
    const cli_option opts[] = {
        {"compare", 0, OPT_FLAG, NULL, "compare two output folders: report --compare OLD_DIR NEW_DIR writes "
                                       "compare.html (into --output DIR, else NEW_DIR)", &compare, NULL},
        {"output", 'o', OPT_STRING, "DIR", "where to write the reports (default: beside the input)", &output, NULL},
        {"format", 0, OPT_STRINGS, "LIST", cli_format_help(fhelp, sizeof fhelp, LLMT_FORMAT_MD | LLMT_FORMAT_HTML), &formats, NULL},
        {NULL, 0, OPT_FLAG, NULL, NULL, NULL, NULL}};
    llmt_run_meta meta;
    llmt_summary s;
    llmt_error err;
    char *dir = NULL, *tmp = NULL;
    const char *jsonl;
    unsigned fmt = 0;
    int npos, rc = cli_parse(ctx, cli_find_command("report"), opts, argc, argv, &npos);
    struct stat st;
    memset(&meta, 0, sizeof meta);
    memset(&s, 0, sizeof s);
    if (rc)
        goto done;
    rc = CLI_EXIT_USAGE;
    if (compare) {
        if (npos != 2)
            cli_error("report --compare: expected two output folders, OLD_DIR NEW_DIR");
        else
            rc = compare_dirs(argv[0], argv[1], output);
        goto done;
    }
    if (npos != 1) {
        cli_error("report: expected one results file (results.jsonl or results.json)");
        goto done;
    }
    if (stat(argv[0], &st) != 0) {
        cli_error("report: %s: no such file", argv[0]);
        goto done;
    }
    if (cli_parse_formats(&formats, &fmt, LLMT_FORMAT_MD | LLMT_FORMAT_HTML) != 0)
        goto done;
    if (output) {
        dir = llmt_strdup(output);
    } else {
        const char *slash = strrchr(argv[0], '/');
        dir = slash ? llmt_strndup(argv[0], (size_t)(slash - argv[0])) : llmt_strdup(".");
    }
    if (llmt_mkdirs(dir, &err) != LLMT_OK) {
        cli_error("report: %s", err.message);
        goto done;
    }
    if (llmt_str_ends_with(argv[0], ".jsonl")) {
        const char *slash = strrchr(argv[0], '/');
        jsonl = argv[0];
        snprintf(meta.run_id, sizeof meta.run_id, "%s", slash ? slash + 1 : argv[0]);
        meta.started_at = meta.finished_at = (double)st.st_mtime;
        if ((fmt & LLMT_FORMAT_JSON) && !output) {
            cli_error("report: writing results.json beside %s needs --output DIR", argv[0]);
            goto done;
        }
    } else {
        tmp = llmt_asprintf("%s/.report-%ld.jsonl", dir, (long)getpid());
        if ((rc = json_to_jsonl(argv[0], tmp, &meta)) != 0)
            goto done;
        rc = CLI_EXIT_USAGE;
        jsonl = tmp;
    }
    if (llmt_summary_from_jsonl(&s, jsonl, &err) != LLMT_OK) {
        cli_error("report: %s", err.message);
        goto done;
    }
    if (llmt_reports_write(dir, jsonl, &meta, &s, fmt, &err) != LLMT_OK) {
        cli_error("report: %s", err.message);
        goto done;
    }
    printf("Reports for %zu result(s) of %zu model(s) written to %s/\n", s.n_rows, s.n_models, dir);
    rc = CLI_EXIT_OK;
done:
    if (tmp)
        unlink(tmp);
    free(tmp);
    free(dir);
    llmt_summary_free(&s);
    cli_strings_free(&formats);
    return rc < 0 ? 0 : rc;
}
