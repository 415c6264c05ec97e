/* fuzz_provider.h: a provider instance made the way the factory makes one. */
#include "fuzz_provider.h"

#include <string.h>

#include "fuzz.h"
#include "provider/builtin.h"
#include "provider/host_api.h"

/* The instance of this process (one provider per harness binary). */
static struct fuzz_provider_ctx {
    fuzz_provider p;
    int ready;
} fuzz_provider_ctx;

static void fuzz_provider_cleanup(void)
{
    fuzz_provider *p = &fuzz_provider_ctx.p;
    if (p->ops && p->ops->destroy)
        p->ops->destroy(p->state);
    llmt_provider_config_free(p->config);
    memset(p, 0, sizeof *p);
    fuzz_provider_ctx.ready = 0;
}

fuzz_provider *fuzz_provider_get(const char *name)
{
    fuzz_provider *p = &fuzz_provider_ctx.p;
    const llmt_builtin_provider *b;
    llmt_provider_settings s;
    llmt_diags diags = {0};
    llmt_error err;
    if (fuzz_provider_ctx.ready)
        return p;
    for (b = llmt_builtin_providers; b->name && strcmp(b->name, name) != 0; b++)
        ;
    FUZZ_CHECK(b->name != NULL, "no built-in provider %s", name);
    p->ops = b->ops;
    p->config = llmt_provider_config_parse(b->config_json, b->config_path, &diags);
    FUZZ_CHECK(p->config != NULL, "%s: config does not load", b->config_path);
    llmt_diags_free(&diags);
    memset(&s, 0, sizeof s);
    s.version = LLMT_PROVIDER_SETTINGS_VERSION;
    s.name = b->name;
    s.base_url = p->config->base_url;
    s.api_key = FUZZ_KEY;
    s.config_json = p->config->text;
    s.config_path = b->config_path;
    s.seed = 42;
    s.host = llmt_host();
    llmt_error_clear(&err);
    FUZZ_CHECK(p->ops->init(&p->state, &s, &err) == LLMT_OK, "%s: init: %s", name, err.message);
    fuzz_provider_ctx.ready = 1;
    atexit(fuzz_provider_cleanup);
    return p;
}
