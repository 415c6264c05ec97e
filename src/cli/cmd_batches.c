/* `batches list|cancel DIR`: the batches a `run --batch` recorded in DIR/batches.jsonl,
 * polled now; cancel asks the provider to cancel those still running. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/common.h"
#include "exec/batch.h"

static void print_line(void *ud, const char *text)
{
    (void)ud;
    printf("%s\n", text);
}

int cmd_batches(cli_ctx *ctx, int argc, char **argv)
{
    const cli_option opts[] = {{NULL, 0, OPT_FLAG, NULL, NULL, NULL, NULL}};
    llmt_manager *mgr = NULL;
    llmt_error err;
    bool cancel;
    int npos, rc = cli_parse(ctx, cli_find_command("batches"), opts, argc, argv, &npos);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (npos != 2 || (strcmp(argv[0], "list") && strcmp(argv[0], "cancel"))) {
        cli_error("batches: expected 'list DIR' or 'cancel DIR' (see: llm-tester batches --help)");
        return CLI_EXIT_USAGE;
    }
    cancel = strcmp(argv[0], "cancel") == 0;
    rc = cli_manager(ctx, &mgr, NULL);
    if (rc)
        return rc;
    printf("provider\tmodel\tbatch\tstate\trequests\n");
    if (llmt_batch_list(mgr, argv[1], cancel, print_line, NULL, &err) != LLMT_OK) {
        cli_error("batches: %s", err.message);
        rc = cli_exit_for(err.status);
    }
    llmt_manager_free(mgr);
    return rc;
}
