/* A task folder (src/task/task.c): input "<task.json>\0<schema.json>\0<expected>\0<source>"
 * (missing parts get small valid defaults). Discovery keeps the task or names the file
 * at fault; a kept case loads or fails with a message. */
#include <string.h>

#include "core/util.h"
#include "fuzz.h"
#include "task/task.h"

static void put(const char *rel, char *const *parts, const size_t *lens, size_t i, size_t n,
                const char *dflt)
{
    char *path = i < n ? fuzz_write(rel, (const uint8_t *)parts[i], lens[i])
                       : fuzz_write(rel, (const uint8_t *)dflt, strlen(dflt));
    free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *parts[4];
    size_t lens[4], i, k;
    size_t n = fuzz_split(data, size, parts, lens, 4);
    char *dir;
    llmt_taskset ts = {0};
    llmt_diags diags = {0};
    llmt_error err;
    /* the task folder fuzz_dir()/t with one case, a */
    put("t/task.json", parts, lens, 0, n, "{}");
    put("t/schema.json", parts, lens, 1, n, "{\"type\":\"object\"}");
    put("t/tests/expected/a.json", parts, lens, 2, n, "{}");
    put("t/tests/sources/a.txt", parts, lens, 3, n, "text");
    dir = llmt_concat3(fuzz_dir(), "/", "t");
    llmt_error_clear(&err);
    if (llmt_tasks_discover(dir, &ts, &diags, &err) == LLMT_OK) {
        for (i = 0; i < ts.n_tasks; i++) {
            for (k = 0; k < ts.tasks[i].n_cases; k++) {
                llmt_case_data cd = {0};
                llmt_error_clear(&err);
                if (llmt_case_load(&ts.tasks[i], &ts.tasks[i].cases[k], &cd, &err) == LLMT_OK)
                    FUZZ_CHECK(cd.prompt && cd.source && cd.expected, "a case without texts");
                else
                    FUZZ_CHECK(err.message[0] != '\0', "a case refused without a message");
                llmt_case_data_free(&cd);
            }
        }
    }
    llmt_taskset_free(&ts);
    llmt_diags_free(&diags);
    free(dir);
    fuzz_parts_free(parts, 4);
    return 0;
}
