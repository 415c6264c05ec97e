/* Which share of a run this process takes (--shard): given as K/N, or read from the
 * scheduler that started the process (--shard auto). The cases, in discovery order across
 * every task, are dealt round-robin over the N shards (runner.c), so the shards are
 * disjoint, deterministic, near-equal, and together cover the run once. */
#ifndef LLMT_SHARD_H
#define LLMT_SHARD_H

#include <stdbool.h>
#include <stddef.h>

/* Most shards one run may be split into. */
#define LLMT_SHARD_MAX 100000

/* Parses "K/N" (1 <= K <= N <= LLMT_SHARD_MAX); false when malformed. */
bool llmt_shard_parse(const char *s, int *k, int *n);

/* Looks up an environment variable: getenv, or a table in tests. */
typedef const char *(*llmt_env_lookup)(void *ud, const char *name);

/* --shard auto: the first scheduler whose variables are set, in this order:
 *   LLMT_SHARD=K/N                                      (any scheduler, explicit)
 *   JOB_COMPLETION_INDEX (0-based) + LLMT_SHARD_COUNT    (Kubernetes Indexed Job; the
 *                                                         Job sets only the index)
 *   SLURM_ARRAY_TASK_ID + SLURM_ARRAY_TASK_COUNT         (Slurm job array; the index
 *     counts from SLURM_ARRAY_TASK_MIN in steps of SLURM_ARRAY_TASK_STEP)
 *   PARALLEL_SEQ (1-based) + LLMT_SHARD_COUNT            (GNU parallel)
 * On success sets *k, *n and *source (a static description such as "Slurm job array")
 * and returns true. On failure returns false and writes why into err (what was found and
 * what is missing, or which variables were looked for). */
bool llmt_shard_auto(llmt_env_lookup get, void *ud, int *k, int *n, const char **source,
                     char *err, size_t errlen);

/* llmt_env_lookup over the process environment. */
const char *llmt_env_getenv(void *ud, const char *name);

#endif
