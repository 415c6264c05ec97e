/* Small helpers shared by every module: growable strings, files, paths, time. */
#ifndef LLMT_UTIL_H
#define LLMT_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include "llmt/error.h"

/* Growable NUL-terminated byte buffer. A zeroed struct is a valid empty buffer. */
typedef struct llmt_buf {
    char *data;
    size_t len;
    size_t cap;
    bool oom; /* set once an allocation failed; later appends are no-ops */
} llmt_buf;

void llmt_buf_append(llmt_buf *b, const char *s, size_t n);
void llmt_buf_puts(llmt_buf *b, const char *s);
void llmt_buf_printf(llmt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void llmt_buf_vprintf(llmt_buf *b, const char *fmt, va_list ap);
/* Returns the string (never NULL unless oom) and leaves the buffer empty; caller frees. */
char *llmt_buf_steal(llmt_buf *b);
void llmt_buf_free(llmt_buf *b);

char *llmt_strdup(const char *s);            /* NULL-safe */
char *llmt_strndup(const char *s, size_t n);
char *llmt_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* a + b + c in one allocation (no format parsing: used per case and per path), or NULL. */
char *llmt_concat3(const char *a, const char *b, const char *c);
bool llmt_str_ends_with(const char *s, const char *suffix);
/* `text` past a leading UTF-8 byte-order mark (editors on Windows write one before JSON);
 * borrowed, NULL-safe. */
const char *llmt_skip_bom(const char *text);
/* A malloc'd copy of s with every occurrence of `secret` replaced by "[REDACTED]"
 * (a plain copy when secret is NULL or empty); NULL when s is NULL or out of memory. */
char *llmt_redact_secret(const char *s, const char *secret);
int llmt_strcasecmp(const char *a, const char *b);
/* Whether `needle` occurs in `hay`, ASCII case ignored. */
bool llmt_str_contains_ci(const char *hay, const char *needle);

/* Reads a whole file. *out is malloc'd and NUL-terminated; *len may be NULL. */
llmt_status llmt_read_file(const char *path, char **out, size_t *len, llmt_error *err);
/* llmt_read_file of the file `name` in folder `dir`, opened relative to `dirfd`, an open
 * handle on `dir` (-1: by the joined path). Errors name the joined path. `regular`: the
 * caller knows the file is a regular one (its folder's listing said so), which lets a
 * small file be read without asking its size. */
llmt_status llmt_read_file_at(int dirfd, const char *dir, const char *name, bool regular,
                              char **out, size_t *len, llmt_error *err);
/* Writes a file atomically: temp file in the same directory, fsync, rename. */
llmt_status llmt_write_file_atomic(const char *path, const char *data, size_t len, llmt_error *err);
bool llmt_path_exists(const char *path);
bool llmt_is_dir(const char *path);
/* Whether two paths name the same existing file (same device and inode). */
bool llmt_same_file(const char *a, const char *b);
/* mkdir -p */
llmt_status llmt_mkdirs(const char *path, llmt_error *err);
char *llmt_path_join(const char *a, const char *b);
/* `path` as a file beside `dir` means it: relative paths joined to dir, absolute ones as
 * they are. malloc'd. */
char *llmt_path_resolve(const char *dir, const char *path);
/* mkdir -p of the folder that will hold `file` (nothing to do for a bare name). */
llmt_status llmt_mkdirs_for_file(const char *file, llmt_error *err);
/* The folder part of a path: "a/b" -> "a", "b" -> ".", "/b" -> "/". Caller frees. */
char *llmt_path_dirname(const char *path);
/* Sorted list of directory entries (names only, no "." / ".."). */
llmt_status llmt_list_dir(const char *path, char ***names, size_t *count, llmt_error *err);
void llmt_free_strv(char **v, size_t n);

double llmt_now_ms(void);        /* monotonic milliseconds */
double llmt_wall_time_s(void);   /* seconds since the epoch */
/* ISO-8601 UTC timestamp "2026-11-25T12:00:00Z" into buf (>= 21 bytes). */
void llmt_iso_time(double epoch_s, char *buf, size_t n);

/* Deterministic PRNG (splitmix64 seeded xorshift): state lives with the caller. */
typedef struct llmt_rng { uint64_t s; } llmt_rng;
void llmt_rng_seed(llmt_rng *r, uint64_t seed);
uint64_t llmt_rng_next(llmt_rng *r);
double llmt_rng_uniform(llmt_rng *r); /* [0,1) */
uint64_t llmt_hash64(const char *s, uint64_t seed); /* FNV-1a mixed */

/* Splits "provider:model" at the first ':'. Both outputs malloc'd. */
llmt_status llmt_split_model_ref(const char *ref, char **provider, char **model, llmt_error *err);

#endif
