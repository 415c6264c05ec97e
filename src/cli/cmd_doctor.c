/* `llm-tester doctor [--ping] [--json]`: per provider, whether it is enabled, which key
 * variable it reads and whether that is set (redacted), the base URL in effect, and with
 * --ping a cheap reachability check (one GET; any HTTP answer means reachable). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/util.h"
#include "http/http.h"
#include "provider/factory.h"
#include "exec/engine.h"
#include "provider/manager_info.h"
#include "provider/secrets.h"

typedef struct doctor_row {
    const char *name;
    bool enabled;
    bool local;
    const char *env_key;    /* "" when no key is needed */
    char key_state[64];     /* "set (sk-...abcd)", "set in .env (...)", "NOT SET", "not needed" */
    bool key_missing;
    char *base_url;         /* in effect (owned) */
    char *base_url_from;    /* "config" or the override variable (owned) */
    char ping[1200];        /* "" when not pinged */
    bool unreachable;
} doctor_row;

static void key_state(doctor_row *r, const char *project_dir)
{
    const char *env;
    char *key, red[32];
    if (r->local || !r->env_key[0]) {
        snprintf(r->key_state, sizeof r->key_state, "not needed");
        return;
    }
    env = getenv(r->env_key);
    key = llmt_secret_lookup(r->env_key, project_dir);
    if (!key) {
        snprintf(r->key_state, sizeof r->key_state, "NOT SET");
        r->key_missing = true;
        return;
    }
    llmt_redact_key(key, red, sizeof red);
    snprintf(r->key_state, sizeof r->key_state, "%s (%s)", env && *env ? "set" : "set in .env", red);
    memset(key, 0, strlen(key));
    free(key);
}

static void base_url(doctor_row *r, const llmt_provider_entry *e)
{
    char *var = llmt_base_url_env_name(e->config->name);
    const char *v = var ? getenv(var) : NULL;
    if (v && *v) {
        r->base_url = llmt_strdup(v);
        r->base_url_from = llmt_strdup(var);
    } else {
        r->base_url = llmt_strdup(e->config->base_url);
        r->base_url_from = llmt_strdup("config");
    }
    free(var);
}

/* One GET of the base URL without credentials: reachability, not authorisation. A
 * fetch job of the manager's engine, so the transfer and logging are every call's. */
static void ping(llmt_manager *mgr, doctor_row *r, long timeout_ms)
{
    llmt_http_request req;
    llmt_http_result res;
    llmt_retry_policy once = {0, 0, 0, 0};
    llmt_error err;
    double t0 = llmt_now_ms();
    if (r->local || !r->base_url || !r->base_url[0]) {
        snprintf(r->ping, sizeof r->ping, "skipped (%s)", r->local ? "local" : "no base URL");
        return;
    }
    memset(&req, 0, sizeof req);
    req.method = (char *)"GET";
    req.url = r->base_url;
    if (llmt_engine_fetch(mgr, r->name, &req, NULL, timeout_ms, &once, &res, &err) == LLMT_OK) {
        snprintf(r->ping, sizeof r->ping, "reachable (HTTP %ld, %.0f ms)", res.status,
                 llmt_now_ms() - t0);
        llmt_http_result_free(&res);
    } else {
        snprintf(r->ping, sizeof r->ping, "UNREACHABLE (%s: %s)", llmt_status_name(err.status),
                 err.message);
        r->unreachable = true;
    }
}

int cmd_doctor(cli_ctx *ctx, int argc, char **argv)
{
    bool do_ping = false, as_json = false;
    long timeout_s = 5;
    const cli_option opts[] = {
        {"ping", 0, OPT_FLAG, NULL, "also check that each HTTP provider's base URL answers",
         &do_ping, NULL},
        {"timeout", 0, OPT_LONG, "SECONDS", "timeout of each --ping (default 5)", &timeout_s, NULL},
        {"json", 0, OPT_FLAG, NULL, "machine-readable output", &as_json, NULL},
        {NULL, 0, OPT_FLAG, NULL, NULL, NULL, NULL}};
    llmt_manager *mgr = NULL;
    llmt_registry *reg;
    doctor_row *rows = NULL;
    size_t i, n;
    bool any_unreachable = false;
    int npos, rc = cli_parse(ctx, cli_find_command("doctor"), opts, argc, argv, &npos);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (npos > 0) {
        cli_error("doctor: unexpected argument '%s' (see: llm-tester doctor --help)", argv[0]);
        return CLI_EXIT_USAGE;
    }
    if (timeout_s <= 0) {
        cli_error("doctor: --timeout must be a positive number of seconds");
        return CLI_EXIT_USAGE;
    }
    rc = cli_manager(ctx, &mgr, NULL);
    if (rc)
        return rc;
    reg = llmt_manager_registry(mgr);
    n = llmt_registry_count(reg);
    rows = calloc(n + 1, sizeof(*rows));
    if (!rows) {
        cli_error("out of memory");
        llmt_manager_free(mgr);
        return CLI_EXIT_USAGE;
    }
    for (i = 0; i < n; i++) {
        llmt_provider_entry *e = llmt_registry_at(reg, i);
        doctor_row *r = &rows[i];
        r->name = e->config->name;
        r->enabled = e->config->enabled;
        r->local = llmt_entry_is_local(e);
        r->env_key = e->config->env_key;
        key_state(r, llmt_manager_opts(mgr)->project_dir);
        base_url(r, e);
        if (do_ping && r->enabled) {
            ping(mgr, r, timeout_s * 1000);
            any_unreachable = any_unreachable || r->unreachable;
        }
    }
    if (as_json) {
        json_t *arr = json_array();
        for (i = 0; i < n; i++) {
            doctor_row *r = &rows[i];
            json_t *o = json_pack("{s:s, s:b, s:s, s:s, s:s, s:s}", "provider", r->name, "enabled",
                                  r->enabled, "kind", r->local ? "local" : "http", "key_variable",
                                  r->env_key, "key", r->key_state, "base_url",
                                  r->base_url ? r->base_url : "");
            json_object_set_new(o, "base_url_from", json_string(r->base_url_from ? r->base_url_from : ""));
            json_object_set_new(o, "ping", r->ping[0] ? json_string(r->ping) : json_null());
            json_array_append_new(arr, o);
        }
        json_dumpf(arr, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(arr);
    } else {
        printf("%-12s %-8s %-20s %-28s %s\n", "PROVIDER", "ENABLED", "KEY VARIABLE", "KEY",
               "BASE URL");
        for (i = 0; i < n; i++) {
            doctor_row *r = &rows[i];
            printf("%-12s %-8s %-20s %-28s %s%s%s%s\n", r->name, r->enabled ? "yes" : "no",
                   r->env_key[0] ? r->env_key : "(none)", r->key_state,
                   r->base_url && r->base_url[0] ? r->base_url : "(local)",
                   r->base_url_from && strcmp(r->base_url_from, "config") != 0 ? " (from " : "",
                   r->base_url_from && strcmp(r->base_url_from, "config") != 0 ? r->base_url_from : "",
                   r->base_url_from && strcmp(r->base_url_from, "config") != 0 ? ")" : "");
            if (r->ping[0])
                printf("%-12s ping: %s\n", "", r->ping);
        }
    }
    cli_print_diags(ctx, llmt_manager_diags(mgr), false);
    for (i = 0; i < n; i++) {
        free(rows[i].base_url);
        free(rows[i].base_url_from);
    }
    free(rows);
    llmt_manager_free(mgr);
    return any_unreachable ? CLI_EXIT_PROVIDER : CLI_EXIT_OK;
}
