/*
 * Shared harness of the HTTP provider tests (tests/unit/test_provider_<name>.c): a fake
 * server on 127.0.0.1, the provider's base URL pointed at it through
 * LLMT_<PROVIDER>_BASE_URL, a fake key in the environment and a manager that logs at
 * debug level into memory, so that tests see the exact bytes that went out and
 * everything that was logged. Header-only (each test is its own executable).
 */
#ifndef PROVIDER_HARNESS_H
#define PROVIDER_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "core/util.h"
#include "llmt/manager.h"
#include "provider/manager_internal.h"
#include "support/fake_http.h"

#define PH_UNUSED __attribute__((unused))
/* cmocka of Debian bookworm has no assert_double_equal */
#define PH_ASSERT_NEAR(a, b, eps)                                                            \
    do {                                                                                    \
        double a_ = (a), b_ = (b);                                                          \
        if (a_ - b_ > (eps) || b_ - a_ > (eps))                                             \
            fail_msg("%s = %.12g, want %.12g", #a, a_, b_);                                 \
    } while (0)

/* A key long enough to be redacted as "sk-...1234"; it must never show up in logs. */
#define PH_KEY "sk-test-SECRETSECRET-1234"

/* A schema that allows strict mode, and one that does not (optional property). */
#define PH_STRICT_SCHEMA                                                                    \
    "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},\"total\":{\"type\":" \
    "\"number\"}},\"required\":[\"name\",\"total\"],\"additionalProperties\":false}"
#define PH_LOOSE_SCHEMA                                                                     \
    "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},\"total\":{\"type\":" \
    "\"number\"}},\"required\":[\"name\"]}"
#define PH_USER_TEXT "Extract the invoice as JSON.\n\nInvoice from ACME, total 99.50"

typedef struct ph {
    fake_http_server *srv;
    llmt_manager *mgr;
    llmt_buf log;
    char dir[64];  /* project dir (for .env tests) */
    long max_file_bytes; /* for the next ph_manager; 0 = default */
} ph;

static void ph_log(void *ud, llmt_log_level level, const char *msg)
{
    ph *h = ud;
    (void)level;
    llmt_buf_puts(&h->log, msg);
    llmt_buf_puts(&h->log, "\n");
}

/* Starts the fake server and sets LLMT_<upper>_BASE_URL=<server><prefix>; sets key_var
 * to PH_KEY when key_var is not NULL. The manager is created lazily by ph_manager so
 * that tests can change the environment first. */
static PH_UNUSED ph *ph_start(const char *upper, const char *prefix, const char *key_var)
{
    ph *h = calloc(1, sizeof(*h));
    char var[64], url[256];
    assert_non_null(h);
    assert_int_equal(fake_http_start(&h->srv), 0);
    snprintf(var, sizeof var, "LLMT_%s_BASE_URL", upper);
    snprintf(url, sizeof url, "%s%s", fake_http_url(h->srv), prefix ? prefix : "");
    setenv(var, url, 1);
    if (key_var)
        setenv(key_var, PH_KEY, 1);
    /* the fake server is on loopback: no proxy may intercept */
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("ALL_PROXY");
    unsetenv("all_proxy");
    snprintf(h->dir, sizeof h->dir, "/tmp/llmt-ph-XXXXXX");
    assert_non_null(mkdtemp(h->dir));
    return h;
}

static PH_UNUSED llmt_manager *ph_manager(ph *h, long timeout_ms)
{
    llmt_manager_options o;
    llmt_error err;
    if (h->mgr)
        return h->mgr;
    llmt_manager_options_init(&o, LLMT_MANAGER_OPTIONS_VERSION);
    o.logger.fn = ph_log;
    o.logger.userdata = h;
    o.logger.level = LLMT_LOG_DEBUG;
    o.project_dir = h->dir;
    o.timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
    o.connect_timeout_ms = 2000;
    o.max_file_bytes = h->max_file_bytes;
    if (llmt_manager_new(&h->mgr, &o, &err) != LLMT_OK)
        fail_msg("manager: %s", err.message);
    return h->mgr;
}

static PH_UNUSED void ph_stop(ph *h)
{
    char env[128];
    llmt_manager_free(h->mgr);
    fake_http_stop(h->srv);
    llmt_buf_free(&h->log);
    snprintf(env, sizeof env, "%s/.env", h->dir);
    unlink(env);
    rmdir(h->dir);
    free(h);
}

static PH_UNUSED void ph_reply(ph *h, int status, const char *headers, const char *body)
{
    fake_http_reply r;
    memset(&r, 0, sizeof r);
    r.status = status;
    r.headers = headers;
    r.body = body;
    r.body_len = -1;
    fake_http_push_reply(h->srv, &r);
}

typedef struct ph_call_opts {
    const char *schema;        /* NULL: no schema */
    const llmt_file *files;
    size_t n_files;
    long max_tokens;
    double temperature;        /* default 0 */
    bool default_temperature;  /* send -1 */
} ph_call_opts;

static PH_UNUSED llmt_status ph_call(ph *h, const char *model_ref, const ph_call_opts *co,
                                     llmt_response *out, llmt_error *err)
{
    llmt_message msg = {"user", PH_USER_TEXT};
    llmt_request req;
    memset(&req, 0, sizeof req);
    memset(out, 0, sizeof(*out));
    llmt_error_clear(err);
    req.version = LLMT_REQUEST_VERSION;
    req.messages = &msg;
    req.n_messages = 1;
    req.schema_name = "invoice";
    req.temperature = 0;
    if (co) {
        req.json_schema = co->schema;
        req.files = co->files;
        req.n_files = co->n_files;
        req.max_tokens = co->max_tokens;
        req.temperature = co->default_temperature ? -1 : co->temperature;
    }
    return llmt_manager_complete(ph_manager(h, 0), model_ref, &req, out, err);
}

/* The i-th request (asserted to exist). */
static PH_UNUSED const fake_http_request *ph_req(ph *h, size_t i)
{
    const fake_http_request *r = fake_http_request_at(h->srv, i);
    assert_non_null(r);
    return r;
}

/* The i-th request body as JSON (caller decrefs). */
static PH_UNUSED json_t *ph_body(ph *h, size_t i)
{
    json_error_t je;
    json_t *b = json_loads(ph_req(h, i)->body, 0, &je);
    if (!b)
        fail_msg("request body is not JSON: %s", je.text);
    return b;
}

/* One call of model_ref with co (NULL: defaults) answered 200 with `headers` (NULL: none)
 * and ok_body; asserts that it succeeded. The response is in *out (caller clears). */
static PH_UNUSED void ph_answered(ph *h, const char *model_ref, const ph_call_opts *co,
                                  const char *headers, const char *ok_body, llmt_response *out)
{
    llmt_error err;
    llmt_status st;
    ph_reply(h, 200, headers, ok_body);
    st = ph_call(h, model_ref, co, out, &err);
    if (st != LLMT_OK)
        fail_msg("%s: %s (%s)", model_ref, llmt_status_name(st), err.message);
}

/* ph_answered, returning the body the call sent, as JSON (caller decrefs). */
static PH_UNUSED json_t *ph_call_ok(ph *h, const char *model_ref, const ph_call_opts *co,
                                    const char *headers, const char *ok_body, llmt_response *out)
{
    ph_answered(h, model_ref, co, headers, ok_body, out);
    return ph_body(h, fake_http_request_count(h->srv) - 1);
}

/* A request whose text is not UTF-8 (Latin-1 "Caf\xe9") is refused before anything is
 * sent, naming the text: in the message and in the system prompt. */
static PH_UNUSED void ph_refuses_invalid_utf8(ph *h, const char *model_ref)
{
    llmt_message msg = {"user", "Invoice from Caf\xe9 Ren\xe9, total 9.50"};
    llmt_request req;
    llmt_response out;
    llmt_error err;
    size_t before = fake_http_request_count(h->srv), k;
    for (k = 0; k < 2; k++) {
        memset(&req, 0, sizeof req);
        req.version = LLMT_REQUEST_VERSION;
        req.messages = &msg;
        req.n_messages = 1;
        req.temperature = -1;
        if (k == 1) {
            msg.content = PH_USER_TEXT;
            req.system_prompt = "Answer for Caf\xe9 only.";
        }
        assert_int_equal(llmt_manager_complete(ph_manager(h, 0), model_ref, &req, &out, &err),
                         LLMT_E_INVALID_ARG);
        assert_non_null(strstr(err.message, "not valid UTF-8"));
        assert_non_null(strstr(err.message, k == 0 ? "message 1" : "system prompt"));
        assert_false(err.retryable);
        assert_null(out.text);
    }
    assert_int_equal(fake_http_request_count(h->srv), before); /* nothing went out */
}

/* Looks up a dotted path ("a.b.0.c") in a JSON value; NULL when absent. */
static PH_UNUSED json_t *ph_get(json_t *v, const char *path)
{
    char buf[256], *p, *seg;
    snprintf(buf, sizeof buf, "%s", path);
    for (p = buf; v && p && *p; p = seg) {
        char *dot = strchr(p, '.');
        seg = dot ? dot + 1 : NULL;
        if (dot)
            *dot = '\0';
        if (json_is_array(v)) {
            char *end;
            long idx = strtol(p, &end, 10);
            v = *end ? NULL : json_array_get(v, (size_t)idx);
        } else {
            v = json_object_get(v, p);
        }
    }
    return v;
}

static PH_UNUSED const char *ph_str(json_t *v, const char *path)
{
    return json_string_value(ph_get(v, path));
}

/* Asserts that the key never reached the logs and that the auth header was redacted. */
static PH_UNUSED void ph_assert_log_clean(ph *h)
{
    assert_non_null(h->log.data);
    assert_null(strstr(h->log.data, PH_KEY));
    assert_null(strstr(h->log.data, "SECRETSECRET"));
    assert_non_null(strstr(h->log.data, "[REDACTED]"));
}

static PH_UNUSED void ph_assert_err_clean(const llmt_error *err)
{
    assert_null(strstr(err->message, "SECRETSECRET"));
}

/* One error scenario: the reply, and what the error must say. */
typedef struct ph_err_case {
    const char *name;
    int status;
    const char *headers;
    const char *body;
    llmt_status want;
    bool retryable;
    double retry_after;   /* < 0: expect none */
    const char *code;     /* expected err.code, or NULL not to check */
} ph_err_case;

static PH_UNUSED void ph_run_error_cases(ph *h, const char *model_ref, const ph_err_case *cases,
                                         size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        llmt_response out;
        llmt_error err;
        llmt_status st;
        ph_reply(h, cases[i].status, cases[i].headers, cases[i].body);
        st = ph_call(h, model_ref, NULL, &out, &err);
        if (st != cases[i].want)
            fail_msg("%s: got %s (%s), want %s", cases[i].name, llmt_status_name(st), err.message,
                     llmt_status_name(cases[i].want));
        if (err.retryable != cases[i].retryable)
            fail_msg("%s: retryable %d, want %d", cases[i].name, err.retryable,
                     cases[i].retryable);
        if (cases[i].retry_after < 0 && err.retry_after_s >= 0)
            fail_msg("%s: retry_after %g, want none", cases[i].name, err.retry_after_s);
        if (cases[i].retry_after >= 0 &&
            (err.retry_after_s < cases[i].retry_after - 1.5 ||
             err.retry_after_s > cases[i].retry_after + 0.5))
            fail_msg("%s: retry_after %g, want %g", cases[i].name, err.retry_after_s,
                     cases[i].retry_after);
        if (cases[i].status && err.http_status != cases[i].status)
            fail_msg("%s: http_status %d", cases[i].name, err.http_status);
        if (cases[i].code && strcmp(err.code, cases[i].code) != 0)
            fail_msg("%s: code '%s', want '%s'", cases[i].name, err.code, cases[i].code);
        assert_null(out.text);
        assert_true(err.message[0] != '\0');
        ph_assert_err_clean(&err);
        assert_string_not_equal(err.provider, "");
    }
}

