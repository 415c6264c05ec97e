#include "run/runner.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/project_config.h"
#include "core/util.h"
#include "provider/call.h"
#include "provider/manager_internal.h"
#include "run/result.h"
#include "score/validate.h"

llmt_status llmt_run_check_models(llmt_manager *mgr, const char *const *models, size_t n,
                                  llmt_error *err)
{
    size_t i;
    for (i = 0; i < n; i++) {
        llmt_provider_entry *e;
        const llmt_model_config *m;
        llmt_status st = llmt_call_resolve(llmt_manager_registry(mgr), models[i], &e, &m, err);
        if (st != LLMT_OK)
            return st;
    }
    return LLMT_OK;
}

/* Per-task state prepared once: compiled schema and scoring options. */
typedef struct task_ctx {
    llmt_schema *schema;
    json_t *schema_json;
    llmt_score_options scoring;
} task_ctx;

/* Scoring options, by precedence: command line > task.json ("scoring" and top-level
 * "skip_fields") > the project config's "scoring" > defaults. Scalars of a higher layer
 * replace lower ones; weights merge key by key; skip_fields add up. */
static llmt_status assemble_scoring(const llmt_task *t, const llmt_run_options *o,
                                    llmt_score_options *so, llmt_error *err)
{
    llmt_status st = LLMT_OK;
    char *cfg_path = llmt_project_config_find(".");
    char *task_path = NULL;
    llmt_score_options_init(so);
    if (cfg_path) {
        /* Only the "scoring" object is read here; `config validate` reports the rest. */
        llmt_diags cd = {0};
        json_t *cfg = llmt_project_config_load(cfg_path, &cd);
        if (cfg)
            st = llmt_score_options_apply_json(so, json_object_get(cfg, "scoring"), cfg_path,
                                               "/scoring", err);
        json_decref(cfg);
        llmt_diags_free(&cd);
        if (st != LLMT_OK)
            goto done;
    }
    task_path = llmt_path_join(t->dir, "task.json");
    if (!task_path) {
        st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        goto done;
    }
    st = llmt_score_options_apply_json(so, t->scoring, task_path, "/scoring", err);
    if (st == LLMT_OK && t->task_json)
        st = llmt_score_options_apply_skip_json(so, json_object_get(t->task_json, "skip_fields"),
                                                task_path, "/skip_fields", err);
    if (st != LLMT_OK || !o->scoring_override)
        goto done;
    if (o->scoring_override_mask & LLMT_SCORE_SET_LIST_MODE)
        so->list_mode = o->scoring_override->list_mode;
    if (o->scoring_override_mask & LLMT_SCORE_SET_TOLERANCE)
        so->tolerance = o->scoring_override->tolerance;
    if (o->scoring_override_mask & LLMT_SCORE_SET_THRESHOLD)
        so->threshold = o->scoring_override->threshold;
    {
        json_t *cli = json_object();
        if (!cli) {
            st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
            goto done;
        }
        if (o->scoring_override->weights)
            json_object_set(cli, "weights", o->scoring_override->weights);
        if (o->scoring_override->skip_fields)
            json_object_set(cli, "skip_fields", o->scoring_override->skip_fields);
        st = llmt_score_options_apply_json(so, cli, "command line", "", err);
        json_decref(cli);
    }
done:
    if (st != LLMT_OK)
        llmt_score_options_free(so);
    free(cfg_path);
    free(task_path);
    return st;
}

static llmt_status prepare_task(const llmt_task *t, const llmt_run_options *o, task_ctx *tc,
                                llmt_diags *diags, llmt_error *err)
{
    json_error_t je;
    llmt_status st;
    memset(tc, 0, sizeof(*tc));
    tc->schema_json = json_loads(t->schema_text, 0, &je);
    if (!tc->schema_json)
        return llmt_error_set(err, LLMT_E_CONFIG, "%s: invalid JSON at line %d, column %d: %s",
                              t->schema_path, je.line, je.column, je.text);
    tc->schema = llmt_schema_compile(tc->schema_json, t->schema_path, diags);
    if (!tc->schema)
        return llmt_diags_to_error(diags, err) != LLMT_OK
                   ? LLMT_E_CONFIG
                   : llmt_error_set(err, LLMT_E_CONFIG, "%s: invalid schema", t->schema_path);
    st = assemble_scoring(t, o, &tc->scoring, err);
    if (st != LLMT_OK)
        return st;
    return LLMT_OK;
}

