/* The project config, llm-tester.json (src/config/project_config.c, with the migration
 * of the Python tool's file): opened as with --config, or refused with an error. */
#include <string.h>

#include "config/project_config.h"
#include "config/settings.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = fuzz_write("project/llm-tester.json", data, size);
    llmt_diags diags = {0};
    llmt_project *p = NULL;
    llmt_error err;
    llmt_error_clear(&err);
    if (llmt_project_open(path, &p, &diags, &err) == LLMT_OK) {
        size_t i;
        FUZZ_CHECK(p && json_is_object(p->root), "opened without a document");
        FUZZ_CHECK(diags.errors == 0, "opened with %zu errors", diags.errors);
        for (i = 0; llmt_settings[i].key; i++) {
            char *v = llmt_project_path_setting(p, llmt_settings[i].key);
            free(v);
            (void)llmt_project_get(p, llmt_settings[i].key);
        }
        (void)llmt_project_provider_enabled(p, "openai");
        llmt_project_free(p);
    } else {
        FUZZ_CHECK(p == NULL, "a project on failure");
        FUZZ_CHECK(err.message[0] != '\0', "refused without a message");
    }
    llmt_diags_free(&diags);
    free(path);
    return 0;
}
