/*
 * Plain completion with fallbacks, from an application.
 *
 *   complete [--mock-rules FILE] [--fallback PROVIDER:MODEL]... PROVIDER:MODEL PROMPT
 *
 * Sends PROMPT to the model; if it fails, tries each --fallback in order (then the
 * model's configured fallbacks). Prints the reply on stdout and who answered, tokens
 * and cost on stderr. Exit 0 on success, 1 when every model failed, 2 on usage errors.
 * Try it without any API key:
 *   complete --mock-rules rules.json --fallback mock:rules mock:noisy "Say hi as JSON"
 * (mock:noisy needs a task's expected answer, so it fails and mock:rules answers).
 */
#include <stdio.h>
#include <string.h>

#include <llmt/llmt.h>

static void log_to_stderr(void *ud, llmt_log_level level, const char *msg)
{
    (void)ud;
    fprintf(stderr, "[llmt %d] %s\n", (int)level, msg);
}

int main(int argc, char **argv)
{
    const char *fallbacks[8];
    const char *model = NULL, *prompt = NULL;
    llmt_manager_options mo;
    llmt_fallback_options fo;
    llmt_manager *mgr = NULL;
    llmt_completion c;
    llmt_request req;
    llmt_message msg;
    llmt_error err;
    size_t n_fallbacks = 0;
    int i, rc = 1;

    llmt_manager_options_init(&mo, LLMT_MANAGER_OPTIONS_VERSION);
    mo.logger.fn = log_to_stderr;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mock-rules") == 0 && i + 1 < argc)
            mo.mock_rules_path = argv[++i];
        else if (strcmp(argv[i], "--fallback") == 0 && i + 1 < argc && n_fallbacks < 8)
            fallbacks[n_fallbacks++] = argv[++i];
        else if (!model)
            model = argv[i];
        else if (!prompt)
            prompt = argv[i];
    }
    if (!model || !prompt) {
        fprintf(stderr, "usage: complete [--mock-rules FILE] [--fallback P:M]... P:M PROMPT\n");
        return 2;
    }

    /* One manager per thread; it owns provider instances and configs. */
    if (llmt_manager_new(&mgr, &mo, &err) != LLMT_OK) {
        fprintf(stderr, "complete: %s\n", err.message);
        return 2;
    }

    memset(&req, 0, sizeof req);
    req.version = LLMT_REQUEST_VERSION;
    msg.role = "user";
    msg.content = prompt;
    req.messages = &msg;
    req.n_messages = 1;
    req.temperature = -1; /* provider default */

    llmt_fallback_options_init(&fo, LLMT_FALLBACK_OPTIONS_VERSION);
    fo.fallbacks = fallbacks;
    fo.n_fallbacks = n_fallbacks;
    if (llmt_complete_with_fallbacks(mgr, model, &req, &fo, &c, &err) == LLMT_OK) {
        printf("%s\n", c.response.text);
        fprintf(stderr, "answered by %s after %u call(s); %ld input + %ld output tokens; ",
                c.answered_by, c.calls, c.response.usage.input_tokens,
                c.response.usage.output_tokens);
        if (c.response.cost_known)
            fprintf(stderr, "cost $%.6f\n", c.response.cost_usd);
        else
            fprintf(stderr, "cost unknown\n");
        if (c.models_tried > 1)
            fprintf(stderr, "%s failed first: %s: %s\n", model,
                    llmt_status_name(c.first_failure.status), c.first_failure.message);
        rc = 0;
    } else {
        /* Branch on the class, never on the message text. */
        fprintf(stderr, "complete: every model failed; last: %s (%s)%s\n", err.message,
                llmt_status_name(err.status), err.retryable ? ", retryable" : "");
    }
    llmt_completion_clear(&c);
    llmt_manager_free(mgr);
    return rc;
}
