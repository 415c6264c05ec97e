/* External providers: shared objects found on a plugin path, validated and registered.
 *
 * Layout: <dir>/<name>/<name>.so + <dir>/<name>/config.json, for every <dir> of a
 * colon-separated path. Loading one plugin is: dlopen → the single entry symbol
 * LLMT_PROVIDER_ENTRY_SYMBOL → ABI check → required ops → config.json valid → name
 * check → register. Any refusal undoes everything (dlclose, config freed), is logged
 * at warning level with the reason and recorded for `providers list -v`; a bad plugin
 * never makes loading fail and never crashes the host (short of crashing in its own
 * entry function, which no host can prevent).
 *
 * Plugins are self-contained: they compile against include/llmt/provider.h alone and
 * may use only its static inline helpers plus what they link themselves. They are
 * opened RTLD_LOCAL, so two plugins never see each other's symbols. */
#ifndef LLMT_PLUGIN_H
#define LLMT_PLUGIN_H

#include "provider/registry.h"

typedef struct llmt_plugin_refusal {
    char *name;    /* plugin folder name */
    char *origin;  /* the .so path (or folder when there is no .so) */
    char *reason;  /* why it was refused */
} llmt_plugin_refusal;

typedef struct llmt_plugin_refusals {
    llmt_plugin_refusal *items;
    size_t count;
} llmt_plugin_refusals;

/* Frees the items and zeroes the list. NULL ok. */
void llmt_plugin_refusals_free(llmt_plugin_refusals *r);

/* Whether `s` can name a provider: 1-63 of [a-z0-9_-], not starting with '_' or '-'
 * (it becomes a folder, a file name and part of an environment variable name). */
bool llmt_plugin_name_valid(const char *s);

/* Loads the plugin in <dir>/<name>/. On success it is in `reg` (which then owns the
 * dlopen handle). On refusal returns LLMT_E_PLUGIN with the reason in err and leaves
 * `reg` as it was. A name taken by a built-in is refused unless the plugin's
 * config.json has "override_builtin": true; a name taken by another plugin is always
 * refused (the first one on the path wins). */
llmt_status llmt_plugin_load(llmt_registry *reg, const char *dir, const char *name,
                             llmt_error *err);

/* Loads every plugin on `path` (colon-separated directories, empty entries and missing
 * directories skipped; NULL or "" loads nothing). Directories are scanned in path
 * order, folders in sorted order. Refusals go to the log and to `refused` (may be
 * NULL). Fails only on allocation failure. */
llmt_status llmt_plugins_load_path(llmt_registry *reg, const char *path,
                                   llmt_plugin_refusals *refused, llmt_error *err);

#endif
