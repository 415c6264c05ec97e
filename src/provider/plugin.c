#include "provider/plugin.h"

#include <dlfcn.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"
#include "provider/factory.h"

void llmt_plugin_refusals_free(llmt_plugin_refusals *r)
{
    size_t i;
    if (!r)
        return;
    for (i = 0; i < r->count; i++) {
        free(r->items[i].name);
        free(r->items[i].origin);
        free(r->items[i].reason);
    }
    free(r->items);
    memset(r, 0, sizeof(*r));
}

static llmt_status add_refusal(llmt_plugin_refusals *r, const char *name, const char *origin,
                               const char *reason, llmt_error *err)
{
    llmt_plugin_refusal *items;
    if (!r)
        return LLMT_OK;
    items = realloc(r->items, (r->count + 1) * sizeof(*items));
    if (!items)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    r->items = items;
    items[r->count].name = llmt_strdup(name);
    items[r->count].origin = llmt_strdup(origin);
    items[r->count].reason = llmt_strdup(reason);
    r->count++;
    return LLMT_OK;
}

/* Provider names end up in "provider:model" references, env variable names and file
 * names: keep them to lower-case letters, digits, '_' and '-'. */
bool llmt_plugin_name_valid(const char *s)
{
    size_t i;
    if (!s[0] || strlen(s) > 63 || s[0] == '-' || s[0] == '_')
        return false;
    for (i = 0; s[i]; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
              s[i] == '-'))
            return false;
    return true;
}

/* ISO C has no conversion from void* (dlsym's result) to a function pointer; POSIX
 * guarantees both have the same representation, so copy the bytes. */
static llmt_provider_entry_fn entry_from_symbol(void *sym)
{
    llmt_provider_entry_fn fn;
    _Static_assert(sizeof(fn) == sizeof(sym), "function and object pointers differ in size");
    memcpy(&fn, &sym, sizeof fn);
    return fn;
}

/* The "override_builtin" flag of a plugin config (absent = false). */
static llmt_status read_override(const char *text, const char *cfg_path, bool *out,
                                 llmt_error *err)
{
    json_t *root = json_loads(text, 0, NULL), *v;
    llmt_status st = LLMT_OK;
    *out = false;
    v = json_object_get(root, "override_builtin");
    if (v && !json_is_boolean(v))
        st = llmt_error_set(err, LLMT_E_PLUGIN, "%s: /override_builtin: expected a boolean",
                            cfg_path);
    else
        *out = json_is_true(v);
    json_decref(root);
    return st;
}

/* Whether another user could change what `path` holds: it belongs to someone other than
 * the current user and root, or others (or a group not the user's own) may write it. A
 * folder above the plugin that is world-writable but sticky (/tmp) is fine: others can
 * add entries there but not replace ours. Fills err naming the path and the reason. */
static bool writable_by_others(const char *path, bool ancestor, llmt_error *err)
{
    struct stat st;
    const char *why = NULL;
    if (stat(path, &st) != 0)
        return false; /* missing files are reported by the caller */
    if (st.st_uid != geteuid() && st.st_uid != 0)
        why = "belongs to another user";
    else if ((st.st_mode & S_IWOTH) && !(ancestor && (st.st_mode & S_ISVTX)))
        why = "is writable by every user";
    else if ((st.st_mode & S_IWGRP) && st.st_gid != getegid() && st.st_gid != 0 &&
             !(ancestor && (st.st_mode & S_ISVTX)))
        why = "is writable by its group";
    if (!why)
        return false;
    llmt_error_set(err, LLMT_E_PLUGIN,
                   "%s %s (uid %ld, mode %04o): another user could replace the code that would "
                   "run as you; refused (make it yours and chmod go-w)",
                   path, why, (long)st.st_uid, (unsigned)(st.st_mode & 07777));
    return true;
}

/* The plugin's files, its folder and every folder above it must be safe from other users
 * (as ssh's StrictModes checks authorized_keys) before anything is loaded. */
