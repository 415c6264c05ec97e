/* `scaffold provider NAME` and `scaffold task NAME`: starting points that work at once.
 * A plugin folder builds with `make` and loads from the plugin path; a task folder is
 * picked up by `list` and `run --models mock:oracle`. Existing folders are never touched. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "provider/plugin.h"
#include "core/util.h"

#ifndef LLMT_SOURCE_INCLUDE_DIR
#define LLMT_SOURCE_INCLUDE_DIR ""
#endif
#ifndef LLMT_INSTALL_INCLUDE_DIR
#define LLMT_INSTALL_INCLUDE_DIR "/usr/local/include"
#endif

/* ---- templates (pieces, as ISO C caps string literals at 4095 bytes): @NAME@ is the provider/task name, @IDENT@ a C identifier of it,
 * @INCLUDE@ the directory holding llmt/provider.h ---------------------------------- */

static const char *const plugin_c[] = {
    "/*\n"
    " * @NAME@: an llm-tester provider plugin, scaffolded by `llm-tester scaffold provider`.\n"
    " *\n"
    " * Build: make            Load: LLMT_PLUGIN_PATH=<folder containing @NAME@/>\n"
    " * Check: llm-tester providers list -v\n"
    " *\n"
    " * As scaffolded it is a working HTTP provider: it POSTs a Chat Completions-style body to\n"
    " * {base_url}/chat/completions and returns the reply body as the answer text. Replace\n"
    " * the parts marked TODO with your provider's wire format. The contract (who owns\n"
    " * what, which ops are required, how to classify errors, how to test against the\n"
    " * fake HTTP server) is in docs/adding-a-provider.md.\n"
    " *\n"
    " * It uses only include/llmt/provider.h and does not link the library: what it needs\n"
    " * (its state, JSON writing, the request, errors) comes from the host's toolkit,\n"
    " * settings->host, the same functions the built-in providers use. A service that\n"
    " * speaks the Chat Completions format needs no code of its own: see plugins/example,\n"
    " * which uses the toolkit's chat_request, chat_parse and classify_error.\n"
    " */\n"
    "#include \"llmt/provider.h\"\n"
    "\n"
    "/* The state is the host's `wire` (llmt_host_wire: the name, the base URL after the\n"
    " * LLMT_<NAME>_BASE_URL override, the API key, config.json's \"options\"), made and\n"
    " * freed by the host: llmt_host_wire_init_op and llmt_host_wire_destroy_op below. */\n"
    "\n"
    "static llmt_status @IDENT@_build_request(void *state, const llmt_request *req,\n"
    "                                         llmt_http_request *out, llmt_error *err)\n"
    "{\n"
    "    const llmt_host_api *h = LLMT_HOST_OF(state);\n"
    "    llmt_host_jw *w;\n"
    "    char *body;\n"
    "    size_t i, len;\n"
    "    llmt_status st = h->check_texts(req, \"@NAME@\", err); /* UTF-8 JSON can carry */\n"
    "    if (st != LLMT_OK)\n"
    "        return st;\n"
    "    if (req->n_files)\n"
    "        return h->error_set(err, LLMT_E_UNSUPPORTED, \"@NAME@: files are not supported\");\n"
    "    /* TODO: your provider's request body. req->system_prompt already describes the\n"
    "     * JSON Schema when the library could not ask the provider to enforce it. */\n"
    "    if (!(w = h->jw_new()))\n"
    "        return h->error_set(err, LLMT_E_NOMEM, \"out of memory\");\n"
    "    h->jw_raw(w, \"{\\\"model\\\":\");\n"
    "    h->jw_string(w, req->model);\n"
    "    h->jw_raw(w, \",\\\"messages\\\":[\");\n"
    "    if (req->system_prompt) {\n"
    "        h->jw_raw(w, \"{\\\"role\\\":\\\"system\\\",\\\"content\\\":\");\n"
    "        h->jw_string(w, req->system_prompt);\n"
    "        h->jw_raw(w, req->n_messages ? \"},\" : \"}\");\n"
    "    }\n"
    "    for (i = 0; i < req->n_messages; i++) {\n"
    "        h->jw_raw(w, \"{\\\"role\\\":\");\n"
    "        h->jw_string(w, req->messages[i].role);\n"
    "        h->jw_raw(w, \",\\\"content\\\":\");\n"
    "        h->jw_string(w, req->messages[i].content);\n"
    "        h->jw_raw(w, i + 1 < req->n_messages ? \"},\" : \"}\");\n"
    "    }\n"
    "    h->jw_raw(w, \"]}\");\n"
    "    if (!(body = h->jw_finish(w, &len)))\n"
    "        return h->error_set(err, LLMT_E_NOMEM, \"out of memory\");\n",
    "    /* TODO: your provider's endpoint path, and the header that carries the key (NULL:\n"
    "     * \"Authorization: Bearer <key>\"; none when config.json's env_key is \"\"). The\n"
    "     * request takes the body over; everything in *out is freed by the library. */\n"
    "    return h->http_request(state, \"POST\", \"chat/completions\", body, len, NULL, out, err);\n"
    "}\n"
    "\n"
    "static llmt_status @IDENT@_parse_response(void *state, const llmt_request *req,\n"
    "                                          const llmt_http_response *http, llmt_response *out,\n"
    "                                          llmt_error *err)\n"
    "{\n"
    "    const llmt_host_api *h = LLMT_HOST_OF(state);\n"
    "    llmt_status st = LLMT_OK;\n"
    "    /* TODO: parse your provider's reply: the answer text, the model, the stop reason,\n"
    "     * the request id and the token usage (h->parse_object gives a jansson tree; link\n"
    "     * -ljansson then). As scaffolded the whole body is the text. */\n"
    "    out->text = h->format(\"%.*s\", (int)http->body_len, http->body);\n"
    "    out->model = h->dup_string(req->model);\n"
    "    out->usage.input_tokens = 0;  /* TODO: from the reply */\n"
    "    out->usage.output_tokens = 0; /* TODO: from the reply */\n"
    "    out->usage.cached_input_tokens = -1;\n"
    "    out->usage.reasoning_tokens = -1;\n"
    "    if (!out->text || !out->model)\n"
    "        st = h->error_set(err, LLMT_E_NOMEM, \"out of memory\");\n"
    "    /* a reply without text is bad_response, and a failed parse leaves nothing behind */\n"
    "    return h->reply_end(http, st, \"@NAME@\", NULL, out, err);\n"
    "}\n"
    "\n"
    "/* Turns a non-2xx reply into an error class (docs/adding-a-provider.md, \"Error\n"
    " * classification\"): the class decides retries and fallbacks, so be precise. */\n"
    "static llmt_status @IDENT@_classify_error(void *state, const llmt_http_response *http,\n"
    "                                          llmt_error *err)\n"
    "{\n"
    "    const llmt_host_api *h = LLMT_HOST_OF(state);\n"
    "    llmt_host_err_fields f;\n"
    "    llmt_status st;\n"
    "    h->error_fields(http, &f); /* the error envelope's message, type and code */\n"
    "    /* TODO: refine with your provider's error codes (e.g. quota vs rate limit on 429).\n"
    "     * The host's classes: 400 bad_request, 401 auth, 402 quota, 403 permission, 404\n"
    "     * not_found, 429 rate_limit, 503 overloaded, other 5xx server. */\n"
    "    st = h->classify(http, &f);\n"
    "    /* the message, code, status and request id, retryable by class, Retry-After */\n"
    "    return h->fail(err, http, st, &f, NULL);\n"
    "}\n"
    "\n"
    "static const llmt_provider_ops @IDENT@_ops = {\n"
    "    .abi_version = LLMT_PROVIDER_ABI_VERSION,\n"
    "    .name = \"@NAME@\", /* must equal the folder name */\n"
    "    .capabilities = LLMT_CAP_SYSTEM_PROMPT, /* TODO: LLMT_CAP_JSON_OBJECT, _JSON_SCHEMA, _FILES */\n"
    "    .init = llmt_host_wire_init_op,\n"
    "    .destroy = llmt_host_wire_destroy_op,\n"
    "    .build_request = @IDENT@_build_request,\n"
    "    .parse_response = @IDENT@_parse_response,\n"
    "    .classify_error = @IDENT@_classify_error,\n"
    "    /* optional: .call (local providers only, LLMT_CAP_LOCAL), .build_catalog_request and\n"
    "     * .parse_catalog (a price catalog), .check_files (config validate of its own\n"
    "     * files), .read_rate_limits (the account's limits from a reply's headers),\n"
    "     * .batch_* (a batch API: all or none) */\n"
    "};\n"
    "\n"
    "/* The one symbol the loader looks for (LLMT_PROVIDER_ENTRY_SYMBOL). */\n"
    "__attribute__((visibility(\"default\"))) const llmt_provider_ops *llmt_provider_entry(void);\n"
    "const llmt_provider_ops *llmt_provider_entry(void)\n"
    "{\n"
    "    return &@IDENT@_ops;\n"
    "}\n",
    NULL};

