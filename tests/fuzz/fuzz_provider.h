/* One built-in provider, set up once per harness process without a manager or network:
 * its config.json parsed, an instance made with a fake key. The provider harnesses
 * are built once per provider (FUZZ_PROVIDER names it). */
#ifndef LLMT_FUZZ_PROVIDER_H
#define LLMT_FUZZ_PROVIDER_H

#include "config/provider_config.h"
#include "llmt/provider.h"

/* The fake key: it must never show up in a request body or an error message. */
#define FUZZ_KEY "sk-fuzz-KEYKEYKEYKEY-9876"

typedef struct fuzz_provider {
    const llmt_provider_ops *ops;
    llmt_provider_config *config;
    void *state;
} fuzz_provider;

/* The provider `name`, created on first use and destroyed at exit; aborts when it does
 * not exist or does not start. */
fuzz_provider *fuzz_provider_get(const char *name);

#endif
