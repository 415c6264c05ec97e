/*
 * Structured extraction with a secondary model as fallback, from an application.
 *
 *   extract [--mock-rules FILE] [--secondary PROVIDER:MODEL] PROVIDER:MODEL SCHEMA.json PROMPT SOURCE.txt
 *
 * Asks the model for JSON matching the schema; when the call fails or the answer is not
 * valid for the schema, asks the secondary model. Prints the validated JSON on stdout,
 * and who answered, tokens and total cost on stderr. Exit 0 on a valid answer, 1 when
 * no model gave one (the schema violations are printed), 2 on usage errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llmt/llmt.h>

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n + 1);
        if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
            buf[n] = '\0';
        } else {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    const char *pos[4] = {NULL, NULL, NULL, NULL};
    llmt_manager_options mo;
    llmt_extraction_options xo;
    llmt_manager *mgr = NULL;
    llmt_extraction x;
    llmt_error err;
    char *schema = NULL, *source = NULL;
    int i, npos = 0, rc = 2;
    size_t v;

    llmt_manager_options_init(&mo, LLMT_MANAGER_OPTIONS_VERSION);
    llmt_extraction_options_init(&xo, LLMT_EXTRACTION_OPTIONS_VERSION);
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mock-rules") == 0 && i + 1 < argc)
            mo.mock_rules_path = argv[++i];
        else if (strcmp(argv[i], "--secondary") == 0 && i + 1 < argc)
            xo.secondary_model = argv[++i];
        else if (npos < 4)
            pos[npos++] = argv[i];
    }
    if (npos != 4) {
        fprintf(stderr, "usage: extract [--mock-rules FILE] [--secondary P:M] P:M SCHEMA.json "
                        "PROMPT SOURCE.txt\n");
        return 2;
    }
    xo.model = pos[0];
    schema = slurp(pos[1]);
    source = slurp(pos[3]);
    if (!schema || !source) {
        fprintf(stderr, "extract: cannot read %s\n", !schema ? pos[1] : pos[3]);
        goto done;
    }
    if (llmt_manager_new(&mgr, &mo, &err) != LLMT_OK) {
        fprintf(stderr, "extract: %s\n", err.message);
        goto done;
    }

    /* usage and cost are filled whatever happens: they count every call made */
    if (llmt_extract_structured(mgr, schema, pos[2], source, &xo, &x, &err) == LLMT_OK) {
        printf("%s\n", x.json);
        rc = 0;
    } else {
        fprintf(stderr, "extract: %s (%s)\n", err.message, llmt_status_name(err.status));
        for (v = 0; v < x.n_violations; v++)
            fprintf(stderr, "  violation: %s\n", x.violations[v]);
        rc = err.status == LLMT_E_CONFIG || err.status == LLMT_E_INVALID_ARG ? 2 : 1;
    }
    fprintf(stderr, "answered by %s%s; %u call(s); %ld input + %ld output tokens; cost %s$%.6f\n",
            x.answered_by[0] ? x.answered_by : "nobody",
            x.used_secondary ? " (secondary asked)" : "", x.calls, x.usage.input_tokens,
            x.usage.output_tokens, x.cost_known ? "" : ">= ", x.cost_usd);
    llmt_extraction_clear(&x);
done:
    llmt_manager_free(mgr);
    free(schema);
    free(source);
    return rc;
}
