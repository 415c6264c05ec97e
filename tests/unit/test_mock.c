/* The mock provider: oracle, noisy (seeded), rules; realistic token counts; error and latency
 * simulation, determinism under a seed, task-local rules (the second half drives the ops
 * table directly, so simulated latency costs no time). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "core/diag.h"
#include "core/util.h"
#include "llmt/manager.h"
#include "provider/tokens.h"
#include "providers/mock/mock.h"

static const char *reference =
    "{\"title\":\"Senior Backend Engineer\",\"company\":\"Acme GmbH\",\"salary\":{\"min\":85000,"
    "\"max\":105000},\"skills\":[\"go\",\"sql\",\"kubernetes\"],\"remote\":true}";

static llmt_status ask(llmt_manager *m, const char *model, const char *case_id, llmt_response *out,
                       llmt_error *err)
{
    llmt_message msg = {"user", "Extract the job.\n\nWe are hiring a Senior Backend Engineer."};
    llmt_request req;
    memset(&req, 0, sizeof req);
    req.version = LLMT_REQUEST_VERSION;
    req.messages = &msg;
    req.n_messages = 1;
    req.reference = reference;
    req.case_id = case_id;
    req.prompt_text = "Extract the job.";
    req.source_text = "We are hiring a Senior Backend Engineer.";
    return llmt_manager_complete(m, model, &req, out, err);
}

static llmt_manager *manager(uint64_t seed, const char *rules)
{
    llmt_manager_options o;
    llmt_manager *m = NULL;
    llmt_error err;
    llmt_manager_options_init(&o, LLMT_MANAGER_OPTIONS_VERSION);
    o.seed = seed;
    o.mock_rules_path = rules;
    assert_int_equal(llmt_manager_new(&m, &o, &err), LLMT_OK);
    return m;
}

static void test_oracle_returns_reference(void **state)
{
    llmt_manager *m = manager(0, NULL);
    llmt_response r;
    llmt_error err;
    (void)state;
    assert_int_equal(ask(m, "mock:oracle", "t/c", &r, &err), LLMT_OK);
    assert_string_equal(r.text, reference);
    assert_true(r.usage.input_tokens > 5);
    assert_int_equal(r.usage.output_tokens, llmt_estimate_tokens(reference));
    assert_true(r.cost_known);
    assert_true(r.cost_usd > 0);
    llmt_response_clear(&r);
    llmt_manager_free(m);
}

static void test_noisy_is_deterministic_and_differs(void **state)
{
    llmt_manager *a = manager(42, NULL), *b = manager(42, NULL), *c = manager(43, NULL);
    llmt_response ra, rb, rc;
    llmt_error err;
    json_t *ref = json_loads(reference, 0, NULL), *ja;
    int differs_by_seed = 0, i;
    (void)state;
    for (i = 0; i < 5; i++) {
        char id[16];
        snprintf(id, sizeof id, "t/c%d", i);
        assert_int_equal(ask(a, "mock:noisy", id, &ra, &err), LLMT_OK);
        assert_int_equal(ask(b, "mock:noisy", id, &rb, &err), LLMT_OK);
        assert_int_equal(ask(c, "mock:noisy", id, &rc, &err), LLMT_OK);
        assert_string_equal(ra.text, rb.text); /* same seed, same case: same answer */
        ja = json_loads(ra.text, 0, NULL);
        assert_non_null(ja);
        assert_false(json_equal(ja, ref)); /* always perturbed */
        json_decref(ja);
        differs_by_seed += strcmp(ra.text, rc.text) != 0;
        llmt_response_clear(&ra);
        llmt_response_clear(&rb);
        llmt_response_clear(&rc);
    }
    assert_true(differs_by_seed > 0);
    json_decref(ref);
    llmt_manager_free(a);
    llmt_manager_free(b);
    llmt_manager_free(c);
}

static char *write_tmp(const char *content)
{
    char *path = strdup("/tmp/llmt_mock_rules_XXXXXX");
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs(content, f);
    fclose(f);
    return path;
}

/* Run options reach the provider they name, and only it: mock.rules=FILE is the rules
 * file; an unknown provider or a malformed string is refused by llmt_manager_new. */
static void test_provider_options_go_to_their_provider(void **state)
{
    char *path = write_tmp("{\"rules\":[],\"default\":\"from the option\"}");
    char *spec = llmt_asprintf("mock.rules=%s", path);
    const char *good[] = {spec}, *unknown[] = {spec, "nosuch.key=1"}, *bad[] = {"mockrules=x"};
    llmt_manager_options o;
    llmt_manager *m = NULL;
    llmt_response r;
    llmt_error err;
    (void)state;
    llmt_manager_options_init(&o, LLMT_MANAGER_OPTIONS_VERSION);
    o.provider_options = good;
    o.n_provider_options = 1;
    assert_int_equal(llmt_manager_new(&m, &o, &err), LLMT_OK);
    assert_int_equal(ask(m, "mock:rules", "t/c", &r, &err), LLMT_OK);
    assert_string_equal(r.text, "from the option");
    llmt_response_clear(&r);
    llmt_manager_free(m);
    m = NULL;
    o.provider_options = unknown;
    o.n_provider_options = 2;
    assert_int_equal(llmt_manager_new(&m, &o, &err), LLMT_E_INVALID_ARG);
    assert_non_null(strstr(err.message, "unknown provider 'nosuch'"));
    o.provider_options = bad;
    o.n_provider_options = 1;
    assert_int_equal(llmt_manager_new(&m, &o, &err), LLMT_E_INVALID_ARG);
    assert_non_null(strstr(err.message, "PROVIDER.KEY=VALUE"));
    assert_null(m);
    unlink(path);
    free(path);
    free(spec);
}