static const char *const plugin_config[] = {
    "{\n"
    "  \"config_version\": 2,\n"
    "  \"name\": \"@NAME@\",\n"
    "  \"provider_type\": \"@NAME@\",\n"
    "  \"env_key\": \"\",\n"
    "  \"base_url\": \"http://127.0.0.1:8080/v1\",\n"
    "  \"system_prompt\": \"You are a precise data extraction assistant. Answer with JSON only.\",\n"
    "  \"supports_file_upload\": false,\n"
    "  \"schema_transform\": \"none\",\n"
    "  \"llm_models\": [\n"
    "    {\n"
    "      \"name\": \"@NAME@-model\",\n"
    "      \"default\": true,\n"
    "      \"cost_input\": 1.0,\n"
    "      \"cost_output\": 2.0,\n"
    "      \"cost_category\": \"standard\",\n"
    "      \"max_input_tokens\": 32000,\n"
    "      \"max_output_tokens\": 4096,\n"
    "      \"description\": \"Scaffolded model: set the real name, prices and limits.\"\n"
    "    }\n"
    "  ]\n"
    "}\n",
    NULL};

static const char *const plugin_makefile[] = {
    "# Builds @NAME@.so. Headers from pkg-config (an installed llm-tester), else from\n"
    "# LLMT_INCLUDE (where `llm-tester scaffold` found them). Extra flags: EXTRA_CFLAGS=...\n"
    "LLMT_INCLUDE ?= @INCLUDE@\n"
    "LLMT_CFLAGS ?= $(shell pkg-config --cflags llmtester 2>/dev/null || echo -I$(LLMT_INCLUDE))\n"
    "CFLAGS ?= -O2 -g\n"
    "\n"
    "@NAME@.so: @NAME@.c\n"
    "\t$(CC) -std=c11 -Wall -Wextra -Wpedantic -fPIC -fvisibility=hidden $(CFLAGS) $(LLMT_CFLAGS) \\\n"
    "\t\t$(EXTRA_CFLAGS) -shared -o $@ @NAME@.c $(LDFLAGS)\n"
    "\n"
    "clean:\n"
    "\trm -f @NAME@.so\n"
    ".PHONY: clean\n",
    NULL};