static void task_ctx_free(task_ctx *tc)
{
    llmt_score_options_free(&tc->scoring);
    llmt_schema_free(tc->schema);
    json_decref(tc->schema_json);
    memset(tc, 0, sizeof(*tc));
}

static bool matches_filter(const char *filter, const llmt_task *t, const llmt_case *c)
{
    char *id;
    bool hit;
    if (!filter || !*filter)
        return true;
    id = llmt_asprintf("%s/%s", t->name, c->name);
    hit = id && strstr(id, filter) != NULL;
    free(id);
    return hit;
}

/* Loads the case's files (images, PDFs) into memory for the request. */
static llmt_status load_files(const llmt_case *c, llmt_file **files, char ***bufs,
                              llmt_error *err)
{
    size_t i;
    *files = NULL;
    *bufs = NULL;
    if (!c->n_files)
        return LLMT_OK;
    *files = calloc(c->n_files, sizeof(**files));
    *bufs = calloc(c->n_files, sizeof(**bufs));
    if (!*files || !*bufs)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    for (i = 0; i < c->n_files; i++) {
        size_t len = 0;
        llmt_status st = llmt_read_file(c->file_paths[i], &(*bufs)[i], &len, err);
        if (st != LLMT_OK)
            return st;
        (*files)[i].path = c->file_paths[i];
        (*files)[i].mime_type = llmt_file_mime_type(c->file_paths[i]);
        (*files)[i].data = (const unsigned char *)(*bufs)[i];
        (*files)[i].size = len;
    }
    return LLMT_OK;
}

static void run_one(llmt_manager *mgr, const llmt_run_options *o, const llmt_task *t, unsigned ti,
                    const llmt_case *c, unsigned ci, const task_ctx *tc, llmt_output *out,
                    llmt_summary *summary, llmt_error *werr, bool *write_failed)
{
    llmt_case_data data;
    llmt_error err;
    llmt_status st;
    llmt_message msg;
    llmt_request req;
    llmt_file *files = NULL;
    char **bufs = NULL;
    char *user = NULL, *case_id = NULL;
    unsigned mi;
    int rep;
    llmt_error_clear(&err);
    st = llmt_case_load(t, c, &data, &err);
    if (st == LLMT_OK)
        st = load_files(c, &files, &bufs, &err);
    if (st == LLMT_OK) {
        user = data.source[0] ? llmt_asprintf("%s\n\n%s", data.prompt, data.source)
                              : llmt_strdup(data.prompt);
        case_id = llmt_asprintf("%s/%s", t->name, c->name);
    }
    for (mi = 0; mi < o->n_models; mi++) {
        for (rep = 0; rep < o->repeat; rep++) {
            llmt_response resp;
            llmt_result_input in;
            json_t *result;
            double t0 = llmt_now_ms();
            char *pname = NULL, *mname = NULL;
            llmt_error cerr = err;
            llmt_status cst = st;
            memset(&resp, 0, sizeof resp);
            llmt_split_model_ref(o->models[mi], &pname, &mname, NULL);
            if (cst == LLMT_OK) {
                memset(&req, 0, sizeof req);
                msg.role = "user";
                msg.content = user;
                req.version = LLMT_REQUEST_VERSION;
                req.messages = &msg;
                req.n_messages = 1;
                req.json_schema = t->schema_text;
                req.schema_name = t->name;
                req.files = files;
                req.n_files = c->n_files;
                req.temperature = 0;
                req.reference = data.expected_text;
                req.prompt_text = data.prompt;
                req.source_text = data.source;
                req.case_id = case_id;
                req.task_dir = t->dir;
                req.seed = llmt_manager_opts(mgr)->seed + (uint64_t)rep * 7919u;
                llmt_error_clear(&cerr);
                cst = llmt_manager_complete(mgr, o->models[mi], &req, &resp, &cerr);
            }
            memset(&in, 0, sizeof in);
            in.task = t->name;
            in.case_name = c->name;
            in.provider = pname ? pname : "";
            in.model = mname ? mname : "";
            in.repeat = rep;
            in.expected = data.expected;
            in.schema = tc->schema;
            in.scoring = &tc->scoring;
            in.response = cst == LLMT_OK ? &resp : NULL;
            in.error = cst == LLMT_OK ? NULL : &cerr;
            in.latency_ms = llmt_now_ms() - t0;
            result = llmt_result_build(&in);
            if (out->jsonl && !*write_failed &&
                llmt_output_append(out, result, werr) != LLMT_OK)
                *write_failed = true;
            llmt_summary_add(summary, ti, ci, mi, result);
            json_decref(result);
            llmt_response_clear(&resp);
            free(pname);
            free(mname);
        }
    }
    if (bufs)
        llmt_free_strv(bufs, c->n_files);
    free(files);
    free(user);
    free(case_id);
    llmt_case_data_free(&data);
}