/* Asks mock:rules about case t/c with a rules file holding `rules`: the status, the reply
 * in *r (caller clears) and the error in *err. The file is removed afterwards; its path is
 * in *path (caller frees). */
static llmt_status ask_rules(const char *rules, llmt_response *r, llmt_error *err, char **path)
{
    llmt_manager *m;
    llmt_status st;
    *path = write_tmp(rules);
    m = manager(0, *path);
    st = ask(m, "mock:rules", "t/c", r, err);
    llmt_manager_free(m);
    unlink(*path);
    return st;
}

static void test_rules_first_match_wins(void **state)
{
    llmt_response r;
    llmt_error err;
    char *path;
    (void)state;
    assert_int_equal(ask_rules("{\"rules\":[{\"contains\":\"Nothing here\",\"reply\":\"no\"},"
                               "{\"regex\":\"Senior [A-Z][a-z]+ Engineer\",\"in\":\"source\","
                               "\"reply\":{\"hit\":1}},"
                               "{\"contains\":\"Senior\",\"reply\":\"second\"}],"
                               "\"default\":\"fallback\"}",
                               &r, &err, &path), LLMT_OK);
    assert_string_equal(r.text, "{\"hit\":1}");
    llmt_response_clear(&r);
    free(path);
}

static void test_rules_prompt_scope_and_default(void **state)
{
    llmt_response r;
    llmt_error err;
    char *path;
    (void)state;
    /* "Senior" is only in the source, so the prompt-scoped rule must not match */
    assert_int_equal(ask_rules("{\"rules\":[{\"contains\":\"Senior\",\"in\":\"prompt\","
                               "\"reply\":\"no\"}],\"default\":\"fallback\"}",
                               &r, &err, &path), LLMT_OK);
    assert_string_equal(r.text, "fallback");
    llmt_response_clear(&r);
    free(path);
}

static void test_rules_errors_name_file(void **state)
{
    llmt_response r;
    llmt_error err;
    char *path;
    (void)state;
    assert_int_equal(ask_rules("{\"rules\":[{\"regex\":\"(unclosed\",\"reply\":\"x\"}]}", &r,
                               &err, &path), LLMT_E_CONFIG);
    assert_non_null(strstr(err.message, path));
    assert_non_null(strstr(err.message, "/rules/0/regex"));
    free(path);
}

static void test_token_estimate_is_not_a_word_count(void **state)
{
    (void)state;
    assert_int_equal(llmt_estimate_tokens(""), 0);
    assert_int_equal(llmt_estimate_tokens("hello"), 1);
    assert_int_equal(llmt_estimate_tokens("hello world"), 2);
    /* JSON punctuation and digits cost tokens that a word count misses */
    assert_true(llmt_estimate_tokens("{\"a\":123456,\"b\":[1,2,3]}") >= 10);
    /* long words split into several tokens */
    assert_true(llmt_estimate_tokens("internationalization") >= 3);
    /* non-ASCII text costs more per character than ASCII */
    assert_true(llmt_estimate_tokens("日本語のテキスト") >= 6);
}

/* The estimate never counts more tokens than a text has bytes: the call path skips the
 * counting pass for a prompt shorter in bytes than the model's max_input_tokens. Random
 * byte strings from an alphabet of every class the estimator knows. */
static void test_token_estimate_at_most_bytes(void **state)
{
    static const char alphabet[] = " \t\n{}[]\":,.-_0123456789aZ\xc3\xa9\xe6\x97\xa5\x80\xff!";
    char text[64];
    uint64_t x = 0x853c49e6748fea9bu;
    int round;
    (void)state;
    for (round = 0; round < 20000; round++) {
        size_t n, i;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        n = (size_t)(x % (sizeof text - 1));
        for (i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            text[i] = alphabet[x % (sizeof alphabet - 1)];
        }
        assert_true(llmt_estimate_tokens_n(text, n) <= (long)n);
    }
}

/* ---- rules files: errors, latency, determinism, task-local rules ---------------- */

extern const llmt_provider_ops llmt_provider_mock;

typedef struct fx {
    char dir[64];
    char *rules_path;
    void *state;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof f->dir, "/tmp/llmt-test-mock-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    f->rules_path = llmt_path_join(f->dir, "rules.json");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    char *cmd = llmt_asprintf("rm -rf '%s'", f->dir);
    int rc = system(cmd);
    if (f->state)
        llmt_provider_mock.destroy(f->state);
    free(cmd);
    free(f->rules_path);
    free(f);
    return rc == 0 ? 0 : -1;
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char *p = llmt_path_join(dir, name);
    assert_int_equal(llmt_write_file_atomic(p, text, strlen(text), NULL), LLMT_OK);
    free(p);
}

