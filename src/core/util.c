#include "core/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static bool buf_reserve(llmt_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;
    if (b->oom)
        return false;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return true;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    p = realloc(b->data, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void llmt_buf_append(llmt_buf *b, const char *s, size_t n)
{
    if (!buf_reserve(b, n))
        return;
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void llmt_buf_puts(llmt_buf *b, const char *s)
{
    llmt_buf_append(b, s, strlen(s));
}

void llmt_buf_vprintf(llmt_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || !buf_reserve(b, (size_t)n))
        return;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void llmt_buf_printf(llmt_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    llmt_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

char *llmt_buf_steal(llmt_buf *b)
{
    char *s;
    if (b->oom) {
        llmt_buf_free(b);
        return NULL;
    }
    s = b->data ? b->data : llmt_strdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

void llmt_buf_free(llmt_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}

char *llmt_strdup(const char *s)
{
    return s ? llmt_strndup(s, strlen(s)) : NULL;
}

char *llmt_strndup(const char *s, size_t n)
{
    char *p;
    if (!s)
        return NULL;
    p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *llmt_asprintf(const char *fmt, ...)
{
    llmt_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    llmt_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    return llmt_buf_steal(&b);
}

const char *llmt_skip_bom(const char *text)
{
    if (text && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
        (unsigned char)text[2] == 0xBF)
        return text + 3;
    return text;
}

bool llmt_str_ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

bool llmt_str_contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return false;
}

int llmt_strcasecmp(const char *a, const char *b)
{
    return strcasecmp(a, b);
}

/* The file `name` of folder `dir` (NULL: `name` is the whole path), as error messages
 * name it: what llmt_path_join(dir, name) gives. */
static llmt_status read_error(llmt_error *err, llmt_status st, const char *dir, const char *name,
                              const char *what, int e)
{
    char *path = dir ? llmt_path_join(dir, name) : NULL;
    st = llmt_error_set(err, st, "%s: %s%s", path ? path : name, what,
                        st == LLMT_E_NOMEM ? "out of memory" : strerror(e));
    free(path);
    return st;
}

/* Small files, read whole into the stack by one read() when their type is known */
#define READ_FIRST 16384

/* Reads the open file fd to its end and closes it. `regular`: the caller knows it is a
 * regular file (a folder listing said so). */
static llmt_status read_fd(int fd, bool regular, const char *dir, const char *name, char **out,
                           size_t *len, llmt_error *err)
{
    char first[READ_FIRST];
    struct stat sb;
    size_t cap, n = 0, size = 0;
    char *buf;
    if (regular) {
        /* a regular file that does not fill `first` has been read to its end by this one
         * read(): no fstat() for its size, no read() returning 0 */
        ssize_t r;
        do
            r = read(fd, first, sizeof first);
        while (r < 0 && errno == EINTR);
        if (r < 0) {
            int e = errno;
            close(fd);
            return read_error(err, LLMT_E_IO, dir, name, "read error: ", e);
        }
        n = (size_t)r;
        if (n < sizeof first) {
            close(fd);
            buf = malloc(n + 1);
            if (!buf)
                return read_error(err, LLMT_E_NOMEM, dir, name, "", 0);
            memcpy(buf, first, n);
            buf[n] = '\0';
            if (len)
                *len = n;
            *out = buf;
            return LLMT_OK;
        }
    }
    /* open/fstat/read rather than stdio: a run reads two or three small files per case,
     * and 100,000 cases make the syscalls and stdio buffers show */
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0)
        size = (size_t)sb.st_size;
    cap = size > n ? size : n ? 2 * n : 4096;
    buf = malloc(cap + 1);
    if (buf && n)
        memcpy(buf, first, n);
    for (;;) {
        ssize_t r;
        if (!buf) {
            close(fd);
            return read_error(err, LLMT_E_NOMEM, dir, name, "", 0);
        }
        /* a regular file read to the size fstat gave: done without the read() that
         * would return 0 (a file growing meanwhile is read as it was) */
        if (size && n >= size)
            break;
        if (n == cap) { /* the file grew, or its size was unknown */
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb)
                free(buf);
            buf = nb;
            cap *= 2;
            continue;
        }
        r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return read_error(err, LLMT_E_IO, dir, name, "read error: ", e);
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    if (len)
        *len = n;
    *out = buf;
    return LLMT_OK;
}

llmt_status llmt_read_file(const char *path, char **out, size_t *len, llmt_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return read_error(err, LLMT_E_IO, NULL, path, "", errno);
    return read_fd(fd, false, NULL, path, out, len, err);
}

llmt_status llmt_read_file_at(int dirfd, const char *dir, const char *name, bool regular,
                              char **out, size_t *len, llmt_error *err)
{
    int fd;
    if (dirfd >= 0) {
        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    } else {
        char *path = llmt_path_join(dir, name);
        if (!path)
            return read_error(err, LLMT_E_NOMEM, dir, name, "", 0);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        free(path);
    }
    if (fd < 0)
        return read_error(err, LLMT_E_IO, dir, name, "", errno);
    return read_fd(fd, regular, dir, name, out, len, err);
}

llmt_status llmt_write_file_atomic(const char *path, const char *data, size_t len, llmt_error *err)
{
    char *tmp = llmt_asprintf("%s.tmp.%ld", path, (long)getpid());
    int fd;
    size_t off = 0;
    if (!tmp)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        llmt_error_set(err, LLMT_E_IO, "%s: %s", path, strerror(errno));
        free(tmp);
        return LLMT_E_IO;
    }
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            llmt_error_set(err, LLMT_E_IO, "%s: %s", path, strerror(errno));
            close(fd);
            unlink(tmp);
            free(tmp);
            return LLMT_E_IO;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        llmt_error_set(err, LLMT_E_IO, "%s: %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return LLMT_E_IO;
    }
    free(tmp);
    return LLMT_OK;
}

bool llmt_path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

bool llmt_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool llmt_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

llmt_status llmt_mkdirs(const char *path, llmt_error *err)
{
    char *p = llmt_strdup(path);
    size_t i;
    if (!p)
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    for (i = 1; p[i]; i++) {
        if (p[i] == '/') {
            p[i] = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST) {
                llmt_error_set(err, LLMT_E_IO, "%s: %s", p, strerror(errno));
                free(p);
                return LLMT_E_IO;
            }
            p[i] = '/';
        }
    }
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
        llmt_error_set(err, LLMT_E_IO, "%s: %s", p, strerror(errno));
        free(p);
        return LLMT_E_IO;
    }
    free(p);
    if (!llmt_is_dir(path))
        return llmt_error_set(err, LLMT_E_IO, "%s: not a directory", path);
    return LLMT_OK;
}

