#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/util.h"
#include "store/cache.h"

char *cli_cache_path(const char *explicit_path)
{
    const char *env = getenv("LLMT_CACHE_DB");
    if (explicit_path)
        return llmt_strdup(explicit_path);
    if (env && *env)
        return llmt_strdup(env);
    return llmt_cache_default_path(".");
}

int cmd_cache(cli_ctx *ctx, int argc, char **argv)
{
    const char *db = NULL;
    double older = 0;
    bool as_json = false;
    const cli_option opts[] = {
        {"db", 0, OPT_STRING, "FILE", "cache database (default .llm-tester/cache.db or $LLMT_CACHE_DB)", &db, NULL},
        {"older-than", 0, OPT_DOUBLE, "DAYS", "clear: only entries older than DAYS", &older, NULL},
        {"json", 0, OPT_FLAG, NULL, "stats: machine-readable output", &as_json, NULL},
        {NULL, 0, OPT_FLAG, NULL, NULL, NULL, NULL}};
    llmt_cache *c = NULL;
    llmt_error err;
    char *path;
    int npos, rc = cli_parse(ctx, cli_find_command("cache"), opts, argc, argv, &npos);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (!(older >= 0)) {
        cli_error("cache: --older-than must be a number of days >= 0, got %g", older);
        return CLI_EXIT_USAGE;
    }
    if (npos != 1 || (strcmp(argv[0], "stats") && strcmp(argv[0], "clear"))) {
        cli_error("cache: expected 'stats' or 'clear' (see: llm-tester cache --help)");
        return CLI_EXIT_USAGE;
    }
    path = cli_cache_path(db);
    if (!llmt_path_exists(path)) {
        if (as_json)
            printf("{\"path\": \"%s\", \"entries\": 0, \"hits\": 0, \"bytes\": 0}\n", path);
        else
            printf("No response cache at %s (runs with --cache write or readwrite create it).\n", path);
        free(path);
        return CLI_EXIT_OK;
    }
    if (llmt_cache_open(&c, path, &err) != LLMT_OK) {
        cli_error("%s", err.message);
        free(path);
        return CLI_EXIT_USAGE;
    }
    rc = CLI_EXIT_OK;
    if (strcmp(argv[0], "stats") == 0) {
        llmt_cache_stats s;
        if (llmt_cache_stats_get(c, &s, &err) != LLMT_OK) {
            cli_error("%s", err.message);
            rc = CLI_EXIT_USAGE;
        } else if (as_json) {
            printf("{\"path\": \"%s\", \"entries\": %lld, \"hits\": %lld, \"bytes\": %lld}\n", path,
                   s.entries, s.hits, s.bytes);
        } else {
            printf("%s: %lld entries, %lld hits, %.1f KiB\n", path, s.entries, s.hits,
                   (double)s.bytes / 1024.0);
        }
    } else {
        long long deleted = 0;
        if (llmt_cache_clear(c, older, &deleted, &err) != LLMT_OK) {
            cli_error("%s", err.message);
            rc = CLI_EXIT_USAGE;
        } else {
            printf("Deleted %lld entr%s from %s\n", deleted, deleted == 1 ? "y" : "ies", path);
        }
    }
    llmt_cache_close(c);
    free(path);
    return rc;
}