/* init with a rules file (text written to <dir>/rules.json) and a seed */
static llmt_status init_mock(fx *f, const char *rules, uint64_t seed, llmt_error *err)
{
    llmt_provider_settings s;
    char *opts = NULL;
    llmt_status st;
    if (rules) {
        write_file(f->dir, "rules.json", rules);
        opts = llmt_asprintf("{\"rules\": \"%s\"}", f->rules_path);
    }
    memset(&s, 0, sizeof s);
    s.version = LLMT_PROVIDER_SETTINGS_VERSION;
    s.name = "mock";
    s.seed = seed;
    s.options_json = opts;
    llmt_error_clear(err);
    if (f->state) {
        llmt_provider_mock.destroy(f->state);
        f->state = NULL;
    }
    st = llmt_provider_mock.init(&f->state, &s, err);
    free(opts);
    return st;
}

/* init_mock that must succeed */
static void mock_with(fx *f, const char *rules, uint64_t seed)
{
    llmt_error err;
    if (init_mock(f, rules, seed, &err) != LLMT_OK)
        fail_msg("mock init: %s", err.message);
}

typedef struct call_in {
    const char *model;
    const char *prompt;
    const char *source;
    const char *case_id;
    const char *task_dir;
    unsigned version;
} call_in;

static llmt_status call_mock(fx *f, const call_in *in, llmt_response *out, llmt_error *err)
{
    llmt_request req;
    llmt_message msg;
    llmt_model_info info;
    char *user = llmt_asprintf("%s\n\n%s", in->prompt ? in->prompt : "",
                               in->source ? in->source : "");
    llmt_status st;
    memset(&req, 0, sizeof req);
    memset(&info, 0, sizeof info);
    memset(out, 0, sizeof(*out));
    msg.role = "user";
    msg.content = user;
    req.version = in->version ? in->version : LLMT_REQUEST_VERSION;
    req.model = in->model ? in->model : "rules";
    req.model_info = &info;
    req.messages = &msg;
    req.n_messages = 1;
    req.prompt_text = in->prompt;
    req.source_text = in->source;
    req.reference = "{\"a\": 1}";
    req.case_id = in->case_id;
    req.task_dir = in->task_dir;
    llmt_error_clear(err);
    st = llmt_provider_mock.call(f->state, &req, out, err);
    free(user);
    return st;
}

/* A call of `in` answers `want`. */
static void expect_reply(fx *f, const call_in *in, const char *want)
{
    llmt_response r;
    llmt_error err;
    llmt_status st = call_mock(f, in, &r, &err);
    if (st != LLMT_OK)
        fail_msg("mock call: %s", err.message);
    assert_string_equal(r.text, want);
    llmt_response_clear(&r);
}

static void test_mock_rules_first_match_wins_by_substring_regex_and_place(void **state)
{
    fx *f = *state;
    call_in in = {0};
    mock_with(f, "{\"rules\": ["
              " {\"contains\": \"invoice\", \"in\": \"source\", \"reply\": \"S\"},"
              " {\"regex\": \"^Extract [a-z]+ now$\", \"in\": \"prompt\", \"reply\": {\"k\": [1, 2]}},"
              " {\"contains\": \"invoice\", \"reply\": \"ANY\"}],"
              " \"default\": \"D\"}", 1);
    in.prompt = "Extract fields now";
    in.source = "an invoice";
    expect_reply(f, &in, "S");
    in.source = "a letter";
    expect_reply(f, &in, "{\"k\":[1,2]}");
    /* "invoice" only in the prompt: the source rule does not match, the "any" one does */
    in.prompt = "Extract the invoice";
    expect_reply(f, &in, "ANY");
    in.prompt = "nothing";
    expect_reply(f, &in, "D");
}

static void expect_invalid(fx *f, const char *rules, const char *needle);

/* Regexes are PCRE2 with bounds: glibc's regcomp took 3 GB for "a+++...", and a
 * backtracking pattern must fail the call, not hang the run. */
static void test_mock_regex_is_bounded(void **state)
{
    fx *f = *state;
    llmt_response r;
    llmt_error err;
    call_in in = {0};
    char subject[64];
    expect_invalid(f, "{\"rules\": [{\"regex\": \"a+++++++++++++++++++++\", \"reply\": \"x\"}]}",
                   "/rules/0/regex: invalid regular expression");
    mock_with(f, "{\"rules\": [{\"regex\": \"^(a+)+$\", \"in\": \"source\", "
              "\"reply\": \"x\"}], \"default\": \"D\"}", 1);
    memset(subject, 'a', 40);
    subject[40] = '!';
    subject[41] = '\0';
    in.source = subject;
    assert_int_equal(call_mock(f, &in, &r, &err), LLMT_E_CONFIG);
    assert_non_null(strstr(err.message, "/rules/0/regex: matching gave up"));
    assert_non_null(strstr(err.message, "rules.json"));
    assert_null(r.text);
    /* a subject it matches quickly still answers; PCRE syntax (\\d) works */
    subject[40] = '\0';
    expect_reply(f, &in, "x");
    mock_with(f, "{\"rules\": [{\"regex\": \"total \\\\d+\\\\.\\\\d{2}\", "
              "\"reply\": \"num\"}]}", 1);
    in.source = "Invoice, total 99.50";
    expect_reply(f, &in, "num");
}

