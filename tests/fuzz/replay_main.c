/*
 * The driver of a harness outside libFuzzer: runs LLVMFuzzerTestOneInput once on every
 * file named on the command line, a folder standing for its files in name order. This
 * is how ctest replays the seed corpora of tests/fuzz/corpus/ (deterministically, in the
 * gcc and the sanitizer builds, without clang). Exits non-zero when there was nothing
 * to replay, so a missing corpus does not pass silently.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data = NULL;
    size_t size = 0, cap = 0, n;
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    do {
        if (size == cap) {
            uint8_t *grown;
            cap = cap ? 2 * cap : 4096;
            grown = realloc(data, cap);
            FUZZ_CHECK(grown != NULL, "out of memory");
            data = grown;
        }
        n = fread(data + size, 1, cap - size, f);
        size += n;
    } while (n > 0);
    fclose(f);
    /* an exact-size copy, as libFuzzer passes it: reads past the end show under ASan */
    {
        uint8_t *exact = malloc(size ? size : 1);
        FUZZ_CHECK(exact != NULL, "out of memory");
        if (size)
            memcpy(exact, data, size);
        free(data);
        LLVMFuzzerTestOneInput(exact, size);
        free(exact);
    }
    return 0;
}

static int skip_hidden(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

int main(int argc, char **argv)
{
    long done = 0;
    int i;
    for (i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        if (S_ISDIR(st.st_mode)) {
            struct dirent **names = NULL;
            int n = scandir(argv[i], &names, skip_hidden, alphasort), k;
            if (n < 0) {
                fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
                return 1;
            }
            for (k = 0; k < n; k++) {
                size_t len = strlen(argv[i]) + strlen(names[k]->d_name) + 2;
                char *path = malloc(len);
                FUZZ_CHECK(path != NULL, "out of memory");
                snprintf(path, len, "%s/%s", argv[i], names[k]->d_name);
                if (replay_file(path) != 0)
                    return 1;
                done++;
                free(path);
                free(names[k]);
            }
            free(names);
        } else {
            if (replay_file(argv[i]) != 0)
                return 1;
            done++;
        }
    }
    printf("replayed %ld input%s\n", done, done == 1 ? "" : "s");
    return done > 0 ? 0 : 1;
}
