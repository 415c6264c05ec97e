/* --shard K/N and --shard auto (see shard.h). */
#include "run/shard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

bool llmt_shard_parse(const char *s, int *k, int *n)
{
    char *end = NULL;
    long a, b;
    a = strtol(s, &end, 10);
    if (end == s || *end != '/')
        return false;
    s = end + 1;
    b = strtol(s, &end, 10);
    if (end == s || *end || a < 1 || b < 1 || a > b || b > LLMT_SHARD_MAX)
        return false;
    *k = (int)a;
    *n = (int)b;
    return true;
}

const char *llmt_env_getenv(void *ud, const char *name)
{
    (void)ud;
    return getenv(name);
}

/* A whole number in [lo, LLMT_SHARD_MAX] from a variable; false when absent or malformed
 * (with the reason in err when it was present). */
static bool env_long(llmt_env_lookup get, void *ud, const char *name, long lo, long *out,
                     char *err, size_t errlen)
{
    const char *v = get(ud, name);
    char *end = NULL;
    long x;
    if (!v)
        return false;
    if (!*v) {
        snprintf(err, errlen, "%s is set but empty", name);
        return false;
    }
    errno = 0;
    x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > LLMT_SHARD_MAX) {
        snprintf(err, errlen, "%s='%s' is not a whole number >= %ld", name, v, lo);
        return false;
    }
    *out = x;
    return true;
}

/* The shard count that Kubernetes and GNU parallel do not export themselves. */
static bool shard_count(llmt_env_lookup get, void *ud, const char *found, long *n, char *err,
                        size_t errlen)
{
    err[0] = '\0';
    if (env_long(get, ud, "LLMT_SHARD_COUNT", 1, n, err, errlen))
        return true;
    if (!err[0])
        snprintf(err, errlen,
                 "%s is set but LLMT_SHARD_COUNT is not: set it to the number of shards "
                 "(the Job's completions, or the number of parallel jobs)",
                 found);
    return false;
}

static bool set_shard(long idx0, long count, const char *what, int *k, int *n, char *err,
                      size_t errlen)
{
    if (idx0 < 0 || idx0 >= count) {
        snprintf(err, errlen, "%s: index %ld is outside 0..%ld", what, idx0, count - 1);
        return false;
    }
    *k = (int)idx0 + 1;
    *n = (int)count;
    return true;
}

static bool from_slurm(llmt_env_lookup get, void *ud, int *k, int *n, char *err, size_t errlen)
{
    long id, count, min = 0, step = 1;
    if (!env_long(get, ud, "SLURM_ARRAY_TASK_ID", 0, &id, err, errlen))
        return false;
    if (!env_long(get, ud, "SLURM_ARRAY_TASK_COUNT", 1, &count, err, errlen)) {
        if (!err[0])
            snprintf(err, errlen, "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not");
        return false;
    }
    if (get(ud, "SLURM_ARRAY_TASK_MIN") && !env_long(get, ud, "SLURM_ARRAY_TASK_MIN", 0, &min, err, errlen))
        return false;
    if (get(ud, "SLURM_ARRAY_TASK_STEP") && !env_long(get, ud, "SLURM_ARRAY_TASK_STEP", 1, &step, err, errlen))
        return false;
    if ((id - min) % step) {
        snprintf(err, errlen, "SLURM_ARRAY_TASK_ID=%ld is not MIN %ld plus a multiple of STEP %ld",
                 id, min, step);
        return false;
    }
    return set_shard((id - min) / step, count, "Slurm job array", k, n, err, errlen);
}

bool llmt_shard_auto(llmt_env_lookup get, void *ud, int *k, int *n, const char **source,
                     char *err, size_t errlen)
{
    const char *v;
    long idx, count;
    err[0] = '\0';
    if ((v = get(ud, "LLMT_SHARD")) && *v) {
        *source = "LLMT_SHARD";
        if (llmt_shard_parse(v, k, n))
            return true;
        snprintf(err, errlen, "LLMT_SHARD must be K/N with 1 <= K <= N, got '%s'", v);
        return false;
    }
    if (get(ud, "JOB_COMPLETION_INDEX")) {
        *source = "Kubernetes Indexed Job";
        return env_long(get, ud, "JOB_COMPLETION_INDEX", 0, &idx, err, errlen) &&
               shard_count(get, ud, "JOB_COMPLETION_INDEX", &count, err, errlen) &&
               set_shard(idx, count, "JOB_COMPLETION_INDEX", k, n, err, errlen);
    }
    if (get(ud, "SLURM_ARRAY_TASK_ID")) {
        *source = "Slurm job array";
        return from_slurm(get, ud, k, n, err, errlen);
    }
    if (get(ud, "PARALLEL_SEQ")) {
        *source = "GNU parallel";
        return env_long(get, ud, "PARALLEL_SEQ", 1, &idx, err, errlen) &&
               shard_count(get, ud, "PARALLEL_SEQ", &count, err, errlen) &&
               set_shard(idx - 1, count, "PARALLEL_SEQ", k, n, err, errlen);
    }
    snprintf(err, errlen,
             "no scheduler found: looked for LLMT_SHARD=K/N, JOB_COMPLETION_INDEX + "
             "LLMT_SHARD_COUNT (Kubernetes Indexed Job), SLURM_ARRAY_TASK_ID + "
             "SLURM_ARRAY_TASK_COUNT (Slurm job array), PARALLEL_SEQ + LLMT_SHARD_COUNT "
             "(GNU parallel); elsewhere give --shard K/N");
    return false;
}