static void test_mock_reply_rules_only_answer_mock_rules(void **state)
{
    fx *f = *state;
    llmt_response r;
    llmt_error err;
    call_in in = {0};
    mock_with(f, "{\"rules\": [{\"contains\": \"x\", \"reply\": \"R\"}]}", 1);
    in.prompt = "x";
    in.model = "oracle";
    expect_reply(f, &in, "{\"a\": 1}");
    /* no match and no default on mock:rules */
    in.model = "rules";
    in.prompt = "y";
    in.case_id = "t/c";
    assert_int_equal(call_mock(f, &in, &r, &err), LLMT_E_BAD_RESPONSE);
    assert_non_null(strstr(err.message, "no rule matched t/c"));
    assert_null(r.text);
}

static void test_mock_reply_file_is_relative_to_the_rules_file(void **state)
{
    fx *f = *state;
    call_in in = {0};
    write_file(f->dir, "answer.json", "{\"from\": \"file\"}");
    mock_with(f, "{\"rules\": [{\"contains\": \"q\", \"reply_file\": \"answer.json\"}]}", 1);
    in.prompt = "q";
    expect_reply(f, &in, "{\"from\": \"file\"}");
}

static void test_mock_error_rule_fills_class_status_retry_after(void **state)
{
    fx *f = *state;
    llmt_response r;
    llmt_error err;
    call_in in = {0};
    mock_with(f, "{\"rules\": ["
              " {\"contains\": \"slow\", \"error\": {\"class\": \"rate_limit\", \"retry_after\": 7, \"message\": \"easy\"}},"
              " {\"contains\": \"broke\", \"error\": {\"http_status\": 402}},"
              " {\"contains\": \"odd\", \"models\": [\"noisy\"], \"error\": {\"class\": \"server\", \"http_status\": 502, \"retryable\": false}}]}",
              1);
    in.prompt = "slow";
    in.model = "oracle"; /* error rules apply to every mock model */
    assert_int_equal(call_mock(f, &in, &r, &err), LLMT_E_RATE_LIMIT);
    assert_int_equal(err.http_status, 429);
    assert_true(err.retryable);
    assert_true(fabs(err.retry_after_s - 7) < 1e-9);
    assert_non_null(strstr(err.message, "easy"));
    assert_non_null(strstr(err.message, "/rules/0"));
    in.prompt = "broke";
    assert_int_equal(call_mock(f, &in, &r, &err), LLMT_E_QUOTA);
    assert_int_equal(err.http_status, 402);
    assert_false(err.retryable);
    assert_true(err.retry_after_s < 0);
    /* restricted to mock:noisy: oracle answers */
    in.prompt = "odd";
    assert_int_equal(call_mock(f, &in, &r, &err), LLMT_OK);
    llmt_response_clear(&r);
    in.model = "noisy";
    assert_int_equal(call_mock(f, &in, &r, &err), LLMT_E_SERVER);
    assert_int_equal(err.http_status, 502);
    assert_false(err.retryable);
}

static void test_mock_every_nth_and_after_n_calls(void **state)
{
    fx *f = *state;
    llmt_response r;
    llmt_error err;
    call_in in = {0};
    char got[16] = {0};
    int i;
    mock_with(f, "{\"errors\": [{\"error\": {\"class\": \"overloaded\"}, \"every\": 3},"
              "              {\"error\": {\"class\": \"timeout\"}, \"after\": 6}],"
              " \"default\": \"ok\"}", 1);
    in.prompt = "p";
    for (i = 0; i < 10; i++) {
        llmt_status st = call_mock(f, &in, &r, &err);
        got[i] = st == LLMT_OK ? '.' : st == LLMT_E_OVERLOADED ? 'O' : st == LLMT_E_TIMEOUT ? 'T' : '?';
        llmt_response_clear(&r);
    }
    /* every 3rd: calls 3, 6, 9; the second entry sees calls 1 2 4 5 7 8 10 and fires
     * after 6 of them, i.e. on call 10 */
    assert_string_equal(got, "..O..O..OT");
    /* times: the first two matching requests fail, then never again */
    mock_with(f, "{\"errors\": [{\"error\": {\"class\": \"network\"}, \"times\": 2}], \"default\": \"ok\"}",
              1);
    for (i = 0; i < 5; i++) {
        llmt_status st = call_mock(f, &in, &r, &err);
        got[i] = st == LLMT_OK ? '.' : st == LLMT_E_NETWORK ? 'N' : '?';
        llmt_response_clear(&r);
    }
    got[5] = '\0';
    assert_string_equal(got, "NN...");
    assert_int_equal(llmt_status_retryable(LLMT_E_OVERLOADED), true);
}

