/*
 * What each task schema becomes when sent to one provider, computed once: a run sends
 * the same few task schemas thousands of times, and parsing, rewriting and printing a
 * schema per request would show in the request rate.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonw.h"
#include "core/log.h"
#include "core/util.h"
#include "provider/schema_xform.h"

/* More distinct schemas than a run has tasks; past this the oldest is dropped. */
#define PLANS_MAX 64

typedef struct plan_entry {
    llmt_schema_rules rules;
    char *text;              /* the task schema text */
    llmt_schema_plan plan;
} plan_entry;

struct llmt_schema_plans {
    pthread_mutex_t mu;
    char *provider;
    llmt_logger lg;
    plan_entry entries[PLANS_MAX];
    size_t n, next;          /* next: the slot to reuse when full */
    char **warned;           /* models told about a fallback */
    size_t n_warned;
};

llmt_schema_plans *llmt_schema_plans_new(const char *provider, const llmt_logger *lg)
{
    llmt_schema_plans *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->provider = llmt_strdup(provider ? provider : "?");
    if (!p->provider || pthread_mutex_init(&p->mu, NULL) != 0) {
        free(p->provider);
        free(p);
        return NULL;
    }
    if (lg)
        p->lg = *lg;
    return p;
}

void llmt_schema_plan_clear(llmt_schema_plan *plan)
{
    free(plan->sent);
    free(plan->relaxed);
    free(plan->why_not);
    memset(plan, 0, sizeof(*plan));
}

void llmt_schema_plans_free(llmt_schema_plans *p)
{
    size_t i;
    if (!p)
        return;
    for (i = 0; i < p->n; i++) {
        free(p->entries[i].text);
        llmt_schema_plan_clear(&p->entries[i].plan);
    }
    llmt_free_strv(p->warned, p->n_warned);
    pthread_mutex_destroy(&p->mu);
    free(p->provider);
    free(p);
}

static bool plan_copy(llmt_schema_plan *dst, const llmt_schema_plan *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->strict = src->strict;
    dst->sent = llmt_strdup(src->sent);
    dst->relaxed = llmt_strdup(src->relaxed);
    dst->why_not = llmt_strdup(src->why_not);
    if ((src->sent && !dst->sent) || (src->relaxed && !dst->relaxed) ||
        (src->why_not && !dst->why_not)) {
        llmt_schema_plan_clear(dst);
        return false;
    }
    return true;
}

/* Computes a plan (no lock held). */
static bool plan_make(llmt_schema_rules rules, const char *text, llmt_schema_plan *out)
{
    llmt_schema_sent s;
    llmt_error err;
    llmt_status st;
    memset(out, 0, sizeof(*out));
    llmt_error_clear(&err);
    st = llmt_schema_transform(text, rules, &s, &err);
    if (st == LLMT_E_NOMEM)
        return false;
    if (st != LLMT_OK) {
        out->why_not = llmt_strdup(err.message);
        return out->why_not != NULL;
    }
    out->sent = s.schema;
    out->relaxed = s.relaxed;
    out->strict = s.strict;
    return true;
}

/* Whether `model` was already warned about; records it if not (lock held). */
static bool warned_before(llmt_schema_plans *p, const char *model)
{
    size_t i;
    char **grown;
    for (i = 0; i < p->n_warned; i++)
        if (strcmp(p->warned[i], model) == 0)
            return true;
    grown = realloc(p->warned, (p->n_warned + 1) * sizeof(*grown));
    if (!grown)
        return false;
    p->warned = grown;
    p->warned[p->n_warned] = llmt_strdup(model);
    if (p->warned[p->n_warned])
        p->n_warned++;
    return false;
}

bool llmt_schema_plans_get(llmt_schema_plans *p, llmt_schema_rules rules, const char *schema_text,
                           const char *model, const char *fallback_mode, llmt_schema_plan *out)
{
    size_t i;
    bool ok = false, found = false;
    llmt_schema_plan made;
    pthread_mutex_lock(&p->mu);
    for (i = 0; i < p->n && !found; i++)
        if (p->entries[i].rules == rules && strcmp(p->entries[i].text, schema_text) == 0) {
            found = true;
            ok = plan_copy(out, &p->entries[i].plan);
        }
    pthread_mutex_unlock(&p->mu);
    if (!found) {
        char *text = llmt_strdup(schema_text);
        if (!text || !plan_make(rules, schema_text, &made)) {
            free(text);
            return false;
        }
        ok = plan_copy(out, &made);
        pthread_mutex_lock(&p->mu);
        {
            plan_entry *e = &p->entries[p->n < PLANS_MAX ? p->n++ : p->next++ % PLANS_MAX];
            if (e->text) {
                free(e->text);
                llmt_schema_plan_clear(&e->plan);
            }
            e->rules = rules;
            e->text = text;
            e->plan = made;
        }
        pthread_mutex_unlock(&p->mu);
    }
    if (ok && !out->sent) {
        char *why = llmt_asprintf("the task schema cannot be sent as a schema (%s)",
                                  out->why_not ? out->why_not : "?");
        llmt_schema_plans_warn_once(p, model, why ? why : "the task schema cannot be sent",
                                    fallback_mode);
        free(why);
    }
    return ok;
}

void llmt_schema_plans_warn_once(llmt_schema_plans *p, const char *model, const char *why,
                                 const char *mode)
{
    bool warn;
    pthread_mutex_lock(&p->mu);
    warn = !warned_before(p, model ? model : "?");
    pthread_mutex_unlock(&p->mu);
    if (warn)
        llmt_logf(&p->lg, LLMT_LOG_WARN, "%s:%s: %s; using %s", p->provider, model ? model : "?",
                  why, mode);
}