/* Transport-level failures that are the same for every provider: a body that is not
 * JSON, a truncated body, a reply slower than the timeout, a 200 that answers with an
 * empty text (`empty_ok_body`, provider-shaped), and a 500 HTML page. */
static PH_UNUSED void ph_run_transport_cases(ph *h, const char *model_ref,
                                             const char *empty_ok_body, const char *ok_body)
{
    llmt_response out;
    llmt_error err;
    fake_http_reply r;
    ph_reply(h, 200, NULL, "{\"id\": \"x\", \"choices\": [");
    assert_int_equal(ph_call(h, model_ref, NULL, &out, &err), LLMT_E_BAD_RESPONSE);
    assert_non_null(strstr(err.message, "choices")); /* the excerpt names what came */
    ph_reply(h, 200, NULL, "<html>oops</html>");
    assert_int_equal(ph_call(h, model_ref, NULL, &out, &err), LLMT_E_BAD_RESPONSE);
    assert_non_null(strstr(err.message, "<html>oops"));
    ph_reply(h, 200, NULL, empty_ok_body);
    assert_int_equal(ph_call(h, model_ref, NULL, &out, &err), LLMT_E_BAD_RESPONSE);
    assert_null(out.text);
    ph_reply(h, 200, NULL, "");
    assert_int_equal(ph_call(h, model_ref, NULL, &out, &err), LLMT_E_BAD_RESPONSE);
    ph_reply(h, 502, "Content-Type: text/html\r\n", "<html>502 Bad Gateway</html>");
    assert_int_equal(ph_call(h, model_ref, NULL, &out, &err), LLMT_E_SERVER);
    assert_true(err.retryable);
    assert_non_null(strstr(err.message, "502 Bad Gateway"));
    /* truncated: full Content-Length announced, half sent, connection closed */
    memset(&r, 0, sizeof r);
    r.status = 200;
    r.body = ok_body;
    r.body_len = -1;
    r.truncate = 1;
    fake_http_push_reply(h->srv, &r);
    assert_int_equal(ph_call(h, model_ref, NULL, &out, &err), LLMT_E_BAD_RESPONSE);
    assert_true(err.retryable);
    /* slower than the 5 s timeout of the harness manager: use a fresh short one */
    {
        llmt_manager *saved = h->mgr;
        double t0 = llmt_now_ms();
        h->mgr = NULL;
        ph_manager(h, 300);
        memset(&r, 0, sizeof r);
        r.status = 200;
        r.body = ok_body;
        r.body_len = -1;
        r.delay_ms = 3000;
        fake_http_push_reply(h->srv, &r);
        assert_int_equal(ph_call(h, model_ref, NULL, &out, &err), LLMT_E_TIMEOUT);
        assert_true(err.retryable);
        assert_true(llmt_now_ms() - t0 < 2500);
        llmt_manager_free(h->mgr);
        h->mgr = saved;
    }
}

