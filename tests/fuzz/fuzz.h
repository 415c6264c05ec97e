/*
 * What every harness of tests/fuzz shares. A harness is one file defining
 * LLVMFuzzerTestOneInput; it is linked either with libFuzzer (`make fuzz`, clang) or with
 * replay_main.c, which feeds it the files of its seed corpus in a fixed order (ctest, in
 * the gcc and the sanitizer builds). A harness aborts (assert-like, through
 * FUZZ_CHECK) when an invariant breaks, so both drivers report the input.
 */
#ifndef LLMT_FUZZ_H
#define LLMT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stops the process with a message when `cond` is false (also in release builds). */
#define FUZZ_CHECK(cond, ...)                                                              \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);        \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

/* A malloc'd copy of data with a NUL after it (the input may hold NULs of its own). */
char *fuzz_cstr(const uint8_t *data, size_t size);

/* A malloc'd copy of exactly `size` bytes (at least one byte allocated), so that a read
 * past the end is an ASan report rather than a read of a terminator. */
char *fuzz_bytes(const uint8_t *data, size_t size);

/* Splits data at its first `max - 1` NUL bytes into at most `max` parts; part i is
 * parts[i] (NUL-terminated malloc'd copy, or NULL when absent). Returns the number of
 * parts found. Free with fuzz_parts_free. */
size_t fuzz_split(const uint8_t *data, size_t size, char **parts, size_t *lens, size_t max);
void fuzz_parts_free(char **parts, size_t max);

/* The harness's scratch folder (created on first use, removed with its content at
 * exit). */
const char *fuzz_dir(void);

/* Writes data to <fuzz_dir>/<rel> (its folders created as needed) and
 * returns the malloc'd path; aborts when the file cannot be written. */
char *fuzz_write(const char *rel, const uint8_t *data, size_t size);

/* A 64-bit hash of the input, to pick variants deterministically. */
uint64_t fuzz_hash(const uint8_t *data, size_t size);

#endif
