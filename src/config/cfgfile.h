/* Writing configuration files safely: one stable format (2-space indent, keys in the
 * order they have in the file, trailing newline) so edits stay small and diffable, and
 * read-modify-write under an exclusive lock so two processes editing the same file at
 * once both land (the second sees the first's edit) and the file is always valid. */
#ifndef LLMT_CFGFILE_H
#define LLMT_CFGFILE_H

#include <jansson.h>
#include "core/diag.h"

/* The canonical text of a config document: malloc'd, caller frees; NULL on OOM. */
char *llmt_cfg_dump(const json_t *root);

/* Called under the lock with the file's current content. `root` is the parsed file, or
 * NULL when the file does not exist yet; the callback either edits it in place or
 * stores a new document in *replace (owned by the caller afterwards). It returns LLMT_OK
 * to write, or an error (filled into err) to leave the file untouched. Problems found
 * while validating go to `diags` (an error diagnostic also aborts the write). */
typedef llmt_status (*llmt_cfg_edit_fn)(json_t *root, json_t **replace, void *ud,
                                        llmt_diags *diags, llmt_error *err);

/* Locks `path` (flock on the hidden "<dir>/.<name>.lock"), reads and parses it, calls fn, and writes the
 * result atomically (temp file + rename) when it differs from what was there. Creates
 * missing parent folders. *changed (may be NULL) says whether the file was written.
 * On any failure the file is untouched. */
llmt_status llmt_cfg_edit(const char *path, llmt_cfg_edit_fn fn, void *ud, llmt_diags *diags,
                          bool *changed, llmt_error *err);

/* Writes `root` in the canonical format (atomic, under the same lock). */
llmt_status llmt_cfg_write(const char *path, const json_t *root, llmt_error *err);

#endif