/* How many of 400 distinct requests a p=0.3 error rule hits, and the pattern. */
static int probability_hits(fx *f, uint64_t seed, char *pattern)
{
    llmt_response r;
    llmt_error err;
    call_in in = {0};
    int i, hits = 0;
    mock_with(f, "{\"errors\": [{\"error\": {\"class\": \"server\"}, \"probability\": 0.3}], \"default\": \"ok\"}",
              seed);
    in.prompt = "p";
    for (i = 0; i < 400; i++) {
        char id[32];
        llmt_status st;
        snprintf(id, sizeof id, "task/case%d", i);
        in.case_id = id;
        st = call_mock(f, &in, &r, &err);
        pattern[i] = st == LLMT_OK ? '.' : 'x';
        hits += st != LLMT_OK;
        llmt_response_clear(&r);
    }
    pattern[400] = '\0';
    return hits;
}

static void test_mock_probability_is_deterministic_under_seed(void **state)
{
    fx *f = *state;
    char a[401], b[401], c[401];
    int ha = probability_hits(f, 42, a);
    int hb = probability_hits(f, 42, b);
    int hc = probability_hits(f, 43, c);
    assert_int_equal(ha, hb);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    /* 400 draws at p=0.3: mean 120, sd ~9.2; ±40 is over 4 sd */
    assert_in_range(ha, 80, 160);
    assert_in_range(hc, 80, 160);
}

static void test_mock_retries_of_a_request_draw_afresh(void **state)
{
    fx *f = *state;
    llmt_response r;
    llmt_error err;
    call_in in = {0};
    char seq1[33], seq2[33];
    int i, pass;
    for (pass = 0; pass < 2; pass++) {
        char *seq = pass ? seq2 : seq1;
        mock_with(f, "{\"errors\": [{\"error\": {\"class\": \"rate_limit\"}, \"probability\": 0.5}], \"default\": \"ok\"}",
                  9);
        in.prompt = "p";
        in.case_id = "task/same";
        for (i = 0; i < 32; i++) {
            seq[i] = call_mock(f, &in, &r, &err) == LLMT_OK ? '.' : 'x';
            llmt_response_clear(&r);
        }
        seq[32] = '\0';
    }
    /* the same request repeated is not stuck on one outcome, and replays identically */
    assert_non_null(strchr(seq1, '.'));
    assert_non_null(strchr(seq1, 'x'));
    assert_string_equal(seq1, seq2);
}

static double percentile(double *v, size_t n, double p)
{
    size_t i, j;
    for (i = 1; i < n; i++) /* insertion sort: n is small */
        for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return v[(size_t)(p * (double)(n - 1))];
}

static void sample_latencies(fx *f, const char *latency_json, double *v, size_t n)
{
    llmt_response r;
    llmt_error err;
    call_in in = {0};
    char *rules = llmt_asprintf("{\"default\": \"ok\", \"latency\": %s}", latency_json);
    size_t i;
    mock_with(f, rules, 5);
    in.prompt = "p";
    for (i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "t/c%zu", i);
        in.case_id = id;
        assert_int_equal(call_mock(f, &in, &r, &err), LLMT_OK);
        v[i] = r.simulated_latency_ms;
        llmt_response_clear(&r);
    }
    free(rules);
}