static const char *const task_schema[] = {
    "{\n"
    "  \"$schema\": \"https://json-schema.org/draft/2020-12/schema\",\n"
    "  \"title\": \"@NAME@\",\n"
    "  \"type\": \"object\",\n"
    "  \"properties\": {\n"
    "    \"name\": {\"type\": \"string\", \"description\": \"The person's full name.\"},\n"
    "    \"email\": {\"type\": [\"string\", \"null\"], \"description\": \"Email address, or null.\"},\n"
    "    \"skills\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}, \"description\": \"Skills in the order given.\"}\n"
    "  },\n"
    "  \"required\": [\"name\", \"email\", \"skills\"],\n"
    "  \"additionalProperties\": false\n"
    "}\n",
    NULL};

static const char *const task_json[] = {
    "{\n"
    "  \"description\": \"@NAME@: describe what is extracted (scaffolded example).\",\n"
    "  \"prompt\": \"Extract the person described below into JSON matching the schema. Use null for an email that is not given. Return only the JSON object.\",\n"
    "  \"scoring\": {\"list_mode\": \"ordered_exact\", \"weights\": {\"name\": 2}}\n"
    "}\n",
    NULL};

static const char *const task_source[] = {
    "Maria Lopez is a data engineer reachable at maria.lopez@example.com. She works\n"
    "with Python, SQL and Airflow.\n",
    NULL};

