#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cli/cli.h"
#include "config/project_config.h"
#include "core/util.h"

#ifndef LLMT_VERSION
#define LLMT_VERSION "0.0.0"
#endif

const cli_command cli_commands[] = {
    {"run", "Run tasks against models and score the answers.",
     "run [--tasks DIR] [--models PROVIDER[:MODEL] ...] [options]",
     "Every case × model (× --repeat) is sent, the JSON answer is extracted, validated\n"
     "against the task's schema and scored against the expected answer. A summary table\n"
     "goes to stdout; with --output DIR, results.jsonl (streamed), results.json and\n"
     "report.md are written there.\n\n"
     "Without --tasks, tasks_dir of llm-tester.json is used; without --models, its\n"
     "\"models\", else the default model of each enabled provider whose API key is set.\n\n"
     "Exit status: 0 all good; 1 a --min-accuracy gate failed; 2 usage or configuration\n"
     "error; 3 a case x model has no answer from the model under test (an error after\n"
     "retries, an answer only a fallback gave, a --budget skip); 130 interrupted (Ctrl-C\n"
     "or SIGTERM: what finished is written, --resume DIR continues).",
     "  llm-tester run --tasks examples/tasks --models mock:oracle\n"
     "  llm-tester run --tasks examples/tasks --models mock --dry-run\n"
     "  llm-tester run --tasks examples/tasks --models mock:noisy --seed 7 --output out --format md,json\n"
     "  llm-tester run --tasks examples/tasks --models mock:oracle --filter job_ads/nurse\n"
     "  llm-tester run --tasks examples/tasks --models mock:noisy --output out --optimize\n",
     cmd_run},
    {"list", "List the tasks and cases that would run, and the models.",
     "list [--tasks DIR] [--models PROVIDER[:MODEL] ...] [--filter S]", NULL,
     "  llm-tester list --tasks examples/tasks\n"
     "  llm-tester list --tasks examples/tasks --models mock:oracle --filter job_ads\n",
     cmd_list},
    {"score", "Score an answer against an expected JSON file, without any provider.",
     "score EXPECTED.json ACTUAL [--schema FILE] [--list-mode MODE] [--tolerance X] [--threshold T]\n"
     "       [--weight KEY=W ...] [--skip FIELD ...] [--json]",
     "ACTUAL may be a raw model reply (prose, ```json fences): the JSON is extracted first\n"
     "(whole text, else the first ```json or bare ``` block, else the first {...}). Use - to\n"
     "read it from standard input. Scoring options: command line > the project config's\n"
     "\"scoring\" > defaults. Prints the accuracy and the fields that lost points.\n\n"
     "The rules and messages are described in docs/scoring.md.\n\n"
     "Exit status: 0 scored (whatever the accuracy); 2 an input could not be read, parsed\n"
     "or has no JSON, or the schema is invalid.",
     "  llm-tester score expected.json reply.txt --schema schema.json\n"
     "  llm-tester score expected.json answer.json --list-mode set_similarity --weight title=3 --json\n",
     cmd_score},
    {"report", "Re-render reports from a results file.",
     "report RESULTS [--format LIST] [--output DIR]\n"
     "  or:  llm-tester report --compare OLD_DIR NEW_DIR [--output DIR]",
     "RESULTS is a results.json or results.jsonl written by 'run'. Reports go beside it\n"
     "unless --output is given. --compare writes compare.html: report.html in diff mode\n"
     "for two output folders (per model deltas, the cases that got worse first, the two\n"
     "answers side by side).",
     "  llm-tester report out/results.json --format html,junit\n"
     "  llm-tester report out/results.jsonl --format csv --output /tmp/reports\n"
     "  llm-tester report --compare runs/before runs/after\n",
     cmd_report},
    {"merge", "Join the outputs of several runs (e.g. shards) into one.",
     "merge DIR|results.jsonl ... --output DIR [--format LIST]",
     "Results present in several inputs are kept once (the first).",
     "  llm-tester merge shard-1 shard-2 shard-3 --output all --format md,json,html\n", cmd_merge},
    {"cache", "Inspect or clear the response cache.",
     "cache stats|clear [--older-than DAYS] [--db FILE] [--json]",
     "'run --cache readwrite' answers repeated identical requests from the cache\n"
     "(.llm-tester/cache.db or $LLMT_CACHE_DB) instead of calling the provider again.",
     "  llm-tester cache stats\n  llm-tester cache clear --older-than 30\n", cmd_cache},
    {"batches", "List or cancel the provider batches of a 'run --batch'.",
     "batches list|cancel DIR",
     "'run --batch' records each batch it submits in DIR/batches.jsonl. 'list' polls them\n"
     "and prints provider, model, batch id, state and request counts; 'cancel' asks the\n"
     "provider to cancel those still running (their finished lines are still billed).",
     "  llm-tester batches list results/\n  llm-tester batches cancel results/\n", cmd_batches},
    {"history", "List, show and compare recorded runs.",
     "history list|show [RUN]|compare [RUN_A RUN_B] [--json] [--format html [--output FILE]] [--db FILE]",
     "Every 'run' is recorded in .llm-tester/history.db (or $LLMT_HISTORY_DB, or --history on\n"
     "run). RUN is a run id, a unique prefix of one, a --label given to run (its newest\n"
     "run), 'latest' or 'previous'; show prints the label and --seed of the run; compare\n"
     "defaults to previous vs latest and lists the cases whose accuracy changed.\n"
     "compare --format html writes the comparison page (stdout, or --output FILE); the\n"
     "history keeps figures, not answers: 'report --compare OLD_DIR NEW_DIR' shows those.",
     "  llm-tester history list\n  llm-tester history compare previous latest\n"
     "  llm-tester history compare previous latest --format html --output compare.html\n"
     "  llm-tester history show latest --json\n",
     cmd_history},
    {"recommend", "Models of a recorded run on the accuracy/cost Pareto front.",
     "recommend [RUN] [--json] [--db FILE]", NULL,
     "  llm-tester recommend\n  llm-tester recommend latest --json\n", cmd_recommend},
    {"providers", "List providers; enable or disable one for this project.",
     "providers list [--json] [-v] | providers enable|disable NAME",
     "list: one line per provider: enabled, kind (http/local), ABI version, model count,\n"
     "key variable and origin (built-in, or the plugin's .so). Plugins come from\n"
     "LLMT_PLUGIN_PATH and \"plugin_paths\" in llm-tester.json; with -v, plugins that were\n"
     "refused are listed with the reason.\n"
     "enable/disable write \"providers\": {NAME: {\"enabled\": ...}} into the project's\n"
     "llm-tester.json (created in the current directory when there is none).",
     "  llm-tester providers list\n  LLMT_PLUGIN_PATH=plugins llm-tester providers list -v\n"
     "  llm-tester providers disable mock\n", cmd_providers},
    {"models", "List, add, edit, remove a provider's models; choose the default.",
     "models list PROVIDER [--json] | models add|edit|remove|set-default PROVIDER MODEL [fields]",
     "Changes go to the project's override file providers/PROVIDER.json beside\n"
     "llm-tester.json (created on first write), never to the shipped config. A failed\n"
     "change (duplicate, unknown model, bad value) leaves the file untouched.\n"
     "'models list' says which file each model's settings came from.",
     "  llm-tester models list mock\n"
     "  llm-tester models add mock cheap-oracle --cost-input 0.05 --cost-output 0.2 --cost-category cheap\n"
     "  llm-tester models edit mock oracle --cost-input 0.2 --enabled yes\n"
     "  llm-tester models set-default mock noisy\n"
     "  llm-tester models remove mock cheap-oracle\n", cmd_models},
    {"prices", "Compare the prices of enabled models.",
     "prices list [--provider P ...] [--match REGEX] [--max-cost USD] [--min-context N] "
     "[--sort total_cost|name|provider|context|input|output] [--desc] [--json]",
     "Input and output cost are USD per 1M tokens; TOTAL is their sum; CONTEXT is\n"
     "max input + max output tokens. Models without a price sort last.",
     "  llm-tester prices list\n"
     "  llm-tester prices list --max-cost 1 --sort context --desc\n"
     "  llm-tester prices list --match 'oracle|noisy' --json\n", cmd_prices},
    {"costs", "Update model prices and limits from a provider's model catalog.",
     "costs update [--provider P ...] [--from FILE] [--dry-run]",
     "Fetches the catalog of the provider that offers one (or reads FILE, saved from\n"
     "that provider's models endpoint) and updates cost_input, cost_output and token\n"
     "limits of our models whose catalog id is PROVIDER/MODEL or their \"catalog_id\".\n"
     "A price change above 0.001 USD per 1M counts as updated. Catalog models the\n"
     "catalog provider lacks are added to it, disabled, with a category from their price.\n"
     "Writes go to the project's providers/*.json overrides; --dry-run writes nothing.",
     "  llm-tester costs update --dry-run\n"
     "  llm-tester costs update --from models.json --provider mock\n", cmd_costs},
    {"scaffold", "Create a working provider plugin or task folder to start from.",
     "scaffold provider NAME [--dir DIR] | scaffold task NAME [--dir DIR]",
     "provider: DIR/NAME/ (default plugins/NAME/) with NAME.c (the provider vtable, TODOs\n"
     "where the wire format goes), config.json and a Makefile; it builds with make and\n"
     "loads from the plugin path (LLMT_PLUGIN_PATH or \"plugin_paths\" in llm-tester.json).\n"
     "task: DIR/NAME/ (default tasks/NAME/) with schema.json, task.json and one example\n"
     "case, ready for list and run --models mock:oracle.\n"
     "An existing folder is never overwritten (exit 2).",
     "  llm-tester scaffold provider acme\n"
     "  llm-tester scaffold task invoices --dir examples/tasks\n",
     cmd_scaffold},
    {"doctor", "Check providers: enabled, API keys (redacted), base URLs, reachability.",
     "doctor [--ping] [--timeout SECONDS] [--json]",
     "Per provider: whether it is enabled, the environment variable its API key is read\n"
     "from and whether it is set (in the environment or the project's .env; shown\n"
     "redacted as sk-...abcd), and the base URL in effect (LLMT_<PROVIDER>_BASE_URL\n"
     "overrides the config). --ping sends one GET to each enabled HTTP provider's base\n"
     "URL, without credentials: any HTTP answer counts as reachable.\n\n"
     "Exit status: 0; 3 when --ping found an unreachable provider.",
     "  llm-tester doctor\n  llm-tester doctor --ping\n  llm-tester doctor --json\n",
     cmd_doctor},
    {"init", "Start a project here: llm-tester.json, an example task, .gitignore.",
     "init",
     "In the current folder: llm-tester.json (current config_version; tasks_dir \"tasks\",\n"
     "output_dir \"out\", default models: the mock, or each provider whose API key is set),\n"
     "tasks/example/ (a task that runs at once), out/, and a .gitignore holding .env and\n"
     ".llm-tester/. Never overwrites: when any of them exists, nothing is written (exit 2).\n"
     "Right after it, 'llm-tester run --models mock:oracle' needs no other option.",
     "  llm-tester init\n  llm-tester init && llm-tester run --models mock:oracle\n", cmd_init},
    {"keys", "Set, list or remove API keys in the project's .env.",
     "keys set [NAME] | keys list [--json] | keys remove NAME",
     "set NAME: reads the value without echo from the terminal (or from standard input when\n"
     "  it is not one) and writes NAME=value to the project's .env (created with mode 0600;\n"
     "  a warning when an existing .env is readable by others). The value is never printed.\n"
     "  Without NAME, offers the key variable of every enabled provider in turn (an empty\n"
     "  answer keeps the current value).\n"
     "list: every enabled provider's key variable, where its value comes from (environment\n"
     "  or .env) and the value redacted (sk-...abcd). The environment wins over .env.\n"
     "remove NAME: deletes NAME from .env.",
     "  llm-tester keys set OPENAI_API_KEY\n  printf '%s' \"$KEY\" | llm-tester keys set ANTHROPIC_API_KEY\n"
     "  llm-tester keys set\n  llm-tester keys list\n  llm-tester keys remove OPENAI_API_KEY\n",
     cmd_keys},
    {"import", "Import pydantic-llm-tester tasks (py_models) as llm-tester tasks.",
     "import DIR --output TASKS_DIR",
     "DIR is a pydantic-llm-tester py_models folder or one task folder in it. For each task,\n"
     "model.py is imported (with a stand-in for the old pydantic_llm_tester package), the main\n"
     "model class is chosen as the Python tool did (named after the task in singular\n"
     "CamelCase, else Model, else the only one; else the only BasePyModel subclass, else the\n"
     "class the others hang from), its model_json_schema() becomes schema.json and its\n"
     "get_skip_fields() task.json skip_fields. Cases are those the class's get_test_cases\n"
     "pairs (sources/<case>.txt + prompts/<case>.txt + expected/<case>.json, plus a task's\n"
     "own cases such as job_ads' image case); their files are copied to\n"
     "TASKS_DIR/<task>/tests/. __init__.py, __pycache__, reports/, prompts/optimized/ and\n"
     "leftovers are listed as skipped, with the reason. Existing task folders are never\n"
     "overwritten.\n\n"
     "Needs python3 with pydantic 2 (LLMT_PYTHON names another interpreter); without them,\n"
     "exit 2 saying what to install. Nothing else in llm-tester uses Python.",
     "  llm-tester import ~/project/py_models --output tasks\n"
     "  llm-tester import py_models/job_ads --output tasks && llm-tester run --tasks tasks --models mock:oracle\n",
     cmd_import},
    {"config", "Validate, show or migrate configuration.",
     "config validate [FILE...] | config show [--json] | config migrate [FILE...] [--write]",
     "validate: checks the shipped provider configs, the project's llm-tester.json, its\n"
     "  override files providers/*.json and the tasks under tasks_dir (or the named files);\n"
     "  exit 2 on any error.\n"
     "show: the effective configuration, each value with where it came from (a file,\n"
     "  \"default\", the environment or the command line).\n"
     "migrate: prints the named files (default: the project config and its overrides)\n"
     "  at the current config_version; with --write replaces them, keeping FILE.bak.\n"
     "  A pyllm_config.json becomes llm-tester.json. Current files are left alone.",
     "  llm-tester config validate\n"
     "  llm-tester config show\n"
     "  llm-tester config migrate pyllm_config.json\n"
     "  llm-tester config migrate --write\n", cmd_config},
    {NULL, NULL, NULL, NULL, NULL, NULL}};

