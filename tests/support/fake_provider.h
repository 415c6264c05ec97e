/*
 * fake_provider — a configurable in-process HTTP provider for the unit tests ("tjson")
 * and the fixture the engine, runner and batch tests start from: a fake HTTP server on
 * 127.0.0.1 (fake_http.h), a manager, providers registered from config text pointed at
 * that server, and optionally the example tasks with a run output folder.
 *
 * Wire format (spoken by the fake server's handlers or scripted replies of each test):
 *   POST {base_url}/v1/gen  {"model": m, "prompt": first message, "case": case id}
 *   (prompt and case only when the request has them; bearer key when env_key names one).
 *   A 2xx reply {"text": "...", "in": N, "out": M} is the answer and its usage. Any other
 *   status is classified by the status alone: 429 rate_limit "slow down", 402 quota
 *   "no credit", 401 auth "bad key", 400 bad_request "bad request", 503 overloaded
 *   "overloaded", anything else server "server error <status>".
 *
 * Configuration: the provider config's "options" object (so that one ops table serves
 * every test; a test picks the behaviour in the config it registers):
 *   "answer": "text" (default): the reply's "text" member, which must be a string (else
 *             bad_response "no text");
 *             "reference": the case's reference JSON (or "{}"), whatever the reply
 *             says: every answer valid and fully accurate, for tests of the runner.
 *   "input_tokens", "output_tokens": the usage when the reply has no "in" / "out" (a
 *             reply that is not JSON has neither); default 0.
 *
 * Everything fails the running cmocka test on error; nothing is global.
 */
#ifndef FAKE_PROVIDER_H
#define FAKE_PROVIDER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "fake_http.h"
#include "llmt/manager.h"
#include "llmt/provider.h"
#include "run/runner.h"

/* The provider "tjson" (capabilities: system prompt). */
extern const llmt_provider_ops fp_tjson_ops;

/* Its ops, for a test that builds a variant table on the same wire format (e.g. one with
 * a batch API): state is an llmt_wire_basic (llmt_wire_basic_init/destroy). */
llmt_status fp_build(void *state, const llmt_request *req, llmt_http_request *out,
                     llmt_error *err);
llmt_status fp_parse(void *state, const llmt_request *req, const llmt_http_response *http,
                     llmt_response *out, llmt_error *err);
llmt_status fp_classify(void *state, const llmt_http_response *http, llmt_error *err);

/* Registers ops in mgr's registry with the provider config `json` (text). base_url, when
 * not NULL, replaces the config's; "config_version": 2 and "env_key": "" are added when
 * the config has none. A config that does not parse fails the test, its diagnostics
 * printed on stderr. */
void fp_add_provider(llmt_manager *mgr, const llmt_provider_ops *ops, const char *json,
                     const char *base_url);

typedef struct fp_fx {
    fake_http_server *srv;
    llmt_manager *mgr;
    llmt_taskset ts;             /* fp_fx_tasks: examples/tasks */
    char dir[128];               /* fp_fx_tasks: a run's output folder (removed by fp_fx_stop) */
    volatile sig_atomic_t stop;  /* the runs' interrupt flag (fp_fx_run_options) */
    /* a run: fp_fx_run_options, then fp_fx_run (or another runner call on `run`) */
    llmt_run_options run;
    llmt_run_result rr;          /* the last run's: freed by the next run and by fp_fx_stop */
    llmt_diags diags;            /* every run's, freed by fp_fx_stop */
    llmt_error err;
} fp_fx;

/* Zeroes *f, starts the fake server and a manager with this run seed. */
void fp_fx_start(fp_fx *f, uint64_t seed);
/* fp_add_provider at the fake server. */
void fp_fx_add(fp_fx *f, const llmt_provider_ops *ops, const char *json);
/* Loads examples/tasks of the checkout into f->ts and names f->dir
 * /tmp/llmt-test-<tag>-<pid> (created by the run that writes there). */
void fp_fx_tasks(fp_fx *f, const char *tag);
/* How many cases f->ts holds over all its tasks. */
size_t fp_fx_cases(const fp_fx *f);
/* f->run: the options of a run over f->ts for these models (borrowed), written to f->dir
 * as JSON and Markdown, interrupted by f->stop. */
void fp_fx_run_options(fp_fx *f, const char *const *models, size_t n);
/* llmt_run_execute with f->run into f->rr, f->diags and f->err. */
llmt_status fp_fx_run(fp_fx *f);
/* Stops the server, frees the manager, the tasks and the run's result, removes f->dir
 * when named. */
void fp_fx_stop(fp_fx *f);

#endif
