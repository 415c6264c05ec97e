#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cfgedit.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "config/cfgfile.h"
#include "core/util.h"
#include "provider/manager_info.h"

static const char *kind_of(const llmt_provider_entry *e)
{
    return llmt_entry_is_local(e) ? "local" : "http";
}

/* Plugins found but refused: always counted, listed with the reason at -v. */
static void print_refused(const cli_ctx *ctx, const llmt_plugin_refusals *r)
{
    size_t i;
    if (!r->count)
        return;
    if (ctx->common.verbose < 1) {
        printf("\n%zu plugin(s) refused (see: llm-tester providers list -v)\n", r->count);
        return;
    }
    printf("\nREFUSED PLUGINS\n");
    for (i = 0; i < r->count; i++)
        printf("%-12s %s\n  reason: %s\n", r->items[i].name, r->items[i].origin,
               r->items[i].reason);
}

static void providers_list(const cli_ctx *ctx, llmt_manager *mgr, bool as_json)
{
    llmt_registry *reg = llmt_manager_registry(mgr);
    size_t i;
    if (as_json) {
        /* loaded providers ("status": "loaded"), then refused plugins ("status":
         * "refused", with the reason): a script sees why an expected plugin is missing */
        const llmt_plugin_refusals *r = llmt_manager_refused_plugins(mgr);
        json_t *arr = json_array();
        for (i = 0; i < llmt_registry_count(reg); i++) {
            llmt_provider_entry *e = llmt_registry_at(reg, i);
            char abi[16];
            json_t *o;
            llmt_entry_abi_string(e, abi, sizeof abi);
            o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:b, s:s}", "name", e->config->name,
                          "origin", e->origin, "kind", kind_of(e), "abi_version", abi, "models",
                          (int)e->config->n_models, "enabled", e->config->enabled, "env_key",
                          e->config->env_key);
            json_object_set_new(o, "override", e->config->override_path
                                                   ? json_string(e->config->override_path)
                                                   : json_null());
            json_object_set_new(o, "status", json_string("loaded"));
            json_array_append_new(arr, o);
        }
        for (i = 0; i < r->count; i++)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "name", r->items[i].name,
                                                 "origin", r->items[i].origin, "status", "refused",
                                                 "reason", r->items[i].reason));
        json_dumpf(arr, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(arr);
        return;
    }
    printf("%-12s %-8s %-6s %-5s %-8s %-24s %s\n", "PROVIDER", "ENABLED", "KIND", "ABI",
           "MODELS", "KEY VARIABLE", "ORIGIN");
    for (i = 0; i < llmt_registry_count(reg); i++) {
        llmt_provider_entry *e = llmt_registry_at(reg, i);
        char abi[16];
        llmt_entry_abi_string(e, abi, sizeof abi);
        printf("%-12s %-8s %-6s %-5s %-8zu %-24s %s\n", e->config->name,
               e->config->enabled ? "yes" : "no", kind_of(e), abi, e->config->n_models,
               e->config->env_key[0] ? e->config->env_key : "(none)", e->origin);
    }
    print_refused(ctx, llmt_manager_refused_plugins(mgr));
}

typedef struct enable_ctx {
    const char *name;
    bool enable;
    const char *path;
} enable_ctx;

static llmt_status set_enabled(json_t *root, json_t **replace, void *ud, llmt_diags *diags,
                               llmt_error *err)
{
    enable_ctx *x = ud;
    json_t *doc = root, *provs, *p;
    json_t *v = doc ? json_object_get(doc, "config_version") : NULL;
    if (doc && (!json_is_integer(v) || json_integer_value(v) != LLMT_PROJECT_CONFIG_VERSION))
        return llmt_error_set(err, LLMT_E_CONFIG,
                              "the project config is not at version %d: run 'llm-tester config "
                              "migrate --write' first",
                              LLMT_PROJECT_CONFIG_VERSION);
    if (!doc) {
        doc = json_pack("{s:i}", "config_version", LLMT_PROJECT_CONFIG_VERSION);
        *replace = doc;
    }
    provs = json_object_get(doc, "providers");
    if (!json_is_object(provs)) {
        provs = json_object();
        json_object_set_new(doc, "providers", provs);
    }
    p = json_object_get(provs, x->name);
    if (!json_is_object(p)) {
        p = json_object();
        json_object_set_new(provs, x->name, p);
    }
    json_object_set_new(p, "enabled", json_boolean(x->enable));
    /* the file must stay valid as a whole (a hand-made error elsewhere blocks the write) */
    llmt_project_config_check(doc, x->path, diags);
    return LLMT_OK;
}

