/* io_uring batch reads: see batchread.h. */
#include "core/batchread.h"

#include <stdlib.h>
#include <string.h>

/* Every entry starts unread. */
static void clear_files(llmt_batch_file *files, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        files[i].data = NULL;
        files[i].len = 0;
    }
}

#ifdef LLMT_HAVE_IO_URING

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>

/* Files per io_uring_enter() (three requests each: open, read, close). */
#define BATCH_FILES 32
/* Bytes read per file. A read that fills it may have stopped short of the file's end, so
 * such a file is left to the caller's usual read: case files are mostly far smaller. */
#define BATCH_BUF 16384

struct llmt_batch_reader {
    struct io_uring ring;
    char *bufs;  /* BATCH_FILES * BATCH_BUF: one read buffer per slot */
    bool off;    /* the kernel turned a request type down: read nothing more this way */
};

/* memcheck does not see the kernel write the read buffers through the ring and would
 * report every later use of the contents; valgrind puts its preload library first. */
static bool unwanted(void)
{
    const char *v = getenv("LLMT_IO_URING");
    const char *pre = getenv("LD_PRELOAD");
    return (v && strcmp(v, "0") == 0) || (pre && strstr(pre, "vgpreload") != NULL);
}

llmt_batch_reader *llmt_batch_reader_new(void)
{
    llmt_batch_reader *r;
    if (unwanted())
        return NULL;
    r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->bufs = malloc((size_t)BATCH_FILES * BATCH_BUF);
    if (!r->bufs || io_uring_queue_init(BATCH_FILES * 3, &r->ring, 0) != 0) {
        free(r->bufs);
        free(r);
        return NULL;
    }
    /* the files are opened into the ring's own table (slot k for file k of a chunk): no
     * descriptor of the process is taken, and read and close can be linked to the open */
    if (io_uring_register_files_sparse(&r->ring, BATCH_FILES) != 0) {
        llmt_batch_reader_free(r);
        return NULL;
    }
    return r;
}

void llmt_batch_reader_free(llmt_batch_reader *r)
{
    if (!r)
        return;
    io_uring_queue_exit(&r->ring);
    free(r->bufs);
    free(r);
}

/* Queues open -> read -> close of file k into slot k. Hard links: the close runs even
 * when the open or the read fails, so that no slot keeps a file into the next chunk. */
static void queue_file(llmt_batch_reader *r, const llmt_batch_file *f, unsigned k)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);
    /* O_NONBLOCK: a FIFO put where the listing saw a file must not hang the batch */
    io_uring_prep_openat_direct(sqe, f->dirfd, f->name, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, k);
    sqe->flags |= IOSQE_IO_HARDLINK;
    io_uring_sqe_set_data64(sqe, (unsigned long long)k * 3);
    sqe = io_uring_get_sqe(&r->ring);
    io_uring_prep_read(sqe, (int)k, r->bufs + (size_t)k * BATCH_BUF, BATCH_BUF, 0);
    sqe->flags |= IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK;
    io_uring_sqe_set_data64(sqe, (unsigned long long)k * 3 + 1);
    sqe = io_uring_get_sqe(&r->ring);
    io_uring_prep_close_direct(sqe, k);
    io_uring_sqe_set_data64(sqe, (unsigned long long)k * 3 + 2);
}

/* Reads one chunk (n <= BATCH_FILES). */
static void read_chunk(llmt_batch_reader *r, llmt_batch_file *files, unsigned n)
{
    int got[BATCH_FILES], sub;
    unsigned k, want = n * 3, seen = 0;
    bool whole;
    for (k = 0; k < n; k++) {
        got[k] = -ECANCELED;
        queue_file(r, &files[k], k);
    }
    sub = io_uring_submit(&r->ring);
    if (sub <= 0) {
        r->off = true; /* nothing was queued to the kernel: the files stay unread */
        return;
    }
    /* a kernel short of memory may take only part of the chunk: wait for that part,
     * leave every file to the caller and read nothing more this way */
    whole = (unsigned)sub == want;
    if (!whole) {
        r->off = true;
        want = (unsigned)sub;
    }
    while (seen < want) {
        struct io_uring_cqe *cqe;
        unsigned long long ud;
        int rc = io_uring_wait_cqe(&r->ring, &cqe);
        if (rc == -EINTR)
            continue;
        if (rc < 0) {
            /* the buffers may still be written: io_uring_queue_exit (in _free) waits for
             * that; nothing more is read this way and these files stay unread */
            r->off = true;
            for (k = 0; k < n; k++)
                got[k] = -ECANCELED;
            break;
        }
        ud = io_uring_cqe_get_data64(cqe);
        if (ud % 3 == 0 && cqe->res == -EINVAL)
            r->off = true; /* a kernel without direct opens (before 5.15) */
        else if (ud % 3 == 1 && ud / 3 < n)
            got[ud / 3] = cqe->res;
        io_uring_cqe_seen(&r->ring, cqe);
        seen++;
    }
    for (k = 0; whole && k < n; k++) {
        llmt_batch_file *f = &files[k];
        size_t len;
        /* failed, perhaps cut short by the buffer, or nothing read: the caller reads it
         * (a FIFO put where the listing saw a file reads as empty when nobody writes) */
        if (got[k] <= 0 || got[k] >= BATCH_BUF)
            continue;
        len = (size_t)got[k];
        f->data = malloc(len + 1);
        if (!f->data)
            continue;
        memcpy(f->data, r->bufs + (size_t)k * BATCH_BUF, len);
        f->data[len] = '\0';
        f->len = len;
    }
}

void llmt_batch_read(llmt_batch_reader *r, llmt_batch_file *files, size_t n)
{
    size_t i;
    clear_files(files, n);
    for (i = 0; r && i < n && !r->off; i += BATCH_FILES)
        read_chunk(r, files + i, (unsigned)(n - i < BATCH_FILES ? n - i : BATCH_FILES));
}

#else /* no liburing at build time */

llmt_batch_reader *llmt_batch_reader_new(void)
{
    return NULL;
}

void llmt_batch_reader_free(llmt_batch_reader *r)
{
    (void)r;
}

void llmt_batch_read(llmt_batch_reader *r, llmt_batch_file *files, size_t n)
{
    (void)r;
    clear_files(files, n);
}

#endif
