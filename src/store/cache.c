#include "store/cache.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

struct llmt_cache {
    sqlite3 *db;
    sqlite3_stmt *get;
    sqlite3_stmt *hit;
    sqlite3_stmt *put;
};

bool llmt_cache_mode_parse(const char *s, llmt_cache_mode *out)
{
    static const char *const names[] = {"off", "read", "write", "readwrite"};
    int i;
    for (i = 0; i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (llmt_cache_mode)i;
            return true;
        }
    }
    return false;
}

char *llmt_cache_default_path(const char *project_dir)
{
    return llmt_asprintf("%s/.llm-tester/cache.db", project_dir ? project_dir : ".");
}

llmt_status llmt_cache_open(llmt_cache **out, const char *path, llmt_error *err)
{
    llmt_cache *c = calloc(1, sizeof(*c));
    llmt_status st;
    if (!c)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    st = llmt_mkdirs_for_file(path, err);
    if (st != LLMT_OK) {
        free(c);
        return st;
    }
    if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_busy_timeout(c->db, 5000);
    if (sqlite3_exec(c->db,
                     "PRAGMA journal_mode=WAL;"
                     "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, text TEXT NOT NULL,"
                     " model TEXT, stop_reason TEXT, input_tokens INTEGER, output_tokens INTEGER,"
                     " cached_input_tokens INTEGER, reasoning_tokens INTEGER, created REAL,"
                     " hits INTEGER DEFAULT 0);",
                     NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(c->db,
                           "SELECT text, model, stop_reason, input_tokens, output_tokens,"
                           " cached_input_tokens, reasoning_tokens FROM responses WHERE key = ?",
                           -1, &c->get, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(c->db, "UPDATE responses SET hits = hits + 1 WHERE key = ?", -1, &c->hit,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(c->db,
                           "INSERT OR REPLACE INTO responses (key, text, model, stop_reason, input_tokens,"
                           " output_tokens, cached_input_tokens, reasoning_tokens, created, hits)"
                           " VALUES (?,?,?,?,?,?,?,?,?,0)",
                           -1, &c->put, NULL) != SQLITE_OK)
        goto fail;
    *out = c;
    return LLMT_OK;
fail:
    st = llmt_error_set(err, LLMT_E_IO, "response cache %s: %s", path,
                        c->db ? sqlite3_errmsg(c->db) : "cannot open");
    llmt_cache_close(c);
    return st;
}

void llmt_cache_close(llmt_cache *c)
{
    if (!c)
        return;
    sqlite3_finalize(c->get);
    sqlite3_finalize(c->hit);
    sqlite3_finalize(c->put);
    sqlite3_close(c->db);
    free(c);
}

static const char *mode_name(llmt_structured_mode m)
{
    return m == LLMT_STRUCTURED_JSON_SCHEMA ? "json_schema"
           : m == LLMT_STRUCTURED_JSON_OBJECT ? "json_object" : "prompt_only";
}

char *llmt_cache_key(const char *provider, const llmt_request *req)
{
    json_t *k = json_object(), *msgs = json_array(), *files = json_array();
    char *s;
    size_t i;
    for (i = 0; i < req->n_messages; i++)
        json_array_append_new(msgs, json_pack("{s:s?, s:s?}", "role", req->messages[i].role,
                                              "content", req->messages[i].content));
    for (i = 0; i < req->n_files; i++) {
        /* files by content digest and size: the same image under another name is the same request */
        char digest[40];
        uint64_t h = 0xcbf29ce484222325ULL;
        size_t j;
        for (j = 0; j < req->files[i].size; j++) {
            h ^= req->files[i].data[j];
            h *= 0x100000001b3ULL;
        }
        snprintf(digest, sizeof digest, "%016llx:%zu", (unsigned long long)h, req->files[i].size);
        json_array_append_new(files, json_pack("{s:s?, s:s}", "mime", req->files[i].mime_type,
                                               "digest", digest));
    }
    json_object_set_new(k, "provider", json_string(provider ? provider : ""));
    json_object_set_new(k, "model", json_string(req->model ? req->model : ""));
    json_object_set_new(k, "system", req->system_prompt ? json_string(req->system_prompt) : json_null());
    json_object_set_new(k, "messages", msgs);
    json_object_set_new(k, "schema", req->json_schema ? json_string(req->json_schema) : json_null());
    json_object_set_new(k, "mode", json_string(mode_name(req->structured_mode)));
    json_object_set_new(k, "max_tokens", json_integer(req->max_tokens));
    json_object_set_new(k, "temperature", json_real(req->temperature));
    json_object_set_new(k, "files", files);
    /* simulators answer from the reference and the seed: both are part of their request */
    if (req->reference) {
        json_object_set_new(k, "reference", json_string(req->reference));
        json_object_set_new(k, "seed", json_integer((json_int_t)req->seed));
        json_object_set_new(k, "case", req->case_id ? json_string(req->case_id) : json_null());
    }
    s = json_dumps(k, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(k);
    return s;
}

static char *col_text(sqlite3_stmt *q, int i)
{
    const unsigned char *t = sqlite3_column_text(q, i);
    return t ? llmt_strdup((const char *)t) : NULL;
}

bool llmt_cache_get(llmt_cache *c, const char *key, llmt_response *out)
{
    bool hit = false;
    sqlite3_reset(c->get);
    sqlite3_bind_text(c->get, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(c->get) == SQLITE_ROW) {
        memset(out, 0, sizeof(*out));
        out->text = col_text(c->get, 0);
        out->model = col_text(c->get, 1);
        out->stop_reason = col_text(c->get, 2);
        out->usage.input_tokens = (long)sqlite3_column_int64(c->get, 3);
        out->usage.output_tokens = (long)sqlite3_column_int64(c->get, 4);
        out->usage.cached_input_tokens = (long)sqlite3_column_int64(c->get, 5);
        out->usage.reasoning_tokens = (long)sqlite3_column_int64(c->get, 6);
        hit = out->text != NULL;
    }
    sqlite3_reset(c->get);
    if (hit) {
        sqlite3_reset(c->hit);
        sqlite3_bind_text(c->hit, 1, key, -1, SQLITE_STATIC);
        sqlite3_step(c->hit);
        sqlite3_reset(c->hit);
    }
    return hit;
}

llmt_status llmt_cache_put(llmt_cache *c, const char *key, const llmt_response *resp,
                           llmt_error *err)
{
    int rc;
    sqlite3_reset(c->put);
    sqlite3_bind_text(c->put, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(c->put, 2, resp->text, -1, SQLITE_STATIC);
    sqlite3_bind_text(c->put, 3, resp->model, -1, SQLITE_STATIC);
    sqlite3_bind_text(c->put, 4, resp->stop_reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(c->put, 5, resp->usage.input_tokens);
    sqlite3_bind_int64(c->put, 6, resp->usage.output_tokens);
    sqlite3_bind_int64(c->put, 7, resp->usage.cached_input_tokens);
    sqlite3_bind_int64(c->put, 8, resp->usage.reasoning_tokens);
    sqlite3_bind_double(c->put, 9, llmt_wall_time_s());
    rc = sqlite3_step(c->put);
    sqlite3_reset(c->put);
    if (rc != SQLITE_DONE)
        return llmt_error_set(err, LLMT_E_IO, "response cache: %s", sqlite3_errmsg(c->db));
    return LLMT_OK;
}

llmt_status llmt_cache_stats_get(llmt_cache *c, llmt_cache_stats *out, llmt_error *err)
{
    sqlite3_stmt *q = NULL;
    memset(out, 0, sizeof(*out));
    if (sqlite3_prepare_v2(c->db,
                           "SELECT COUNT(*), COALESCE(SUM(hits),0),"
                           " COALESCE(SUM(LENGTH(key) + LENGTH(text)),0) FROM responses",
                           -1, &q, NULL) != SQLITE_OK)
        return llmt_error_set(err, LLMT_E_IO, "response cache: %s", sqlite3_errmsg(c->db));
    if (sqlite3_step(q) == SQLITE_ROW) {
        out->entries = sqlite3_column_int64(q, 0);
        out->hits = sqlite3_column_int64(q, 1);
        out->bytes = sqlite3_column_int64(q, 2);
    }
    sqlite3_finalize(q);
    return LLMT_OK;
}

llmt_status llmt_cache_clear(llmt_cache *c, double older_than_days, long long *deleted,
                             llmt_error *err)
{
    sqlite3_stmt *q = NULL;
    int rc;
    if (sqlite3_prepare_v2(c->db, "DELETE FROM responses WHERE created < ?", -1, &q, NULL) != SQLITE_OK)
        return llmt_error_set(err, LLMT_E_IO, "response cache: %s", sqlite3_errmsg(c->db));
    sqlite3_bind_double(q, 1, older_than_days > 0 ? llmt_wall_time_s() - older_than_days * 86400.0
                                                  : 1e300);
    rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return llmt_error_set(err, LLMT_E_IO, "response cache: %s", sqlite3_errmsg(c->db));
    if (deleted)
        *deleted = sqlite3_changes(c->db);
    return LLMT_OK;
}