static void test_mock_latency_fixed_uniform_lognormal(void **state)
{
    fx *f = *state;
    enum { N = 2000 };
    double *v = calloc(N, sizeof(*v));
    size_t i;
    double lo = 1e9, hi = -1, med, p95;
    sample_latencies(f, "{\"fixed_ms\": 250}", v, 10);
    for (i = 0; i < 10; i++)
        assert_true(v[i] == 250);
    sample_latencies(f, "{\"distribution\": \"uniform\", \"min_ms\": 100, \"max_ms\": 300}", v, N);
    for (i = 0; i < N; i++) {
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    assert_true(lo >= 100 && lo < 110);
    assert_true(hi <= 300 && hi > 290);
    sample_latencies(f, "{\"distribution\": \"lognormal\", \"median_ms\": 800, \"p95_ms\": 2500}", v, N);
    med = percentile(v, N, 0.5);
    p95 = percentile(v, N, 0.95);
    if (med < 720 || med > 880 || p95 < 2125 || p95 > 2875)
        fail_msg("log-normal sample median %.0f (want ~800), p95 %.0f (want ~2500)", med, p95);
    free(v);
}

static void test_mock_task_local_rules_come_first(void **state)
{
    fx *f = *state;
    llmt_response r;
    llmt_error err;
    call_in in = {0};
    char *task = llmt_path_join(f->dir, "task1");
    char *bad = llmt_path_join(f->dir, "task2");
    assert_int_equal(llmt_mkdirs(task, NULL), LLMT_OK);
    assert_int_equal(llmt_mkdirs(bad, NULL), LLMT_OK);
    write_file(task, "mock_rules.json", "{\"rules\": [{\"contains\": \"q\", \"reply\": \"TASK\"}]}");
    write_file(bad, "mock_rules.json", "{\"rules\": [{\"contains\": \"q\", \"probabilty\": 1, \"reply\": \"x\"}]}");
    mock_with(f, "{\"rules\": [{\"contains\": \"q\", \"reply\": \"GLOBAL\"}]}", 1);
    in.prompt = "q";
    in.task_dir = task;
    expect_reply(f, &in, "TASK");
    /* a version-1 request has no task_dir */
    in.version = 1;
    expect_reply(f, &in, "GLOBAL");
    in.version = 0;
    in.task_dir = f->dir; /* no mock_rules.json there */
    expect_reply(f, &in, "GLOBAL");
    in.task_dir = bad;
    assert_int_equal(call_mock(f, &in, &r, &err), LLMT_E_CONFIG);
    assert_non_null(strstr(err.message, "task2/mock_rules.json: /rules/0/probabilty: unknown field"));
    free(task);
    free(bad);
}

static void expect_invalid(fx *f, const char *rules, const char *needle)
{
    llmt_error err;
    assert_int_equal(init_mock(f, rules, 1, &err), LLMT_E_CONFIG);
    if (!strstr(err.message, needle) || !strstr(err.message, "rules.json"))
        fail_msg("for %s: got \"%s\", expected \"%s\" and the file name", rules, err.message, needle);
}

static void test_mock_invalid_rules_name_file_and_path(void **state)
{
    fx *f = *state;
    expect_invalid(f, "{\"rules\": [", "line 1");
    expect_invalid(f, "{\"rules\": {}}", "/rules: expected an array");
    expect_invalid(f, "{\"rule\": []}", "/rule: unknown field");
    expect_invalid(f, "{\"rules\": [{\"contains\": \"a\"}]}", "/rules/0: expected \"reply\", \"reply_file\" or \"error\"");
    expect_invalid(f, "{\"rules\": [{\"regex\": \"(\", \"reply\": \"x\"}]}", "/rules/0/regex:");
    expect_invalid(f, "{\"rules\": [{\"in\": \"title\", \"reply\": \"x\"}]}", "/rules/0/in:");
    expect_invalid(f, "{\"rules\": [{\"reply\": \"x\", \"probability\": 1.5}]}", "/rules/0/probability: expected a number between 0 and 1");
    expect_invalid(f, "{\"rules\": [{\"reply\": \"x\", \"every\": 0}]}", "/rules/0/every: expected an integer >= 1");
    expect_invalid(f, "{\"rules\": [{\"reply\": \"x\", \"times\": 0.5}]}", "/rules/0/times: expected an integer >= 1");
    expect_invalid(f, "{\"rules\": [{\"reply\": \"x\", \"error\": {\"class\": \"server\"}}]}", "not both");
    expect_invalid(f, "{\"errors\": [{\"reply\": \"x\"}]}", "/errors/0/error: required");
    expect_invalid(f, "{\"errors\": [{\"error\": {\"class\": \"slow\"}}]}", "/errors/0/error/class: expected an error class");
    expect_invalid(f, "{\"errors\": [{\"error\": {\"http_status\": 42}}]}", "/errors/0/error/http_status");
    expect_invalid(f, "{\"errors\": [{\"error\": {}}]}", "expected \"class\"");
    expect_invalid(f, "{\"rules\": [{\"reply_file\": \"missing.json\"}]}", "/rules/0/reply_file:");
    expect_invalid(f, "{\"latency\": {\"distribution\": \"lognormal\", \"median_ms\": 10, \"p95_ms\": 5}}", "p95_ms >= median_ms");
    expect_invalid(f, "{\"latency\": {\"distribution\": \"gamma\"}}", "/latency/distribution: expected \"uniform\" or \"lognormal\"");
    expect_invalid(f, "{\"latency\": {\"median_ms\": 5}}", "/latency: expected \"fixed_ms\"");
}

/* diags holds an error at exactly "<file>: <path>: ..." */
static bool has_diag(const llmt_diags *d, const char *file, const char *path, const char *needle)
{
    size_t i;
    for (i = 0; i < d->count; i++)
        if (d->items[i].severity == LLMT_DIAG_ERROR && strcmp(d->items[i].file, file) == 0 &&
            strcmp(d->items[i].path, path) == 0 && strstr(d->items[i].message, needle))
            return true;
    return false;
}

static void test_mock_rules_validate_reports_every_problem(void **state)
{
    fx *f = *state;
    llmt_diags d = {0};
    write_file(f->dir, "rules.json",
               "{\"config_version\": 2, \"rulez\": [],"
               " \"rules\": [{\"regex\": \"(\", \"reply\": \"x\"},"
               "            {\"reply\": \"x\", \"probability\": 2, \"every\": 0, \"in\": 3},"
               "            \"not a rule\", {\"contains\": \"q\", \"models\": [\"oracle\", 1]}],"
               " \"errors\": [{\"error\": {\"class\": \"slow\", \"retryable\": \"yes\"}}],"
               " \"default\": {\"reply\": \"z\", \"replay\": 1},"
               " \"latency\": {\"fixed_ms\": -1}}");
    assert_false(llmt_mock_rules_validate(f->rules_path, &d));
    assert_true(has_diag(&d, f->rules_path, "/config_version", "expected 1"));
    assert_true(has_diag(&d, f->rules_path, "/rulez", "did you mean 'rules'"));
    assert_true(has_diag(&d, f->rules_path, "/rules/0/regex", "invalid regular expression"));
    assert_true(has_diag(&d, f->rules_path, "/rules/1/probability", "between 0 and 1"));
    assert_true(has_diag(&d, f->rules_path, "/rules/1/every", "integer >= 1"));
    assert_true(has_diag(&d, f->rules_path, "/rules/1/in", "\"prompt\""));
    assert_true(has_diag(&d, f->rules_path, "/rules/2", "expected an object, got string"));
    assert_true(has_diag(&d, f->rules_path, "/rules/3/models/1", "expected a string"));
    assert_true(has_diag(&d, f->rules_path, "/rules/3", "expected \"reply\""));
    assert_true(has_diag(&d, f->rules_path, "/errors/0/error/class", "error class"));
    assert_true(has_diag(&d, f->rules_path, "/errors/0/error/retryable", "boolean"));
    assert_true(has_diag(&d, f->rules_path, "/default/replay", "did you mean 'reply'"));
    assert_true(has_diag(&d, f->rules_path, "/latency/fixed_ms", ">= 0"));
    assert_int_equal(d.errors, 13);
    assert_int_equal(d.count, 13);
    llmt_diags_free(&d);

    /* a good file: nothing, and it loads */
    write_file(f->dir, "rules.json",
               "{\"config_version\": 1, \"description\": \"ok\","
               " \"errors\": [{\"error\": {\"http_status\": 429}, \"times\": 1}],"
               " \"rules\": [{\"regex\": \"^a+$\", \"in\": \"source\", \"reply\": {\"v\": 1}}],"
               " \"default\": \"{}\", \"latency\": {\"fixed_ms\": 5}}");
    assert_true(llmt_mock_rules_validate(f->rules_path, &d));
    assert_int_equal(d.count, 0);

    /* whatever the input, one diagnostic naming the file, never a crash */
    write_file(f->dir, "rules.json", "[1, 2]");
    assert_false(llmt_mock_rules_validate(f->rules_path, &d));
    assert_true(has_diag(&d, f->rules_path, "", "expected an object at the top level, got array"));
    llmt_diags_free(&d);
    write_file(f->dir, "rules.json", "");
    assert_false(llmt_mock_rules_validate(f->rules_path, &d));
    assert_true(has_diag(&d, f->rules_path, "", "invalid JSON"));
    llmt_diags_free(&d);
    write_file(f->dir, "rules.json", "{\"rules\": [], \"rules\": []}");
    assert_false(llmt_mock_rules_validate(f->rules_path, &d));
    assert_true(has_diag(&d, f->rules_path, "", "duplicate"));
    llmt_diags_free(&d);
    assert_int_equal(unlink(f->rules_path), 0);
    assert_false(llmt_mock_rules_validate(f->rules_path, &d));
    assert_true(has_diag(&d, f->rules_path, "", "cannot read"));
    assert_int_equal(d.count, 1);
    llmt_diags_free(&d);
}

static void test_mock_token_counts_scale_with_text(void **state)
{
    fx *f = *state;
    llmt_response r1, r2;
    llmt_error err;
    call_in in = {0};
    llmt_buf big = {0};
    int i;
    mock_with(f, "{\"default\": \"{\\\"a\\\": 1}\"}", 1);
    in.prompt = "Extract the data.";
    in.source = "short";
    assert_int_equal(call_mock(f, &in, &r1, &err), LLMT_OK);
    for (i = 0; i < 200; i++)
        llmt_buf_puts(&big, "The quick brown fox jumps over the lazy dog. ");
    in.source = big.data;
    assert_int_equal(call_mock(f, &in, &r2, &err), LLMT_OK);
    /* 200 sentences of ~10 tokens: roughly 2000 more input tokens, not a word count of 1800 */
    assert_in_range(r2.usage.input_tokens - r1.usage.input_tokens, 1900, 2300);
    assert_int_equal(r1.usage.output_tokens, llmt_estimate_tokens("{\"a\": 1}"));
    assert_int_equal(r1.usage.cached_input_tokens, -1);
    llmt_response_clear(&r1);
    llmt_response_clear(&r2);
    llmt_buf_free(&big);
}

static void test_mock_blocking_path_waits_latency_and_prices(void **state)
{
    fx *f = *state;
    llmt_manager_options o;
    llmt_manager *mgr = NULL;
    llmt_request req;
    llmt_response r;
    llmt_message msg = {"user", "hello"};
    llmt_error err;
    double t0;
    write_file(f->dir, "rules.json", "{\"default\": \"{}\", \"latency\": {\"fixed_ms\": 60}}");
    llmt_manager_options_init(&o, LLMT_MANAGER_OPTIONS_VERSION);
    o.mock_rules_path = f->rules_path;
    assert_int_equal(llmt_manager_new(&mgr, &o, &err), LLMT_OK);
    memset(&req, 0, sizeof req);
    req.version = LLMT_REQUEST_VERSION;
    req.messages = &msg;
    req.n_messages = 1;
    t0 = llmt_now_ms();
    assert_int_equal(llmt_manager_complete(mgr, "mock:rules", &req, &r, &err), LLMT_OK);
    assert_true(llmt_now_ms() - t0 >= 59);
    assert_true(r.latency_ms >= 59);
    assert_true(r.cost_known);
    /* mock rates: $0.15 / $0.60 per 1M tokens */
    assert_true(fabs(r.cost_usd - ((double)r.usage.input_tokens * 0.15 +
                                   (double)r.usage.output_tokens * 0.6) / 1e6) < 1e-12);
    llmt_response_clear(&r);
    llmt_manager_free(mgr);
}

/* Fuzz-style: 600 mutations (byte changes, truncations, duplicated spans) of a valid rules
 * file with a fixed seed. Loading must either succeed or fail with LLMT_E_CONFIG naming
 * the file; never crash or leak (the sanitizer build checks that). */
static void test_mock_rules_parser_survives_mutations(void **state)
{
    fx *f = *state;
    static const char *valid =
        "{\"errors\": [{\"error\": {\"class\": \"rate_limit\", \"retry_after\": 2}, \"probability\": 0.5,"
        " \"models\": [\"oracle\"]}], \"rules\": [{\"contains\": \"a\", \"in\": \"source\", \"reply\": {\"x\": [1]}},"
        " {\"regex\": \"^b+$\", \"every\": 2, \"after\": 1, \"reply\": \"y\"}], \"default\": {\"reply\": \"z\"},"
        " \"latency\": {\"distribution\": \"uniform\", \"min_ms\": 1, \"max_ms\": 2}}";
    static const char alphabet[] = "{}[]\":,0123456789.-eatrulsn \\^$*(";
    llmt_rng rng;
    llmt_error err;
    llmt_diags d = {0};
    size_t len = strlen(valid);
    int i, ok = 0, refused = 0;
    llmt_rng_seed(&rng, 20261125);
    for (i = 0; i < 600; i++) {
        char *m = malloc(2 * len + 1);
        size_t n = len, k, edits = 1 + llmt_rng_next(&rng) % 4;
        llmt_status st;
        memcpy(m, valid, len + 1);
        for (k = 0; k < edits; k++) {
            size_t pos = llmt_rng_next(&rng) % n;
            switch (llmt_rng_next(&rng) % 3) {
            case 0:
                m[pos] = alphabet[llmt_rng_next(&rng) % (sizeof alphabet - 1)];
                break;
            case 1:
                n = pos; /* truncate */
                m[n] = '\0';
                break;
            default: { /* duplicate a span */
                size_t span = 1 + llmt_rng_next(&rng) % 12;
                if (pos + span > n)
                    span = n - pos;
                if (n + span <= 2 * len) {
                    memmove(m + pos + span, m + pos, n - pos + 1);
                    n += span;
                }
                break;
            }
            }
            if (n == 0)
                break;
        }
        m[n] = '\0';
        st = init_mock(f, m, 1, &err);
        /* config validate checks the same file with the same parser: same verdict, and
         * its first diagnostic is the run's error */
        assert_int_equal(llmt_mock_rules_validate(f->rules_path, &d), st == LLMT_OK);
        if (st == LLMT_OK) {
            assert_int_equal(d.count, 0);
            ok++;
        } else {
            char *first = llmt_diag_format(&d.items[0]);
            assert_int_equal(st, LLMT_E_CONFIG);
            assert_non_null(strstr(err.message, "rules.json"));
            assert_string_equal(first, err.message);
            free(first);
            refused++;
        }
        llmt_diags_free(&d);
        free(m);
    }
    /* both outcomes happen: the mutations are neither all harmless nor all fatal */
    assert_true(ok > 0);
    assert_true(refused > 300);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oracle_returns_reference),
        cmocka_unit_test(test_noisy_is_deterministic_and_differs),
        cmocka_unit_test(test_rules_first_match_wins),
        cmocka_unit_test(test_provider_options_go_to_their_provider),
        cmocka_unit_test(test_rules_prompt_scope_and_default),
        cmocka_unit_test(test_rules_errors_name_file),
        cmocka_unit_test(test_token_estimate_is_not_a_word_count),
        cmocka_unit_test(test_token_estimate_at_most_bytes),
        cmocka_unit_test_setup_teardown(test_mock_rules_first_match_wins_by_substring_regex_and_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mock_regex_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mock_reply_rules_only_answer_mock_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mock_reply_file_is_relative_to_the_rules_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mock_error_rule_fills_class_status_retry_after, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mock_every_nth_and_after_n_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mock_probability_is_deterministic_under_seed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mock_retries_of_a_request_draw_afresh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mock_latency_fixed_uniform_lognormal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mock_task_local_rules_come_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mock_invalid_rules_name_file_and_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mock_rules_validate_reports_every_problem, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mock_token_counts_scale_with_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mock_blocking_path_waits_latency_and_prices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mock_rules_parser_survives_mutations, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
