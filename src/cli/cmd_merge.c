#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/common.h"
#include "core/util.h"
#include "run/output.h"
#include "run/summary.h"

/* Keys already written, to drop a result that two inputs both hold (a shard re-run). */
typedef struct merge_ctx {
    FILE *out;
    json_t *seen; /* object used as a set */
    size_t written, duplicates;
} merge_ctx;

static void merge_one(json_t *r, void *ud)
{
    merge_ctx *c = ud;
    char *key = llmt_asprintf("%s\x1f%s\x1f%s\x1f%s\x1f%lld",
                              json_string_value(json_object_get(r, "task")),
                              json_string_value(json_object_get(r, "case")),
                              json_string_value(json_object_get(r, "provider")),
                              json_string_value(json_object_get(r, "model")),
                              (long long)json_integer_value(json_object_get(r, "repeat")));
    if (!key)
        return;
    if (json_object_get(c->seen, key)) {
        c->duplicates++;
    } else {
        json_object_set_new(c->seen, key, json_true());
        json_dumpf(r, c->out, JSON_COMPACT | JSON_ENSURE_ASCII);
        fputc('\n', c->out);
        c->written++;
    }
    free(key);
}

int cmd_merge(cli_ctx *ctx, int argc, char **argv)
{
    const char *output = NULL;
    cli_strings formats = {0};
    char fhelp[160];
    const cli_option opts[] = {
        {"output", 'o', OPT_STRING, "DIR", "where the merged results and reports go (required)", &output, NULL},
        {"format", 0, OPT_STRINGS, "LIST", cli_format_help(fhelp, sizeof fhelp, LLMT_FORMAT_JSON | LLMT_FORMAT_MD), &formats, NULL},
        {NULL, 0, OPT_FLAG, NULL, NULL, NULL, NULL}};
    merge_ctx mc = {NULL, NULL, 0, 0};
    llmt_run_meta meta;
    llmt_summary s;
    llmt_error err;
    char *jsonl = NULL;
    unsigned fmt = 0;
    int npos, i, rc = cli_parse(ctx, cli_find_command("merge"), opts, argc, argv, &npos);
    memset(&s, 0, sizeof s);
    memset(&meta, 0, sizeof meta);
    if (rc)
        goto done;
    rc = CLI_EXIT_USAGE;
    if (npos < 1 || !output) {
        cli_error("merge: expected one or more output folders (or results.jsonl files) and --output DIR");
        goto done;
    }
    if (cli_parse_formats(&formats, &fmt, LLMT_FORMAT_JSON | LLMT_FORMAT_MD) != 0)
        goto done;
    jsonl = llmt_path_join(output, "results.jsonl");
    /* check every input before the output is opened: the output must not be an input */
    for (i = 0; i < npos; i++) {
        char *p = llmt_is_dir(argv[i]) ? llmt_path_join(argv[i], "results.jsonl") : llmt_strdup(argv[i]);
        bool ok = p && llmt_path_exists(p);
        if (!ok)
            cli_error("merge: %s: no results.jsonl there", argv[i]);
        else if (llmt_same_file(p, jsonl)) {
            cli_error("merge: %s is also the output; choose another --output", p);
            ok = false;
        }
        free(p);
        if (!ok)
            goto done;
    }
    if (llmt_mkdirs(output, &err) != LLMT_OK) {
        cli_error("merge: %s", err.message);
        goto done;
    }
    mc.seen = json_object();
    mc.out = fopen(jsonl, "wb");
    if (!mc.out) {
        cli_error("merge: cannot write %s", jsonl);
        goto done;
    }
    meta.started_at = llmt_wall_time_s();
    for (i = 0; i < npos; i++) {
        char *p = llmt_is_dir(argv[i]) ? llmt_path_join(argv[i], "results.jsonl") : llmt_strdup(argv[i]);
        llmt_jsonl_foreach(p, merge_one, &mc, &err);
        free(p);
    }
    fclose(mc.out);
    mc.out = NULL;
    meta.finished_at = llmt_wall_time_s();
    snprintf(meta.run_id, sizeof meta.run_id, "merged-%d-inputs", npos);
    if (llmt_summary_from_jsonl(&s, jsonl, &err) != LLMT_OK ||
        llmt_reports_write(output, jsonl, &meta, &s, fmt, &err) != LLMT_OK) {
        cli_error("merge: %s", err.message);
        goto done;
    }
    if (mc.duplicates)
        cli_warn("merge: %zu result(s) appeared in more than one input; the first was kept", mc.duplicates);
    printf("Merged %zu result(s) from %d input(s) into %s/\n", mc.written, npos, output);
    rc = CLI_EXIT_OK;
done:
    if (mc.out)
        fclose(mc.out);
    json_decref(mc.seen);
    free(jsonl);
    llmt_summary_free(&s);
    cli_strings_free(&formats);
    return rc < 0 ? 0 : rc;
}
