/* A project's provider override, providers/<name>.json (src/config/overrides.c), laid
 * over each shipped config in turn (picked by a hash of the input): the result loads or
 * the problems are errors. */
#include <string.h>

#include "config/overrides.h"
#include "fuzz.h"
#include "provider/builtin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = 0;
    const llmt_builtin_provider *b;
    llmt_diags diags = {0};
    llmt_provider_config *c;
    char *path = fuzz_write("providers/override.json", data, size);
    for (b = llmt_builtin_providers; b->name; b++)
        n++;
    b = &llmt_builtin_providers[fuzz_hash(data, size) % n];
    c = llmt_provider_config_layered(b->config_json, b->config_path, path, &diags);
    if (c)
        FUZZ_CHECK(diags.errors == 0, "a config with %zu errors", diags.errors);
    else
        FUZZ_CHECK(diags.errors > 0, "refused without an error");
    llmt_provider_config_free(c);
    llmt_diags_free(&diags);
    free(path);
    return 0;
}