static bool plugin_files_unsafe(const char *folder, const char *so_path, const char *cfg_path,
                                llmt_error *err)
{
    char *dir = realpath(folder, NULL);
    bool unsafe = writable_by_others(so_path, false, err) ||
                  writable_by_others(cfg_path, false, err) ||
                  writable_by_others(folder, false, err);
    char *slash;
    /* the folder holding the plugin folders: others writing there could plant a plugin */
    if (!unsafe && dir && (slash = strrchr(dir, '/')) != NULL) {
        *slash = '\0';
        unsafe = writable_by_others(dir[0] ? dir : "/", false, err);
        while (!unsafe && (slash = strrchr(dir, '/')) != NULL && dir[0]) {
            *slash = '\0';
            unsafe = writable_by_others(dir[0] ? dir : "/", true, err);
        }
    }
    free(dir);
    return unsafe;
}

llmt_status llmt_plugin_load(llmt_registry *reg, const char *dir, const char *name,
                             llmt_error *err)
{
    const llmt_logger *lg = llmt_registry_logger(reg);
    char *folder = llmt_path_join(dir, name);
    char *so_name = llmt_asprintf("%s.so", name);
    char *so_path = folder && so_name ? llmt_path_join(folder, so_name) : NULL;
    char *cfg_path = folder ? llmt_path_join(folder, "config.json") : NULL;
    char *cfg_text = NULL;
    void *handle = NULL, *sym;
    const llmt_provider_ops *ops;
    llmt_provider_config *cfg = NULL;
    llmt_provider_entry *existing;
    llmt_diags diags = {0};
    bool override_builtin = false, replace = false;
    llmt_status st = LLMT_OK;
    if (!so_path || !cfg_path) {
        st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        goto done;
    }
    if (!llmt_plugin_name_valid(name)) {
        st = llmt_error_set(err, LLMT_E_PLUGIN,
                            "%s: '%s' is not a valid provider name (lower-case letters, digits, "
                            "'_' and '-', at most 63)",
                            folder, name);
        goto done;
    }
    if (!llmt_path_exists(so_path)) {
        st = llmt_error_set(err, LLMT_E_PLUGIN, "%s: no %s (build the plugin first)", folder,
                            so_name);
        goto done;
    }
    if (llmt_read_file(cfg_path, &cfg_text, NULL, err) != LLMT_OK) {
        st = llmt_error_set(err, LLMT_E_PLUGIN, "%s: config.json is missing or unreadable",
                            folder);
        goto done;
    }
    if (plugin_files_unsafe(folder, so_path, cfg_path, err)) {
        st = LLMT_E_PLUGIN;
        goto done;
    }
    llmt_logf(lg, LLMT_LOG_INFO, "loading plugin %s", so_path);
    /* RTLD_NOW: an unresolved symbol is a refusal now, not a crash in the middle of a
     * run. RTLD_LOCAL: plugins cannot interpose each other's symbols. */
    handle = dlopen(so_path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *why = dlerror();
        st = llmt_error_set(err, LLMT_E_PLUGIN, "%s: cannot be loaded: %s", so_path,
                            why ? why : "unknown dlopen error");
        goto done;
    }
    sym = dlsym(handle, LLMT_PROVIDER_ENTRY_SYMBOL);
    if (!sym) {
        st = llmt_error_set(err, LLMT_E_PLUGIN, "%s: does not export %s()", so_path,
                            LLMT_PROVIDER_ENTRY_SYMBOL);
        goto done;
    }
    ops = entry_from_symbol(sym)();
    st = llmt_factory_check_ops(ops, so_path, err);
    if (st != LLMT_OK)
        goto done;
    if (strcmp(ops->name, name) != 0) {
        st = llmt_error_set(err, LLMT_E_PLUGIN,
                            "%s: the provider calls itself '%s' but its folder is '%s' (they must "
                            "be equal)",
                            so_path, ops->name, name);
        goto done;
    }
    cfg = llmt_provider_config_parse(cfg_text, cfg_path, &diags);
    if (!cfg) {
        llmt_diags_to_error(&diags, err);
        if (err)
            err->status = LLMT_E_PLUGIN;
        st = LLMT_E_PLUGIN;
        goto done;
    }
    if (strcmp(cfg->name, name) != 0) {
        st = llmt_error_set(err, LLMT_E_PLUGIN, "%s: /name: expected \"%s\" (the folder name), "
                            "got \"%s\"", cfg_path, name, cfg->name);
        goto done;
    }
    st = read_override(cfg_text, cfg_path, &override_builtin, err);
    if (st != LLMT_OK)
        goto done;
    existing = llmt_registry_find(reg, name);
    if (existing) {
        bool builtin = existing->dl_handle == NULL;
        if (!builtin || !override_builtin) {
            st = llmt_error_set(err, LLMT_E_PLUGIN,
                                "%s: the name '%s' is already taken by %s%s", so_path, name,
                                builtin ? "the built-in provider" : existing->origin,
                                builtin ? " (set \"override_builtin\": true in its config.json "
                                          "to replace it)"
                                        : " (the first plugin on the path wins)");
            goto done;
        }
        replace = true;
    }
    st = llmt_registry_add(reg, ops, cfg, so_path, handle, replace, err);
    cfg = NULL; /* the registry owns it now, or freed it on failure */
    if (st != LLMT_OK)
        goto done;
    handle = NULL; /* owned by the registry entry */
    if (replace)
        llmt_logf(lg, LLMT_LOG_INFO, "plugin %s overrides the built-in provider '%s'", so_path,
                  name);
done:
    if (st != LLMT_OK && err)
        snprintf(err->provider, sizeof err->provider, "%s", name);
    llmt_provider_config_free(cfg);
    llmt_diags_free(&diags);
    if (handle)
        dlclose(handle);
    free(cfg_text);
    free(cfg_path);
    free(so_path);
    free(so_name);
    free(folder);
    return st;
}