static void make_run_id(llmt_run_meta *meta)
{
    char ts[32];
    time_t now = (time_t)meta->started_at;
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(meta->run_id, sizeof meta->run_id, "%s-%04x", ts,
             (unsigned)(llmt_hash64(ts, (uint64_t)getpid() ^ (uint64_t)llmt_now_ms()) & 0xffff));
}

llmt_status llmt_run_execute(llmt_manager *mgr, const llmt_run_options *o, llmt_run_result *out,
                             llmt_diags *diags, llmt_error *err)
{
    llmt_output output;
    size_t ti, ci;
    bool write_failed = false;
    llmt_error werr;
    llmt_status st = LLMT_OK;
    memset(out, 0, sizeof(*out));
    memset(&output, 0, sizeof output);
    llmt_error_clear(&werr);
    out->meta.started_at = llmt_wall_time_s();
    make_run_id(&out->meta);
    llmt_summary_init(&out->summary, o->models, o->n_models);
    if (o->output_dir) {
        st = llmt_output_open(&output, o->output_dir, false, err);
        if (st != LLMT_OK)
            return st;
        out->output_dir = llmt_strdup(o->output_dir);
    }
    for (ti = 0; ti < o->tasks->n_tasks && st == LLMT_OK; ti++) {
        const llmt_task *t = &o->tasks->tasks[ti];
        task_ctx tc;
        st = prepare_task(t, o, &tc, diags, err);
        for (ci = 0; st == LLMT_OK && ci < t->n_cases; ci++) {
            if (!matches_filter(o->filter, t, &t->cases[ci]))
                continue;
            out->planned += o->n_models * (size_t)o->repeat;
            run_one(mgr, o, t, (unsigned)ti, &t->cases[ci], (unsigned)ci, &tc, &output,
                    &out->summary, &werr, &write_failed);
        }
        task_ctx_free(&tc);
    }
    out->meta.finished_at = llmt_wall_time_s();
    if (st == LLMT_OK && write_failed) {
        *err = werr;
        st = werr.status;
    }
    if (st == LLMT_OK && o->output_dir) {
        llmt_output_end(&output);
        st = llmt_reports_write(o->output_dir, output.jsonl_path, &out->meta, &out->summary,
                                o->formats, err);
    }
    llmt_output_close(&output);
    return st;
}

void llmt_run_result_free(llmt_run_result *r)
{
    llmt_summary_free(&r->summary);
    free(r->output_dir);
    memset(r, 0, sizeof(*r));
}
