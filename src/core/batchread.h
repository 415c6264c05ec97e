/* Reads many small files with few system calls: io_uring opens, reads and closes a
 * whole batch of files per io_uring_enter(), where open()/read()/close() cost three
 * calls each. A run reads two or three files per case before it can send the case, and
 * for 10,000 small cases those 60,000 calls were a quarter of the run's CPU (bench/).
 *
 * Best effort by design: a file the batch could not read whole (error, larger than the
 * batch buffer, empty, not a regular file) is left for the caller's usual read, which
 * then reports any error exactly as before. Without io_uring (not built with liburing, kernel
 * too old or refusing it, LLMT_IO_URING=0, or under valgrind, whose memcheck cannot see
 * what the kernel writes through the ring) llmt_batch_reader_new returns NULL and callers
 * read file by file. One thread at a time per reader. */
#ifndef LLMT_BATCHREAD_H
#define LLMT_BATCHREAD_H

#include <stdbool.h>
#include <stddef.h>

typedef struct llmt_batch_reader llmt_batch_reader;

/* One file of a batch. The caller fills dirfd (an open folder; the batch does not use
 * AT_FDCWD paths) and name; the batch fills data/len. */
typedef struct llmt_batch_file {
    int dirfd;
    const char *name;
    char *data; /* malloc'd, NUL-terminated, owned by the caller; NULL: not read */
    size_t len;
} llmt_batch_file;

/* NULL when batch reads are not available here (see above). */
llmt_batch_reader *llmt_batch_reader_new(void);
void llmt_batch_reader_free(llmt_batch_reader *r);
/* Reads files[0..n) (any n; they go to the kernel in chunks). Each file's data is NULL
 * unless it was read whole. Never fails as a whole. */
void llmt_batch_read(llmt_batch_reader *r, llmt_batch_file *files, size_t n);

#endif
