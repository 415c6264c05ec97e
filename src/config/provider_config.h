/* A provider's config.json (endpoint, key variable, models, prices, limits), loaded and
 * validated. */
#ifndef LLMT_PROVIDER_CONFIG_H
#define LLMT_PROVIDER_CONFIG_H

#include <jansson.h>
#include "config/jcheck.h"
#include "core/diag.h"
#include "llmt/provider.h"
#include "llmt/schema_xform.h"

#define LLMT_PROVIDER_CONFIG_VERSION 2

typedef struct llmt_model_config {
    char *name;
    bool is_default;
    bool preferred;
    bool enabled;
    bool has_cost;          /* false when cost_input/cost_output are absent: cost unknown */
    double cost_input;      /* USD per 1M input tokens */
    double cost_output;     /* USD per 1M output tokens */
    char *cost_category;    /* free/cheap/standard/expensive/premium */
    bool has_batch_cost;    /* batch_cost_input/batch_cost_output given (run --batch) */
    double batch_cost_input;
    double batch_cost_output;
    llmt_model_info info;   /* name, token limits, capability flags (info.name aliases name) */
    long image_input_tokens; /* upper bound of the input tokens one image costs, for
                                budget and tpm estimates; 0 = LLMT_DEFAULT_IMAGE_TOKENS */
    char **fallbacks;       /* "provider:model" */
    size_t n_fallbacks;
    char *catalog_id;       /* the model's id in a price catalog ("<provider>/<model>" there),
                               when it differs from "<this provider>/<name>"; or NULL */
    char *origin;           /* file(s) its settings came from, set by the override loader;
                               NULL = the provider's config file */
} llmt_model_config;

/* Input tokens counted per image when a model states no image_input_tokens: above what
 * one image costs on most vision models (their documented per-image maxima are mostly
 * 1,400-3,800 tokens), so that --budget stays an upper bound. Models that bill images
 * far higher state their own in config.json (docs/configuration.md). */
#define LLMT_DEFAULT_IMAGE_TOKENS 4000

/* Which rate_limit fields the user set (providers/<name>.json, --provider-limit): those
 * always win over what the provider's headers say. Shipped values are only a start. */
enum { LLMT_RL_EXPLICIT_RPM = 1, LLMT_RL_EXPLICIT_TPM = 2, LLMT_RL_EXPLICIT_CONCURRENCY = 4 };

typedef struct llmt_rate_limit {
    long rpm;               /* 0 = unlimited */
    long tpm;
    long concurrency;
    unsigned explicit_mask; /* LLMT_RL_EXPLICIT_* */
} llmt_rate_limit;

typedef struct llmt_provider_config {
    int config_version;
    char *name;
    char *provider_type;
    char *env_key;          /* "" when no key is needed */
    char *base_url;
    char *system_prompt;
    bool supports_file_upload;
    llmt_schema_rules schema_transform; /* how the task schema is rewritten before sending */
    double batch_discount;  /* run --batch: fraction off the interactive prices (0..1) */
    bool enabled;
    llmt_model_config *models;
    size_t n_models;
    llmt_rate_limit rate_limit;
    char **fallbacks;
    size_t n_fallbacks;
    char *path;             /* file it came from (for messages) */
    char *text;             /* the effective JSON text (migrated, overrides applied) */
    char *override_path;    /* the project's providers/<name>.json applied, or NULL */
    char *base_text;        /* the shipped text before overrides (NULL when none applied) */
    bool allow_insecure_http; /* send the key over plain http:// to a host that is not
                                 loopback (refused otherwise) */
    long max_reply_bytes;     /* largest reply body read; 0 = LLMT_DEFAULT_MAX_REPLY_BYTES */
} llmt_provider_config;

/* Parses and validates config JSON text (a version-1 file is migrated in memory first). Problems go to `diags` (each naming `path`,
 * the JSON pointer and the expectation). Returns NULL when there was any error. */
llmt_provider_config *llmt_provider_config_parse(const char *text, const char *path,
                                                 llmt_diags *diags);
void llmt_provider_config_free(llmt_provider_config *c);

/* Type-checks one model entry of an override file (every field optional but "name";
 * "removed": true allowed). */
void llmt_model_config_check_partial(llmt_jcheck *c, json_t *m, const char *path);
/* Frees the strings of a model config and zeroes it. */
void llmt_model_config_clear(llmt_model_config *m);

/* Model lookup by exact name; NULL when absent. */
const llmt_model_config *llmt_provider_config_model(const llmt_provider_config *c,
                                                    const char *name);
/* The model marked default, else the first enabled one; NULL if none. */
const llmt_model_config *llmt_provider_config_default_model(const llmt_provider_config *c);

#endif