const cli_command *cli_find_command(const char *name)
{
    const cli_command *c;
    for (c = cli_commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

static void log_to_stderr(void *ud, llmt_log_level level, const char *msg)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    (void)ud;
    fprintf(stderr, "llm-tester: %s: %s\n", names[level], msg);
}

uint64_t cli_seed(const cli_ctx *ctx)
{
    return ctx->common.seed_text ? strtoull(ctx->common.seed_text, NULL, 10) : 0;
}

char *cli_project_config_path(const cli_ctx *ctx)
{
    char *why = NULL, *path;
    if (ctx->common.config_path)
        return llmt_strdup(ctx->common.config_path);
    path = llmt_project_config_find_checked(NULL, &why);
    if (why)
        cli_warn("%s", why);
    free(why);
    return path;
}

int cli_manager(cli_ctx *ctx, llmt_manager **out, const char *mock_rules)
{
    llmt_manager_options o;
    llmt_error err;
    llmt_status st;
    char *project = cli_project_config_path(ctx);
    char *plugin_path = cli_plugin_path(ctx);
    llmt_manager_options_init(&o, LLMT_MANAGER_OPTIONS_VERSION);
    o.logger = ctx->logger;
    o.seed = cli_seed(ctx);
    o.mock_rules_path = mock_rules; /* --mock-rules: an alias of --provider-option mock.rules= */
    o.provider_options = (const char *const *)ctx->common.provider_options.v;
    o.n_provider_options = ctx->common.provider_options.n;
    o.plugin_path = plugin_path;
    o.project_config_path = project;
    st = llmt_manager_new(out, &o, &err);
    free(plugin_path);
    free(project);
    if (st != LLMT_OK) {
        cli_error("%s", err.message);
        return cli_exit_for(st);
    }
    return 0;
}

static void usage(FILE *f)
{
    const cli_command *c;
    fputs("llm-tester: which LLM extracts your structured data best, for what money.\n\n"
          "Usage: llm-tester COMMAND [options]\n\nCommands:\n", f);
    for (c = cli_commands; c->name; c++)
        fprintf(f, "  %-10s %s\n", c->name, c->summary);
    fputs("\nRun 'llm-tester COMMAND --help' for a command's options and examples.\n\n"
          "Example:\n  llm-tester run --tasks examples/tasks --models mock:oracle\n", f);
}

int main(int argc, char **argv)
{
    cli_ctx ctx;
    const cli_command *cmd;
    int rc;
    const char *nc = getenv("NO_COLOR");
    memset(&ctx, 0, sizeof ctx);
    ctx.prog = argv[0];
    ctx.color = isatty(STDOUT_FILENO) && !(nc && *nc);
    ctx.logger.fn = log_to_stderr;
    ctx.logger.level = LLMT_LOG_WARN;
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        if (argc > 2 && (cmd = cli_find_command(argv[2])) != NULL) {
            char *hargv[] = {argv[2], (char *)"--help", NULL};
            return cmd->run(&ctx, 2, hargv) < 0 ? 0 : 0;
        }
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("llm-tester %s\n", LLMT_VERSION);
        /* what it was built with: a bug report wants these */
        printf("libcurl %s, jansson %s, allocator %s\n", curl_version_info(CURLVERSION_NOW)->version,
               jansson_version_str(), LLMT_MALLOC_NAME);
        return CLI_EXIT_OK;
    }
    cmd = cli_find_command(argv[1]);
    if (!cmd) {
        cli_error("unknown command '%s' (see: llm-tester --help)", argv[1]);
        return CLI_EXIT_USAGE;
    }
    rc = cmd->run(&ctx, argc - 1, argv + 1);
    cli_strings_free(&ctx.common.provider_options);
    return rc;
}
