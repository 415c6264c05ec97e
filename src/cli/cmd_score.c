#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/util.h"
#include "score/extract.h"
#include "score/score.h"

int cmd_score(cli_ctx *ctx, int argc, char **argv)
{
    bool as_json = false;
    const cli_option opts[] = {
        {"json", 0, OPT_FLAG, NULL, "print one JSON object", &as_json, NULL},
        {NULL, 0, OPT_FLAG, NULL, NULL, NULL, NULL}};
    char *actual_text = NULL;
    json_t *expected = NULL, *actual = NULL;
    json_error_t je;
    llmt_extract_method method;
    llmt_score_options so;
    llmt_score_result sr = {0, NULL};
    llmt_error err;
    int npos, rc = cli_parse(ctx, cli_find_command("score"), opts, argc, argv, &npos);
    if (rc)
        return rc < 0 ? 0 : rc;
    rc = CLI_EXIT_USAGE;
    if (npos != 2) {
        cli_error("score: expected EXPECTED.json and ACTUAL (see: llm-tester score --help)");
        return rc;
    }
    expected = json_load_file(argv[0], JSON_DECODE_ANY, &je);
    if (!expected) {
        cli_error("score: %s: line %d, column %d: %s", argv[0], je.line, je.column, je.text);
        goto done;
    }
    if (llmt_read_file(argv[1], &actual_text, NULL, &err) != LLMT_OK) {
        cli_error("score: %s", err.message);
        goto done;
    }
    if (llmt_extract_json(actual_text, &actual, &method, &err) != LLMT_OK) {
        cli_error("score: %s: %s", argv[1], err.message);
        goto done;
    }
    llmt_score_options_init(&so);
    llmt_score(expected, actual, &so, &sr, NULL);
    if (as_json) {
        json_t *o = json_pack("{s:f, s:n, s:[], s:O}", "accuracy", sr.accuracy, "valid",
                              "violations", "fields", sr.fields);
        json_dumpf(o, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(o);
    } else {
        printf("accuracy: %.2f%%\n", sr.accuracy);
    }
    rc = CLI_EXIT_OK;
done:
    llmt_score_result_free(&sr);
    json_decref(expected);
    json_decref(actual);
    free(actual_text);
    return rc;
}
