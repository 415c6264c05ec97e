/* Cassette files (src/store/cassette.c): any content loads or is refused naming the
 * file; what loads is written back and loads again to as many exchanges, and a lookup
 * answers or misses with a message naming the case, never a crash. */
#include <string.h>

#include "core/util.h"
#include "fuzz.h"
#include "store/cassette.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = fuzz_write("cas/t.jsonl", data, size);
    char *dir = llmt_concat3(fuzz_dir(), "/", "cas");
    llmt_cassette *c = NULL;
    llmt_error err;
    llmt_cassette_entry who;
    const llmt_cassette_entry *got = NULL;
    size_t n;
    llmt_status st = llmt_cassette_open(&c, dir, LLMT_CASSETTE_RECORD, &err);
    if (st != LLMT_OK) {
        FUZZ_CHECK(c == NULL, "a refused cassette was opened");
        FUZZ_CHECK(strstr(err.message, "t.jsonl") != NULL, "the refusal does not name the file: %s",
                   err.message);
        goto done;
    }
    n = llmt_cassette_count(c);
    FUZZ_CHECK(llmt_cassette_write(c, &err) == LLMT_OK, "not written back: %s", err.message);
    llmt_cassette_free(c);
    c = NULL;
    if (n == 0) /* nothing to write: the file is as it was */
        goto done;
    st = llmt_cassette_open(&c, dir, LLMT_CASSETTE_REPLAY, &err);
    FUZZ_CHECK(st == LLMT_OK, "what was written does not load again: %s", err.message);
    FUZZ_CHECK(llmt_cassette_count(c) == n, "%zu exchanges written, %zu read back", n,
               llmt_cassette_count(c));
    memset(&who, 0, sizeof who);
    who.task = "t";
    who.kase = "a";
    who.model = "m:x";
    who.attempt = 1;
    st = llmt_cassette_find(c, &who, "{\"model\":\"x\"}", &got, &err);
    FUZZ_CHECK(st == LLMT_OK || (st == LLMT_E_NOT_RECORDED && strstr(err.message, "t/a with m:x")),
               "a lookup neither answers nor says why: %s", err.message);
done:
    llmt_cassette_free(c);
    free(dir);
    free(path);
    return 0;
}