char *llmt_redact_secret(const char *s, const char *secret)
{
    llmt_buf b = {0};
    size_t sl = secret ? strlen(secret) : 0;
    const char *p = s, *hit;
    if (!s)
        return NULL;
    if (!sl)
        return llmt_strdup(s);
    while ((hit = strstr(p, secret)) != NULL) {
        llmt_buf_append(&b, p, (size_t)(hit - p));
        llmt_buf_puts(&b, "[REDACTED]");
        p = hit + sl;
    }
    llmt_buf_puts(&b, p);
    return llmt_buf_steal(&b);
}

char *llmt_concat3(const char *a, const char *b, const char *c)
{
    size_t na = strlen(a), nb = strlen(b), nc = strlen(c);
    char *s = malloc(na + nb + nc + 1);
    if (!s)
        return NULL;
    memcpy(s, a, na);
    memcpy(s + na, b, nb);
    memcpy(s + na + nb, c, nc + 1);
    return s;
}

char *llmt_path_join(const char *a, const char *b)
{
    size_t n = strlen(a);
    return llmt_concat3(a, n && a[n - 1] == '/' ? "" : "/", b);
}

char *llmt_path_resolve(const char *dir, const char *path)
{
    return path[0] == '/' ? llmt_strdup(path) : llmt_path_join(dir, path);
}

char *llmt_path_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return llmt_strdup(".");
    if (slash == path)
        return llmt_strdup("/");
    return llmt_strndup(path, (size_t)(slash - path));
}

llmt_status llmt_mkdirs_for_file(const char *file, llmt_error *err)
{
    char *dir;
    llmt_status st;
    if (!strchr(file, '/'))
        return LLMT_OK;
    dir = llmt_path_dirname(file);
    st = dir ? llmt_mkdirs(dir, err) : llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    free(dir);
    return st;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

llmt_status llmt_list_dir(const char *path, char ***names, size_t *count, llmt_error *err)
{
    DIR *d = opendir(path);
    struct dirent *e;
    char **v = NULL;
    size_t n = 0, cap = 0;
    *names = NULL;
    *count = 0;
    if (!d)
        return llmt_error_set(err, LLMT_E_IO, "%s: %s", path, strerror(errno));
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue; /* skip ".", ".." and hidden files alike */
        if (n == cap) {
            char **nv;
            cap = cap ? cap * 2 : 16;
            nv = realloc(v, cap * sizeof(*v));
            if (!nv)
                goto oom;
            v = nv;
        }
        v[n] = llmt_strdup(e->d_name);
        if (!v[n])
            goto oom;
        n++;
    }
    closedir(d);
    if (n)
        qsort(v, n, sizeof(*v), cmp_str);
    *names = v;
    *count = n;
    return LLMT_OK;
oom:
    closedir(d);
    llmt_free_strv(v, n);
    return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
}

void llmt_free_strv(char **v, size_t n)
{
    size_t i;
    if (!v)
        return;
    for (i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

double llmt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

double llmt_wall_time_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void llmt_iso_time(double epoch_s, char *buf, size_t n)
{
    time_t t = (time_t)epoch_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void llmt_rng_seed(llmt_rng *r, uint64_t seed)
{
    r->s = seed;
}

uint64_t llmt_rng_next(llmt_rng *r)
{
    return splitmix64(&r->s);
}

double llmt_rng_uniform(llmt_rng *r)
{
    return (double)(llmt_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t llmt_hash64(const char *s, uint64_t seed)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return splitmix64(&h);
}

llmt_status llmt_split_model_ref(const char *ref, char **provider, char **model, llmt_error *err)
{
    const char *colon = ref ? strchr(ref, ':') : NULL;
    *provider = *model = NULL;
    if (!colon || colon == ref || !colon[1])
        return llmt_error_set(err, LLMT_E_INVALID_ARG,
                              "model '%s' must be written provider:model", ref ? ref : "");
    *provider = llmt_strndup(ref, (size_t)(colon - ref));
    *model = llmt_strdup(colon + 1);
    if (!*provider || !*model) {
        free(*provider);
        free(*model);
        *provider = *model = NULL;
        return llmt_error_set(err, LLMT_E_NOMEM, "out of memory");
    }
    return LLMT_OK;
}
