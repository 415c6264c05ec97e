/* A provider's config.json (src/config/provider_config.c, with the migration of
 * version-1 files): parsed, or refused with an error diagnostic naming the file. */
#include <string.h>

#include "config/provider_config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    llmt_diags diags = {0};
    llmt_provider_config *c = llmt_provider_config_parse(text, "fuzz/config.json", &diags);
    size_t i;
    if (c) {
        FUZZ_CHECK(diags.errors == 0, "a config with %zu errors", diags.errors);
        FUZZ_CHECK(c->name && c->name[0], "a config without a name");
        for (i = 0; i < c->n_models; i++)
            FUZZ_CHECK(c->models[i].name && c->models[i].name[0] && c->models[i].info.name,
                       "model %zu unnamed", i);
        /* a default model unless every model is disabled and none is the default */
        for (i = 0; i < c->n_models && !c->models[i].enabled && !c->models[i].is_default; i++)
            ;
        FUZZ_CHECK((llmt_provider_config_default_model(c) != NULL) == (i < c->n_models),
                   "default model %p with %zu models", (const void *)llmt_provider_config_default_model(c),
                   c->n_models);
    } else {
        FUZZ_CHECK(diags.errors > 0, "refused without an error");
    }
    for (i = 0; i < diags.count; i++)
        FUZZ_CHECK(strcmp(diags.items[i].file, "fuzz/config.json") == 0, "diagnostic names %s",
                   diags.items[i].file);
    llmt_provider_config_free(c);
    llmt_diags_free(&diags);
    free(text);
    return 0;
}
