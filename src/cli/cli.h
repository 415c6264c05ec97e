/* The command-line front end: a table of commands (one file each) and option tables
 * that drive both parsing and --help. Data goes to stdout, diagnostics to stderr. */
#ifndef LLMT_CLI_H
#define LLMT_CLI_H

#include <stdio.h>
#include "core/diag.h"
#include "llmt/manager.h"

/* Exit codes: documented in docs/architecture.md ("Errors and exit codes"). */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_GATE = 1,      /* a --min-accuracy gate failed */
    CLI_EXIT_USAGE = 2,     /* usage or configuration error */
    CLI_EXIT_PROVIDER = 3,  /* provider errors prevented completion */
    CLI_EXIT_INTERRUPTED = 130 /* 128 + SIGINT: the run was interrupted (also after SIGTERM) */
};

typedef enum { OPT_FLAG, OPT_COUNT, OPT_STRING, OPT_STRINGS, OPT_LONG, OPT_DOUBLE } cli_opt_kind;

typedef struct cli_strings {
    char **v;
    size_t n;
} cli_strings;

typedef struct cli_option {
    const char *name;        /* long name without "--" */
    char short_name;         /* 0 if none */
    cli_opt_kind kind;
    const char *metavar;     /* for help, e.g. "DIR" */
    const char *help;
    void *target;            /* bool*, int*, const char**, cli_strings*, long*, double* */
    bool *seen;              /* optional: set when given */
} cli_option;

/* Options every command accepts. */
typedef struct cli_common {
    int verbose;
    bool quiet;
    bool help;
    const char *config_path;
    const char *seed_text;
    cli_strings provider_options; /* --provider-option P.KEY=VALUE, for the manager */
} cli_common;

typedef struct cli_ctx {
    cli_common common;
    const char *prog;
    bool color;              /* stdout is a terminal and NO_COLOR is unset */
    llmt_logger logger;
} cli_ctx;

typedef struct cli_command {
    const char *name;
    const char *summary;
    const char *usage;       /* after "llm-tester " */
    const char *description; /* may be NULL */
    const char *examples;    /* lines, each a full command */
    int (*run)(cli_ctx *ctx, int argc, char **argv);
} cli_command;

/* Parses argv (argv[0] is the command name) with the command's table plus the common
 * options. Positional arguments are moved to the front of argv; *npos gets their count.
 * Returns 0, or CLI_EXIT_USAGE after printing a one-line error. */
int cli_parse(cli_ctx *ctx, const cli_command *cmd, const cli_option *opts, int argc, char **argv,
              int *npos);
void cli_print_help(const cli_command *cmd, const cli_option *opts, FILE *f);
void cli_strings_free(cli_strings *s);

/* One-line error on stderr: "llm-tester: <message>". */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints every diagnostic to stderr (warnings only at -v unless `all`). */
void cli_print_diags(const cli_ctx *ctx, const llmt_diags *d, bool all);
/* Maps a library status to an exit code. */
int cli_exit_for(llmt_status st);

/* The project config: --config FILE, else llm-tester.json (or pyllm_config.json) found
 * from the current directory upward; malloc'd, NULL when there is none. */
char *cli_project_config_path(const cli_ctx *ctx);
/* Creates the manager with the context's logger, seed and project config (see
 * cli_project_config_path). Prints the error itself. */
int cli_manager(cli_ctx *ctx, llmt_manager **out, const char *mock_rules);
uint64_t cli_seed(const cli_ctx *ctx);
/* LLMT_PLUGIN_PATH, then the project config's plugin_paths (colon-separated); malloc'd,
 * NULL when empty. */
char *cli_plugin_path(const cli_ctx *ctx);

/* The commands (cmd_*.c). */
int cmd_run(cli_ctx *ctx, int argc, char **argv);
int cmd_list(cli_ctx *ctx, int argc, char **argv);
int cmd_providers(cli_ctx *ctx, int argc, char **argv);
int cmd_models(cli_ctx *ctx, int argc, char **argv);
int cmd_config(cli_ctx *ctx, int argc, char **argv);
int cmd_score(cli_ctx *ctx, int argc, char **argv);
int cmd_prices(cli_ctx *ctx, int argc, char **argv);
int cmd_costs(cli_ctx *ctx, int argc, char **argv);
int cmd_scaffold(cli_ctx *ctx, int argc, char **argv);
int cmd_doctor(cli_ctx *ctx, int argc, char **argv);
int cmd_report(cli_ctx *ctx, int argc, char **argv);
int cmd_history(cli_ctx *ctx, int argc, char **argv);
int cmd_merge(cli_ctx *ctx, int argc, char **argv);
int cmd_cache(cli_ctx *ctx, int argc, char **argv);
int cmd_batches(cli_ctx *ctx, int argc, char **argv);
int cmd_import(cli_ctx *ctx, int argc, char **argv);
int cmd_init(cli_ctx *ctx, int argc, char **argv);
/* Writes the scaffolded example task (schema, task.json, one case) into `folder`, which
 * must not exist; prints each file created. 0 or an exit code (error printed). */
int cli_scaffold_task(const char *folder, const char *name);
int cmd_keys(cli_ctx *ctx, int argc, char **argv);
/* The response cache path: explicit, else $LLMT_CACHE_DB, else the default. */
char *cli_cache_path(const char *explicit_path);
int cmd_recommend(cli_ctx *ctx, int argc, char **argv);
/* The history database path: explicit, else $LLMT_HISTORY_DB, else the default. */
char *cli_history_path(const char *explicit_path);

extern const cli_command cli_commands[];
const cli_command *cli_find_command(const char *name);

#endif
