#include "config/cfgfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "config/jcheck.h"
#include "core/util.h"

char *llmt_cfg_dump(const json_t *root)
{
    /* 15 significant digits print 0.15 as 0.15 (17 would print 0.14999999999999999)
     * while keeping every price we store exact. */
    char *s = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
    char *out;
    if (!s)
        return NULL;
    out = llmt_asprintf("%s\n", s);
    free(s);
    return out;
}


/* Opens and locks "<dir>/.<name>.lock" (hidden, so it does not clutter the folder, and
 * never replaced, so every process locks the same inode); returns the fd (>= 0) or -1
 * with err set. */
static int lock_file(const char *path, llmt_error *err)
{
    const char *slash = strrchr(path, '/');
    char *dir = llmt_path_dirname(path);
    char *lock = dir ? llmt_asprintf("%s/.%s.lock", dir, slash ? slash + 1 : path) : NULL;
    int fd = -1;
    if (!lock || !dir) {
        llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
        goto done;
    }
    if (llmt_mkdirs(dir, err) != LLMT_OK)
        goto done;
    fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        llmt_error_set(err, LLMT_E_IO, "%s: cannot create the lock file: %s", lock, strerror(errno));
        goto done;
    }
    while (flock(fd, LOCK_EX) != 0) {
        if (errno == EINTR)
            continue;
        llmt_error_set(err, LLMT_E_IO, "%s: cannot lock: %s", lock, strerror(errno));
        close(fd);
        fd = -1;
        break;
    }
done:
    free(lock);
    free(dir);
    return fd;
}

static void unlock_file(int fd)
{
    if (fd >= 0) {
        flock(fd, LOCK_UN);
        close(fd);
    }
}

llmt_status llmt_cfg_edit(const char *path, llmt_cfg_edit_fn fn, void *ud, llmt_diags *diags,
                          bool *changed, llmt_error *err)
{
    char *old_text = NULL, *new_text = NULL;
    json_t *root = NULL, *replace = NULL;
    size_t errors_before = diags->errors;
    llmt_status st;
    int fd = lock_file(path, err);
    if (changed)
        *changed = false;
    if (fd < 0)
        return err ? err->status : LLMT_E_IO;
    if (llmt_path_exists(path)) {
        st = llmt_read_file(path, &old_text, NULL, err);
        if (st != LLMT_OK)
            goto done;
        root = llmt_jc_load_text(diags, old_text, path);
        if (!root) {
            st = llmt_diags_to_error(diags, err);
            goto done;
        }
    }
    st = fn(root, &replace, ud, diags, err);
    if (st == LLMT_OK && diags->errors > errors_before)
        st = llmt_diags_to_error(diags, err);
    if (st != LLMT_OK)
        goto done;
    new_text = llmt_cfg_dump(replace ? replace : root);
    if (!new_text) {
        st = llmt_error_set(err, LLMT_E_NOMEM, "%s: nothing to write", path);
        goto done;
    }
    if (old_text && strcmp(old_text, new_text) == 0)
        goto done;
    st = llmt_write_file_atomic(path, new_text, strlen(new_text), err);
    if (st == LLMT_OK && changed)
        *changed = true;
done:
    unlock_file(fd);
    json_decref(root);
    json_decref(replace);
    free(old_text);
    free(new_text);
    return st;
}

static llmt_status replace_with(json_t *root, json_t **replace, void *ud, llmt_diags *diags,
                                llmt_error *err)
{
    (void)root;
    (void)diags;
    (void)err;
    *replace = json_deep_copy(ud);
    return LLMT_OK;
}

llmt_status llmt_cfg_write(const char *path, const json_t *root, llmt_error *err)
{
    llmt_diags d = {0};
    llmt_status st = llmt_cfg_edit(path, replace_with, (void *)root, &d, NULL, err);
    llmt_diags_free(&d);
    return st;
}