/* Missing key: LLMT_E_AUTH naming the variable, and nothing is sent. */
static PH_UNUSED void ph_check_missing_key(const char *upper, const char *prefix,
                                           const char *key_var, const char *model_ref)
{
    ph *h = ph_start(upper, prefix, NULL);
    llmt_response out;
    llmt_error err;
    unsetenv(key_var);
    assert_int_equal(ph_call(h, model_ref, NULL, &out, &err), LLMT_E_AUTH);
    assert_non_null(strstr(err.message, key_var));
    assert_int_equal(fake_http_request_count(h->srv), 0);
    ph_stop(h);
}

/* Key from .env in the project dir when the environment has none. */
static PH_UNUSED ph *ph_start_dotenv(const char *upper, const char *prefix, const char *key_var)
{
    ph *h = ph_start(upper, prefix, NULL);
    char path[128], *line;
    unsetenv(key_var);
    snprintf(path, sizeof path, "%s/.env", h->dir);
    line = llmt_asprintf("%s=%s\n", key_var, PH_KEY);
    assert_int_equal(llmt_write_file_atomic(path, line, strlen(line), NULL), LLMT_OK);
    free(line);
    return h;
}

/* Without a key: ph_check_missing_key. With the key only in the project's .env: a call
 * answered by ok_body sends it in the header `key_header` as `want` (PH_KEY, possibly
 * with a scheme). */