static int providers_enable(cli_ctx *ctx, llmt_registry *reg, const char *name, bool enable)
{
    llmt_project *p = NULL;
    llmt_diags d = {0};
    llmt_error err;
    enable_ctx x = {name, enable, NULL};
    char *path = NULL;
    bool changed = false;
    int rc;
    if (!llmt_registry_find(reg, name)) {
        cli_error("providers: unknown provider '%s' (see: llm-tester providers list)", name);
        return CLI_EXIT_USAGE;
    }
    rc = cli_open_project(ctx, &p);
    if (rc)
        return rc;
    if (p->path && !llmt_str_ends_with(p->path, "/" LLMT_PROJECT_CONFIG_NAME)) {
        cli_error("%s is a version-1 file: run 'llm-tester config migrate --write' first", p->path);
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    path = llmt_project_write_path(p);
    x.path = path;
    if (llmt_cfg_edit(path, set_enabled, &x, &d, &changed, &err) != LLMT_OK) {
        cli_print_diags(ctx, &d, false);
        if (!d.errors)
            cli_error("%s", err.message);
        fprintf(stderr, "llm-tester: %s left unchanged\n", path);
        rc = cli_exit_for(err.status);
        goto done;
    }
    printf("provider %s %s (%s%s)\n", name, enable ? "enabled" : "disabled", path,
           changed ? "" : ", already so");
done:
    llmt_diags_free(&d);
    llmt_project_free(p);
    free(path);
    return rc;
}

int cmd_providers(cli_ctx *ctx, int argc, char **argv)
{
    bool as_json = false;
    const cli_option opts[] = {
        {"json", 0, OPT_FLAG, NULL, "machine-readable output (list)", &as_json, NULL},
        {NULL, 0, OPT_FLAG, NULL, NULL, NULL, NULL}};
    llmt_manager *mgr = NULL;
    int npos, rc = cli_parse(ctx, cli_find_command("providers"), opts, argc, argv, &npos);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (npos < 1 || (strcmp(argv[0], "list") != 0 && strcmp(argv[0], "enable") != 0 &&
                     strcmp(argv[0], "disable") != 0)) {
        cli_error("providers: expected 'list', 'enable NAME' or 'disable NAME' (see: llm-tester providers --help)");
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[0], "list") != 0 && npos != 2) {
        cli_error("providers %s: expected one provider name", argv[0]);
        return CLI_EXIT_USAGE;
    }
    rc = cli_manager(ctx, &mgr, NULL);
    if (rc)
        return rc;
    if (strcmp(argv[0], "list") == 0) {
        providers_list(ctx, mgr, as_json);
        cli_print_diags(ctx, llmt_manager_diags(mgr), false);
    } else {
        rc = providers_enable(ctx, llmt_manager_registry(mgr), argv[1],
                              strcmp(argv[0], "enable") == 0);
    }
    llmt_manager_free(mgr);
    return rc;
}

/* ---- models ---------------------------------------------------------------------------- */

