#define _GNU_SOURCE /* dladdr */
#include "config/shipped.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

/* Set by CMake: the providers folder relative to the installed bin/ and lib/ folders. */
#ifndef LLMT_BIN_TO_PROVIDERS
#define LLMT_BIN_TO_PROVIDERS "../share/llm-tester/providers"
#endif
#ifndef LLMT_LIB_TO_PROVIDERS
#define LLMT_LIB_TO_PROVIDERS "../share/llm-tester/providers"
#endif

/* An address inside this library, for dladdr (a function's would not be an object pointer). */
static const char anchor = 0;

/* <dir of `file`>/<rel>/<name>/config.json resolved, when it exists; else NULL. */
static char *beside(const char *file, const char *rel, const char *name)
{
    char *dir = file && *file ? llmt_path_dirname(file) : NULL;
    char *cand = dir ? llmt_asprintf("%s/%s/%s/config.json", dir, rel, name) : NULL;
    char *real = cand ? realpath(cand, NULL) : NULL;
    free(cand);
    free(dir);
    return real;
}

char *llmt_shipped_config_path(const char *name, const char *source_path)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *found = NULL;
    Dl_info info;
    if (n > 0) {
        exe[n] = '\0';
        found = beside(exe, LLMT_BIN_TO_PROVIDERS, name);
    }
    /* an application linked with libllmtester.so: the library's own folder */
    if (!found && dladdr(&anchor, &info) && info.dli_fname &&
        strchr(info.dli_fname, '/'))
        found = beside(info.dli_fname, LLMT_LIB_TO_PROVIDERS, name);
    return found ? found : llmt_strdup(source_path);
}