static PH_UNUSED void ph_check_keys(const char *upper, const char *prefix, const char *key_var,
                                    const char *model_ref, const char *ok_body,
                                    const char *key_header, const char *want)
{
    ph *h;
    llmt_response out;
    ph_check_missing_key(upper, prefix, key_var, model_ref);
    h = ph_start_dotenv(upper, prefix, key_var);
    ph_answered(h, model_ref, NULL, NULL, ok_body, &out);
    assert_string_equal(fake_http_request_header(ph_req(h, 0), key_header), want);
    llmt_response_clear(&out);
    ph_stop(h);
}

/* Calls a provider's build_request directly with a request in a given structured mode
 * (modes the library would not pick for the shipped capability flags) and returns the
 * body as JSON (caller decrefs). */
static PH_UNUSED json_t *ph_build_body(ph *h, const char *provider, const char *model,
                                       llmt_structured_mode mode, const char *schema)
{
    llmt_manager *m = ph_manager(h, 0);
    llmt_provider_entry *e = llmt_registry_find(llmt_manager_registry(m), provider);
    const llmt_model_config *mc;
    llmt_message msg = {"user", PH_USER_TEXT};
    llmt_request req;
    llmt_http_request out;
    llmt_error err;
    json_t *body;
    assert_non_null(e);
    mc = llmt_provider_config_model(e->config, model);
    assert_non_null(mc);
    assert_int_equal(llmt_manager_instance(m, e, &err), LLMT_OK);
    memset(&req, 0, sizeof req);
    memset(&out, 0, sizeof out);
    req.version = LLMT_REQUEST_VERSION;
    req.model = mc->name;
    req.model_info = &mc->info;
    req.system_prompt = "sys";
    req.messages = &msg;
    req.n_messages = 1;
    req.json_schema = schema;
    req.schema_name = "invoice";
    req.structured_mode = mode;
    req.temperature = -1;
    assert_int_equal(e->ops->build_request(e->state, &req, &out, &err), LLMT_OK);
    body = json_loadb(out.body, out.body_len, 0, NULL);
    assert_non_null(body);
    llmt_http_request_clear(&out);
    return body;
}

/* A 1x1 PNG. */
static const unsigned char ph_png[] = {0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00,
                                       0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52};
#define PH_PNG_B64 "iVBORw0KGgoAAAANSUhEUg=="
/* ph_png as the file "inv.png" of a request */
static const llmt_file ph_png_file = {"inv.png", "image/png", ph_png, sizeof ph_png};

#endif
