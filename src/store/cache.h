/* Response cache in SQLite, keyed by the exact request (provider, model, prompts,
 * schema, structured mode, sampling settings, files), so re-running an unchanged
 * evaluation costs nothing. API keys are never part of a key or a value. */
#ifndef LLMT_CACHE_H
#define LLMT_CACHE_H

#include "llmt/provider.h"

typedef enum llmt_cache_mode {
    LLMT_CACHE_OFF = 0,
    LLMT_CACHE_READ = 1,       /* use hits, store nothing */
    LLMT_CACHE_WRITE = 2,      /* store answers, never read (refresh) */
    LLMT_CACHE_READWRITE = 3
} llmt_cache_mode;

bool llmt_cache_mode_parse(const char *s, llmt_cache_mode *out);

typedef struct llmt_cache llmt_cache;

llmt_status llmt_cache_open(llmt_cache **out, const char *path, llmt_error *err);
void llmt_cache_close(llmt_cache *c);

/* The canonical key of a prepared request to provider:model (malloc'd JSON text). */
char *llmt_cache_key(const char *provider, const llmt_request *req);

/* On a hit fills `out` (strings malloc'd; usage, model, stop reason as first answered;
 * latency 0) and returns true. */
bool llmt_cache_get(llmt_cache *c, const char *key, llmt_response *out);
/* Stores a successful response. Errors are not cached. */
llmt_status llmt_cache_put(llmt_cache *c, const char *key, const llmt_response *resp,
                           llmt_error *err);

typedef struct llmt_cache_stats {
    long long entries;
    long long hits;        /* lifetime hits recorded in the database */
    long long bytes;       /* size of keys and replies */
} llmt_cache_stats;

llmt_status llmt_cache_stats_get(llmt_cache *c, llmt_cache_stats *out, llmt_error *err);
/* Deletes every entry (or only those older than `older_than_days` when > 0). */
llmt_status llmt_cache_clear(llmt_cache *c, double older_than_days, long long *deleted,
                             llmt_error *err);

char *llmt_cache_default_path(const char *project_dir);

#endif
