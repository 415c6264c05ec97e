#include "provider/secrets.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

const char *llmt_dotenv_value_of(const char *line, size_t len, const char *var)
{
    const char *end = line + len;
    size_t vlen = strlen(var);
    while (line < end && isspace((unsigned char)*line))
        line++;
    if ((size_t)(end - line) >= 7 && strncmp(line, "export ", 7) == 0)
        line += 7;
    if ((size_t)(end - line) < vlen || strncmp(line, var, vlen) != 0)
        return NULL;
    line += vlen;
    while (line < end && (*line == ' ' || *line == '\t'))
        line++;
    return line < end && *line == '=' ? line + 1 : NULL;
}

static char *dotenv_lookup(const char *path, const char *var)
{
    char *text = NULL, *line, *save = NULL, *result = NULL;
    if (llmt_read_file(path, &text, NULL, NULL) != LLMT_OK)
        return NULL;
    for (line = text; line && *line; line = save) {
        char *end = strchr(line, '\n');
        const char *val;
        size_t n;
        save = end ? end + 1 : NULL;
        if (end)
            *end = '\0';
        val = llmt_dotenv_value_of(line, strlen(line), var);
        if (!val)
            continue;
        while (*val == ' ' || *val == '\t')
            val++;
        n = strlen(val);
        while (n && (val[n - 1] == '\r' || isspace((unsigned char)val[n - 1])))
            n--;
        if (n >= 2 && (val[0] == '"' || val[0] == '\'') && val[n - 1] == val[0]) {
            val++;
            n -= 2;
        }
        free(result);
        result = llmt_strndup(val, n); /* the last assignment wins, as in shells */
    }
    free(text);
    return result;
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