static void models_list(const llmt_provider_entry *e, bool as_json)
{
    size_t i;
    if (as_json) {
        json_t *arr = json_array();
        for (i = 0; i < e->config->n_models; i++) {
            const llmt_model_config *m = &e->config->models[i];
            json_t *o = json_pack("{s:s, s:b, s:b, s:b, s:s, s:I, s:I}", "name", m->name,
                                  "default", m->is_default, "preferred", m->preferred, "enabled",
                                  m->enabled, "cost_category", m->cost_category,
                                  "max_input_tokens", (json_int_t)m->info.max_input_tokens,
                                  "max_output_tokens", (json_int_t)m->info.max_output_tokens);
            json_object_set_new(o, "cost_input", m->has_cost ? json_real(m->cost_input) : json_null());
            json_object_set_new(o, "cost_output", m->has_cost ? json_real(m->cost_output) : json_null());
            json_object_set_new(o, "catalog_id", m->catalog_id ? json_string(m->catalog_id) : json_null());
            json_object_set_new(o, "origin", json_string(m->origin ? m->origin : e->config->path));
            json_array_append_new(arr, o);
        }
        json_dumpf(arr, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(arr);
        return;
    }
    printf("%-36s %-7s %-7s %-9s %10s %10s %-10s %10s %10s  %s\n", "MODEL", "DEFAULT", "ENABLED",
           "PREFERRED", "IN $/1M", "OUT $/1M", "CATEGORY", "MAX IN", "MAX OUT", "FROM");
    for (i = 0; i < e->config->n_models; i++) {
        const llmt_model_config *m = &e->config->models[i];
        char in[16] = "unknown", out[16] = "unknown";
        if (m->has_cost) {
            snprintf(in, sizeof in, "%.4f", m->cost_input);
            snprintf(out, sizeof out, "%.4f", m->cost_output);
        }
        printf("%-36s %-7s %-7s %-9s %10s %10s %-10s %10ld %10ld  %s\n", m->name,
               m->is_default ? "yes" : "", m->enabled ? "yes" : "no", m->preferred ? "yes" : "",
               in, out, m->cost_category, m->info.max_input_tokens, m->info.max_output_tokens,
               m->origin ? m->origin : e->config->path);
    }
}

/* What `models add|edit` sets; unset fields are left alone. */
typedef struct model_fields {
    const char *op, *model;
    double cost_input, cost_output;
    bool has_cost_input, has_cost_output;
    const char *category, *enabled, *preferred, *catalog_id, *description;
    long max_in, max_out;
    bool has_max_in, has_max_out, make_default;
    char **fallbacks, **caps;
    size_t n_fallbacks, n_caps;
    bool has_fallbacks, has_caps;
} model_fields;

static llmt_status apply_fields(json_t *m, const model_fields *f, llmt_error *err)
{
    bool b;
    size_t i;
    if (f->has_cost_input)
        json_object_set_new(m, "cost_input", json_real(f->cost_input));
    if (f->has_cost_output)
        json_object_set_new(m, "cost_output", json_real(f->cost_output));
    if (f->category)
        json_object_set_new(m, "cost_category", json_string(f->category));
    if (f->has_max_in)
        json_object_set_new(m, "max_input_tokens", json_integer(f->max_in));
    if (f->has_max_out)
        json_object_set_new(m, "max_output_tokens", json_integer(f->max_out));
    if (f->enabled) {
        if (!cli_parse_bool(f->enabled, &b))
            return llmt_error_set(err, LLMT_E_INVALID_ARG, "--enabled expects yes or no, got '%s'",
                                  f->enabled);
        json_object_set_new(m, "enabled", json_boolean(b));
    }
    if (f->preferred) {
        if (!cli_parse_bool(f->preferred, &b))
            return llmt_error_set(err, LLMT_E_INVALID_ARG,
                                  "--preferred expects yes or no, got '%s'", f->preferred);
        json_object_set_new(m, "preferred", json_boolean(b));
    }
    if (f->catalog_id)
        json_object_set_new(m, "catalog_id", json_string(f->catalog_id));
    if (f->description)
        json_object_set_new(m, "description", json_string(f->description));
    if (f->has_fallbacks) {
        json_t *a = json_array();
        for (i = 0; i < f->n_fallbacks; i++)
            json_array_append_new(a, json_string(f->fallbacks[i]));
        json_object_set_new(m, "fallbacks", a);
    }
    if (f->has_caps) {
        static const char *const known[] = {"json_schema", "json_object", "images", "reasoning"};
        json_t *c = json_object();
        size_t k;
        for (k = 0; k < 4; k++)
            json_object_set_new(c, known[k], json_false());
        for (i = 0; i < f->n_caps; i++) {
            if (!json_object_get(c, f->caps[i])) {
                json_decref(c);
                return llmt_error_set(err, LLMT_E_INVALID_ARG,
                                      "--capabilities: unknown capability '%s' (known: "
                                      "json_schema, json_object, images, reasoning)",
                                      f->caps[i]);
            }
            json_object_set_new(c, f->caps[i], json_true());
        }
        json_object_set_new(m, "capabilities", c);
    }
    return LLMT_OK;
}

/* Leaves exactly one default: `name`. */
static void set_default(json_t *ovr, const llmt_provider_config *before, const char *name)
{
    size_t i;
    for (i = 0; i < before->n_models; i++) {
        const char *n = before->models[i].name;
        if (strcmp(n, name) == 0)
            continue;
        if (before->models[i].is_default)
            json_object_set_new(llmt_override_model(ovr, n, true), "default", json_false());
    }
    json_object_set_new(llmt_override_model(ovr, name, true), "default", json_true());
}

static bool in_base(const llmt_provider_config *c, const char *name)
{
    llmt_diags d = {0};
    llmt_provider_config *base;
    bool found;
    if (!c->base_text)
        return llmt_provider_config_model(c, name) != NULL;
    base = llmt_provider_config_parse(c->base_text, c->path, &d);
    found = base && llmt_provider_config_model(base, name);
    llmt_provider_config_free(base);
    llmt_diags_free(&d);
    return found;
}

static llmt_status model_edit(json_t *ovr, const llmt_provider_config *before, void *ud,
                              llmt_error *err)
{
    const model_fields *f = ud;
    const llmt_model_config *existing = llmt_provider_config_model(before, f->model);
    json_t *m;
    if (strcmp(f->op, "add") == 0) {
        if (existing)
            return llmt_error_set(err, LLMT_E_INVALID_ARG,
                                  "model '%s' already exists in provider '%s' (from %s); use "
                                  "'models edit'",
                                  f->model, before->name,
                                  existing->origin ? existing->origin : before->path);
        m = llmt_override_model(ovr, f->model, false);
        if (m) /* a removed shipped model comes back: start from the shipped values */
            json_object_del(m, "removed");
        else
            m = llmt_override_model(ovr, f->model, true);
        if (f->make_default)
            set_default(ovr, before, f->model);
        return apply_fields(m, f, err);
    }
    if (!existing)
        return llmt_error_set(err, LLMT_E_NOT_FOUND,
                              "unknown model '%s' for provider '%s' (see: llm-tester models list %s)",
                              f->model, before->name, before->name);
    if (strcmp(f->op, "edit") == 0)
        return apply_fields(llmt_override_model(ovr, f->model, true), f, err);
    if (strcmp(f->op, "set-default") == 0) {
        set_default(ovr, before, f->model);
        return LLMT_OK;
    }
    /* remove: a shipped model is hidden, a project-only model is deleted */
    llmt_override_model_drop(ovr, f->model);
    if (in_base(before, f->model))
        json_object_set_new(llmt_override_model(ovr, f->model, true), "removed", json_true());
    return LLMT_OK;
}

int cmd_models(cli_ctx *ctx, int argc, char **argv)
{
    bool as_json = false;
    model_fields f;
    cli_strings fallbacks = {0}, caps = {0};
    const cli_option opts[] = {
        {"json", 0, OPT_FLAG, NULL, "machine-readable output (list)", &as_json, NULL},
        {"cost-input", 0, OPT_DOUBLE, "USD", "USD per 1M input tokens", &f.cost_input, &f.has_cost_input},
        {"cost-output", 0, OPT_DOUBLE, "USD", "USD per 1M output tokens", &f.cost_output, &f.has_cost_output},
        {"cost-category", 0, OPT_STRING, "C", "free | cheap | standard | expensive | premium", &f.category, NULL},
        {"max-input-tokens", 0, OPT_LONG, "N", "context limit for input", &f.max_in, &f.has_max_in},
        {"max-output-tokens", 0, OPT_LONG, "N", "limit for output", &f.max_out, &f.has_max_out},
        {"enabled", 0, OPT_STRING, "yes|no", "whether the model runs by default", &f.enabled, NULL},
        {"preferred", 0, OPT_STRING, "yes|no", "mark as preferred", &f.preferred, NULL},
        {"catalog-id", 0, OPT_STRING, "ID", "the model's id in the price catalog (costs update)", &f.catalog_id, NULL},
        {"description", 0, OPT_STRING, "TEXT", "free text", &f.description, NULL},
        {"fallbacks", 0, OPT_STRINGS, "P:M", "fallback chain (comma-separated ok; replaces the list)", &fallbacks, &f.has_fallbacks},
        {"capabilities", 0, OPT_STRINGS, "LIST", "json_schema,json_object,images,reasoning (replaces the set)", &caps, &f.has_caps},
        {"default", 0, OPT_FLAG, NULL, "add: make it the default model", &f.make_default, NULL},
        {NULL, 0, OPT_FLAG, NULL, NULL, NULL, NULL}};
    llmt_manager *mgr = NULL;
    llmt_project *p = NULL;
    llmt_provider_entry *e;
    bool changed = false;
    const char *op;
    int npos, rc;
    memset(&f, 0, sizeof f);
    rc = cli_parse(ctx, cli_find_command("models"), opts, argc, argv, &npos);
    if (rc)
        goto done;
    rc = CLI_EXIT_USAGE;
    op = npos > 0 ? argv[0] : "";
    if (strcmp(op, "list") != 0 && strcmp(op, "add") != 0 && strcmp(op, "edit") != 0 &&
        strcmp(op, "remove") != 0 && strcmp(op, "set-default") != 0) {
        cli_error("models: expected list, add, edit, remove or set-default (see: llm-tester models --help)");
        goto done;
    }
    if ((strcmp(op, "list") == 0 && npos != 2) || (strcmp(op, "list") != 0 && npos != 3)) {
        cli_error("models %s: expected %s", op,
                  strcmp(op, "list") == 0 ? "PROVIDER" : "PROVIDER MODEL");
        goto done;
    }
    if ((f.has_cost_input && f.cost_input < 0) || (f.has_cost_output && f.cost_output < 0) ||
        (f.has_max_in && f.max_in < 0) || (f.has_max_out && f.max_out < 0)) {
        cli_error("models %s: costs and token limits must be >= 0", op);
        goto done;
    }
    if (cli_split_list(&fallbacks, &f.fallbacks, &f.n_fallbacks) != 0 ||
        cli_split_list(&caps, &f.caps, &f.n_caps) != 0)
        goto done;
    f.op = op;
    f.model = npos > 2 ? argv[2] : NULL;
    rc = cli_manager(ctx, &mgr, NULL);
    if (rc)
        goto done;
    rc = CLI_EXIT_USAGE;
    e = llmt_registry_find(llmt_manager_registry(mgr), argv[1]);
    if (!e) {
        cli_error("models: unknown provider '%s' (see: llm-tester providers list)", argv[1]);
        goto done;
    }
    if (strcmp(op, "list") == 0) {
        models_list(e, as_json);
        cli_print_diags(ctx, llmt_manager_diags(mgr), false);
        rc = CLI_EXIT_OK;
        goto done;
    }
    rc = cli_open_project(ctx, &p);
    if (rc)
        goto done;
    rc = cli_override_edit(ctx, p, e, model_edit, &f, &changed);
    if (rc == 0) {
        char *path = llmt_project_override_path(p, e->config->name);
        printf("%s:%s: %s%s (%s)\n", e->config->name, f.model,
               strcmp(op, "add") == 0        ? "added"
               : strcmp(op, "remove") == 0   ? "removed"
               : strcmp(op, "edit") == 0     ? "updated"
                                             : "is now the default",
               changed ? "" : " (no change)", path ? path : "");
        free(path);
    }
done:
    llmt_project_free(p);
    llmt_manager_free(mgr);
    free(f.fallbacks);
    free(f.caps);
    cli_strings_free(&fallbacks);
    cli_strings_free(&caps);
    return rc < 0 ? 0 : rc;
}