/* A folder is a plugin folder when it holds <name>.so or config.json; anything else
 * (a build system's own folders, documentation) is not ours to judge. */
static bool is_plugin_folder(const char *folder, const char *name)
{
    char *so = llmt_asprintf("%s/%s.so", folder, name);
    char *cfg = llmt_path_join(folder, "config.json");
    bool yes = llmt_is_dir(folder) &&
               ((so && llmt_path_exists(so)) || (cfg && llmt_path_exists(cfg)));
    free(so);
    free(cfg);
    return yes;
}

/* Scans one directory of the plugin path. */
static llmt_status load_dir(llmt_registry *reg, const char *dir, llmt_plugin_refusals *refused,
                            llmt_error *err)
{
    const llmt_logger *lg = llmt_registry_logger(reg);
    char **names = NULL;
    size_t n = 0, i;
    llmt_status st = LLMT_OK;
    llmt_error e;
    if (!llmt_is_dir(dir)) {
        llmt_logf(lg, LLMT_LOG_INFO, "plugin directory %s does not exist; skipped", dir);
        return LLMT_OK;
    }
    if (llmt_list_dir(dir, &names, &n, &e) != LLMT_OK) {
        llmt_logf(lg, LLMT_LOG_WARN, "plugin directory %s cannot be read: %s", dir, e.message);
        return LLMT_OK;
    }
    for (i = 0; i < n && st == LLMT_OK; i++) {
        char *folder = llmt_path_join(dir, names[i]);
        if (!folder) {
            st = llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
            break;
        }
        if (!is_plugin_folder(folder, names[i])) {
            llmt_logf(lg, LLMT_LOG_DEBUG, "%s: no %s.so and no config.json; not a plugin",
                      folder, names[i]);
        } else {
            llmt_error_clear(&e);
            if (llmt_plugin_load(reg, dir, names[i], &e) != LLMT_OK) {
                if (e.status == LLMT_E_NOMEM) {
                    *err = e;
                    st = LLMT_E_NOMEM;
                } else {
                    llmt_logf(lg, LLMT_LOG_WARN, "refused plugin '%s': %s", names[i], e.message);
                    st = add_refusal(refused, names[i], folder, e.message, err);
                }
            }
        }
        free(folder);
    }
    llmt_free_strv(names, n);
    return st;
}

llmt_status llmt_plugins_load_path(llmt_registry *reg, const char *path,
                                   llmt_plugin_refusals *refused, llmt_error *err)
{
    const char *p = path, *colon;
    llmt_status st = LLMT_OK;
    if (!path)
        return LLMT_OK;
    while (st == LLMT_OK && *p) {
        char *dir;
        colon = strchr(p, ':');
        dir = llmt_strndup(p, colon ? (size_t)(colon - p) : strlen(p));
        if (!dir)
            return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        if (dir[0])
            st = load_dir(reg, dir, refused, err);
        free(dir);
        if (!colon)
            break;
        p = colon + 1;
    }
    return st;
}