static const char *const task_expected[] = {
    "{\n"
    "  \"name\": \"Maria Lopez\",\n"
    "  \"email\": \"maria.lopez@example.com\",\n"
    "  \"skills\": [\"Python\", \"SQL\", \"Airflow\"]\n"
    "}\n",
    NULL};

/* ----------------------------------------------------------------------------------- */

static char *expand(const char *const *tpl, const char *name, const char *ident,
                    const char *include)
{
    llmt_buf b = {0};
    llmt_buf whole = {0};
    const char *p, *at;
    for (; *tpl; tpl++)
        llmt_buf_puts(&whole, *tpl);
    p = whole.data ? whole.data : "";
    while ((at = strchr(p, '@')) != NULL) {
        const char *val = NULL;
        size_t skip = 0;
        if (strncmp(at, "@NAME@", 6) == 0) {
            val = name;
            skip = 6;
        } else if (strncmp(at, "@IDENT@", 7) == 0) {
            val = ident;
            skip = 7;
        } else if (strncmp(at, "@INCLUDE@", 9) == 0) {
            val = include;
            skip = 9;
        }
        llmt_buf_append(&b, p, (size_t)(at - p));
        if (val) {
            llmt_buf_puts(&b, val);
            p = at + skip;
        } else {
            llmt_buf_append(&b, at, 1); /* a literal '@' (e.g. an email, make's $@) */
            p = at + 1;
        }
    }
    llmt_buf_puts(&b, p);
    llmt_buf_free(&whole);
    return llmt_buf_steal(&b);
}

/* Where llmt/provider.h is: the source tree this binary was built from (a developer's
 * checkout), else the install prefix. */
static const char *include_dir(void)
{
    char *p = llmt_path_join(LLMT_SOURCE_INCLUDE_DIR, "llmt/provider.h");
    bool src = LLMT_SOURCE_INCLUDE_DIR[0] && p && llmt_path_exists(p);
    free(p);
    return src ? LLMT_SOURCE_INCLUDE_DIR : LLMT_INSTALL_INCLUDE_DIR;
}

typedef struct scaffold_file {
    const char *path; /* relative to the new folder */
    const char *const *tpl;
} scaffold_file;

/* Creates `folder` (which must not exist) and the files; on a failure half-way the
 * message names what was written. */
