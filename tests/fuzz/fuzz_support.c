/* Helpers shared by the harnesses (fuzz.h). */
#define _XOPEN_SOURCE 700 /* nftw */
#include "fuzz.h"

#include <errno.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The scratch folder of this process: one per harness run, removed at exit. */
static struct fuzz_scratch {
    char dir[64];
    int ready;
} fuzz_scratch;

char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    FUZZ_CHECK(s != NULL, "out of memory");
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

char *fuzz_bytes(const uint8_t *data, size_t size)
{
    char *s = malloc(size ? size : 1);
    FUZZ_CHECK(s != NULL, "out of memory");
    if (size)
        memcpy(s, data, size);
    return s;
}

size_t fuzz_split(const uint8_t *data, size_t size, char **parts, size_t *lens, size_t max)
{
    size_t n = 0, start = 0, i;
    for (i = 0; i < max; i++) {
        parts[i] = NULL;
        if (lens)
            lens[i] = 0;
    }
    for (i = 0; i <= size && n < max; i++) {
        if (i == size || (data[i] == 0 && n + 1 < max)) {
            parts[n] = fuzz_cstr(data + start, i - start);
            if (lens)
                lens[n] = i - start;
            n++;
            start = i + 1;
        }
    }
    return n;
}

void fuzz_parts_free(char **parts, size_t max)
{
    size_t i;
    for (i = 0; i < max; i++) {
        free(parts[i]);
        parts[i] = NULL;
    }
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void fuzz_cleanup(void)
{
    if (fuzz_scratch.ready)
        nftw(fuzz_scratch.dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

const char *fuzz_dir(void)
{
    if (!fuzz_scratch.ready) {
        const char *tmp = getenv("TMPDIR");
        snprintf(fuzz_scratch.dir, sizeof fuzz_scratch.dir, "%s/llmt-fuzz-XXXXXX",
                 tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
        FUZZ_CHECK(mkdtemp(fuzz_scratch.dir) != NULL, "mkdtemp: %s", strerror(errno));
        fuzz_scratch.ready = 1;
        atexit(fuzz_cleanup);
    }
    return fuzz_scratch.dir;
}

char *fuzz_write(const char *rel, const uint8_t *data, size_t size)
{
    const char *dir = fuzz_dir();
    size_t n = strlen(dir) + strlen(rel) + 2;
    char *path = malloc(n);
    const char *slash;
    FILE *f;
    FUZZ_CHECK(path != NULL, "out of memory");
    /* the folders on the way, as mkdir -p */
    for (slash = strchr(rel, '/'); slash; slash = strchr(slash + 1, '/')) {
        snprintf(path, n, "%s/%.*s", dir, (int)(slash - rel), rel);
        FUZZ_CHECK(mkdir(path, 0700) == 0 || errno == EEXIST, "mkdir %s: %s", path,
                   strerror(errno));
    }
    snprintf(path, n, "%s/%s", dir, rel);
    f = fopen(path, "wb");
    FUZZ_CHECK(f != NULL, "%s: %s", path, strerror(errno));
    FUZZ_CHECK(size == 0 || fwrite(data, 1, size, f) == size, "%s: short write", path);
    FUZZ_CHECK(fclose(f) == 0, "%s: %s", path, strerror(errno));
    return path;
}

uint64_t fuzz_hash(const uint8_t *data, size_t size)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    size_t i;
    for (i = 0; i < size; i++) {
        h ^= data[i];
        h *= 1099511628211ull;
    }
    return h;
}
