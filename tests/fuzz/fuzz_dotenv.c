/* The project's .env (src/provider/secrets.c): any content gives the key or nothing,
 * never a crash or a read past a line. */
#include <string.h>

#include "core/util.h"
#include "fuzz.h"
#include "provider/secrets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = fuzz_write("env/.env", data, size);
    char *dir = llmt_concat3(fuzz_dir(), "/", "env");
    static const char *const vars[] = {"FUZZ_API_KEY", "A", "OPENAI_API_KEY"};
    size_t i;
    for (i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        char *v;
        unsetenv(vars[i]);
        v = llmt_secret_lookup(vars[i], dir);
        FUZZ_CHECK(v == NULL || (v[0] != '\0' && strlen(v) <= size), "a key out of nothing");
        FUZZ_CHECK(v == NULL || !strchr(v, '\n'), "a key over two lines");
        free(v);
    }
    free(dir);
    free(path);
    return 0;
}