static int write_folder(const char *folder, const scaffold_file *files, const char *name,
                        const char *ident)
{
    char *parent = llmt_strdup(folder), *slash;
    llmt_error err;
    size_t i;
    int rc = CLI_EXIT_OK;
    if (llmt_path_exists(folder)) {
        cli_error("scaffold: %s already exists; not overwriting anything (choose another NAME "
                  "or --dir)",
                  folder);
        free(parent);
        return CLI_EXIT_USAGE;
    }
    slash = parent ? strrchr(parent, '/') : NULL;
    if (slash && slash != parent) {
        *slash = '\0';
        if (llmt_mkdirs(parent, &err) != LLMT_OK) {
            cli_error("scaffold: %s", err.message);
            free(parent);
            return CLI_EXIT_USAGE;
        }
    }
    free(parent);
    /* mkdir without -p for the folder itself: if it appeared meanwhile, stop */
    if (mkdir(folder, 0777) != 0) {
        cli_error("scaffold: cannot create %s: %s", folder, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    for (i = 0; files[i].path && rc == CLI_EXIT_OK; i++) {
        char *path = llmt_path_join(folder, files[i].path);
        char *dir = path ? llmt_strdup(path) : NULL;
        char *text = expand(files[i].tpl, name, ident, include_dir());
        char *ds = dir ? strrchr(dir, '/') : NULL;
        if (!path || !dir || !text) {
            cli_error("scaffold: out of memory");
            rc = CLI_EXIT_USAGE;
        } else {
            *ds = '\0';
            if (llmt_mkdirs(dir, &err) != LLMT_OK ||
                llmt_write_file_atomic(path, text, strlen(text), &err) != LLMT_OK) {
                cli_error("scaffold: %s", err.message);
                rc = CLI_EXIT_USAGE;
            } else {
                printf("  created %s\n", path);
            }
        }
        free(text);
        free(dir);
        free(path);
    }
    return rc;
}

static const scaffold_file task_files[] = {{"schema.json", task_schema},
                                           {"task.json", task_json},
                                           {"tests/sources/example.txt", task_source},
                                           {"tests/expected/example.json", task_expected},
                                           {NULL, NULL}};

int cli_scaffold_task(const char *folder, const char *name)
{
    return write_folder(folder, task_files, name, name);
}

int cmd_scaffold(cli_ctx *ctx, int argc, char **argv)
{
    const char *dir = NULL;
    const cli_option opts[] = {
        {"dir", 'd', OPT_STRING, "DIR",
         "where to create the folder (default: plugins/ for a provider, tasks/ for a task)", &dir,
         NULL},
        {NULL, 0, OPT_FLAG, NULL, NULL, NULL, NULL}};
    scaffold_file provider_files[4] = {{NULL, plugin_c}, {"config.json", plugin_config},
                                       {"Makefile", plugin_makefile}, {NULL, NULL}};
    char *folder = NULL, *ident = NULL, *cname = NULL, *p;
    bool provider;
    int npos, rc = cli_parse(ctx, cli_find_command("scaffold"), opts, argc, argv, &npos);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (npos != 2 || (strcmp(argv[0], "provider") != 0 && strcmp(argv[0], "task") != 0)) {
        cli_error("scaffold: expected 'provider NAME' or 'task NAME' (see: llm-tester scaffold "
                  "--help)");
        return CLI_EXIT_USAGE;
    }
    provider = strcmp(argv[0], "provider") == 0;
    if (!llmt_plugin_name_valid(argv[1])) {
        cli_error("scaffold: '%s' is not a valid name: use lower-case letters, digits, '_' and "
                  "'-' (at most 63, starting with a letter or digit)",
                  argv[1]);
        return CLI_EXIT_USAGE;
    }
    folder = llmt_path_join(dir ? dir : provider ? "plugins" : "tasks", argv[1]);
    ident = llmt_strdup(argv[1]);
    if (!folder || !ident) {
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    for (p = ident; *p; p++)
        if (*p == '-')
            *p = '_';
    if (provider) {
        cname = llmt_asprintf("%s.c", argv[1]);
        provider_files[0].path = cname;
        rc = cname ? write_folder(folder, provider_files, argv[1], ident) : CLI_EXIT_USAGE;
    } else {
        rc = cli_scaffold_task(folder, argv[1]);
    }
    if (rc != CLI_EXIT_OK)
        goto done;
    if (provider) {
        char *parent = llmt_strdup(dir ? dir : "plugins");
        printf("\nNext:\n  make -C %s\n  LLMT_PLUGIN_PATH=%s llm-tester providers list -v\n"
               "  (or add \"%s\" to \"plugin_paths\" in llm-tester.json)\n"
               "Then replace the TODOs in %s/%s.c with the wire format: "
               "docs/adding-a-provider.md\n",
               folder, parent ? parent : ".", parent ? parent : ".", folder, argv[1]);
        free(parent);
    } else {
        printf("\nNext:\n  llm-tester list --tasks %s\n  llm-tester run --tasks %s --models "
               "mock:oracle\nThen write your schema.json and add cases under %s/tests/\n",
               folder, folder, folder);
    }
done:
    free(cname);
    free(folder);
    free(ident);
    return rc;
}
