#include "provider/secrets.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util.h"

const char *llmt_dotenv_value_of(const char *line, size_t len, const char *var)
{
    const char *end = line + len;
    size_t vlen = strlen(var);
    while (line < end && isspace((unsigned char)*line))
        line++;
    /* "export NAME=...", with any blanks after export */
    if ((size_t)(end - line) > 6 && strncmp(line, "export", 6) == 0 &&
        (line[6] == ' ' || line[6] == '\t')) {
        line += 6;
        while (line < end && (*line == ' ' || *line == '\t'))
            line++;
    }
    if ((size_t)(end - line) < vlen || strncmp(line, var, vlen) != 0)
        return NULL;
    line += vlen;
    while (line < end && (*line == ' ' || *line == '\t'))
        line++;
    return line < end && *line == '=' ? line + 1 : NULL;
}

/* The value of one .env line after "NAME=" (and blanks), the way dotenv reads it:
 * '...' literally, "..." with \\n, \\" and \\\\ escapes, both up to the closing quote
 * (anything after it, a comment, is ignored); an unquoted value ends at " #" (a
 * comment) and loses its trailing blanks. Returns a malloc'd string. */
static char *dotenv_value(const char *val)
{
    size_t n;
    if (*val == '\'' || *val == '"') {
        char q = *val++;
        llmt_buf b = {0};
        for (; *val && *val != q; val++) {
            if (q == '"' && *val == '\\' && val[1]) {
                val++;
                llmt_buf_append(&b, *val == 'n' ? "\n" : val, 1);
            } else {
                llmt_buf_append(&b, val, 1);
            }
        }
        if (!b.data)
            return llmt_strdup("");
        return llmt_buf_steal(&b);
    }
    for (n = 0; val[n]; n++)
        if (val[n] == '#' && n > 0 && (val[n - 1] == ' ' || val[n - 1] == '\t'))
            break;
    while (n && isspace((unsigned char)val[n - 1]))
        n--;
    return llmt_strndup(val, n);
}

static char *dotenv_lookup(const char *path, const char *var)
{
    char *text = NULL, *line, *save = NULL, *result = NULL;
    if (llmt_read_file(path, &text, NULL, NULL) != LLMT_OK)
        return NULL;
    for (line = text; line && *line; line = save) {
        char *end = strchr(line, '\n');
        const char *val;
        save = end ? end + 1 : NULL;
        if (end)
            *end = '\0';
        val = llmt_dotenv_value_of(line, strlen(line), var);
        if (!val)
            continue;
        while (*val == ' ' || *val == '\t')
            val++;
        free(result);
        result = dotenv_value(val); /* the last assignment wins, as in shells */
    }
    free(text);
    return result;
}

bool llmt_dotenv_readable_by_others(const char *project_dir)
{
    char *path = project_dir ? llmt_path_join(project_dir, ".env") : NULL;
    struct stat st;
    bool exposed = path && stat(path, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)) != 0;
    free(path);
    return exposed;
}

char *llmt_secret_lookup(const char *var, const char *project_dir)
{
    const char *v;
    if (!var || !*var)
        return NULL;
    v = getenv(var);
    if (v && *v)
        return llmt_strdup(v);
    if (project_dir) {
        char *path = llmt_path_join(project_dir, ".env");
        char *r = path ? dotenv_lookup(path, var) : NULL;
        free(path);
        if (r && *r)
            return r;
        free(r);
    }
    return NULL;
}

void llmt_redact_key(const char *key, char *buf, size_t n)
{
    size_t len = key ? strlen(key) : 0;
    if (!key || !len)
        snprintf(buf, n, "(not set)");
    else if (len < 12)
        snprintf(buf, n, "...");
    else
        snprintf(buf, n, "%.3s...%s", key, key + len - 4);
}
