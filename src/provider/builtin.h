/* The table of built-in providers, generated at build time from the folders under
 * src/providers/ (cmake/gen_providers.cmake). Terminated by an entry with name NULL. */
#ifndef LLMT_BUILTIN_H
#define LLMT_BUILTIN_H

#include "llmt/provider.h"

typedef struct llmt_builtin_provider {
    const char *name;
    const llmt_provider_ops *ops;
    const char *config_json;  /* embedded src/providers/<name>/config.json */
    const char *config_path;  /* for messages */
} llmt_builtin_provider;

extern const llmt_builtin_provider llmt_builtin_providers[];

#endif
