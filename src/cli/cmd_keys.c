/* `llm-tester keys set|list|remove`: API keys in the project's .env, the Python tool's
 * `configure keys` done safely: values are read without echo (or from a pipe), the file
 * is created with mode 0600, a value is never printed (only redacted), and the
 * environment still wins over .env as everywhere else. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "core/util.h"
#include "provider/manager_info.h"
#include "provider/secrets.h"

static void wipe(char *s)
{
    if (s) {
        volatile char *p = s;
        while (*p)
            *p++ = '\0';
    }
}

static bool var_name_ok(const char *s)
{
    const char *p;
    if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
        return false;
    for (p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            return false;
    return true;
}

/* One line from fd 0 (without its line end); NULL at end of input. With `hide` and a
 * terminal, echo is off while it is typed. Caller wipes and frees. */
static char *read_value(bool hide, bool *eof)
{
    struct termios old, quiet;
    bool tty = hide && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    llmt_buf b = {0};
    char c;
    ssize_t got;
    if (tty) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
        quiet.c_lflag |= ICANON;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    *eof = true;
    while ((got = read(STDIN_FILENO, &c, 1)) != 0) {
        if (got < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        *eof = false;
        if (c == '\n')
            break;
        llmt_buf_append(&b, &c, 1);
    }
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    while (b.len && (b.data[b.len - 1] == '\r' || b.data[b.len - 1] == ' ' ||
                     b.data[b.len - 1] == '\t'))
        b.data[--b.len] = '\0';
    if (*eof && !b.len) {
        llmt_buf_free(&b);
        return NULL;
    }
    *eof = false;
    return b.data ? llmt_buf_steal(&b) : llmt_strdup("");
}

/* NAME=value as a .env line the loader reads back exactly. */
static char *env_line(const char *name, const char *value)
{
    const char *p;
    bool plain = true;
    for (p = value; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_-.:/+=@~,", *p))
            plain = false;
    if (plain)
        return llmt_asprintf("%s=%s\n", name, value);
    return llmt_asprintf(strchr(value, '\'') ? "%s=\"%s\"\n" : "%s='%s'\n", name, value);
}

/* The .env text with every assignment of `name` replaced by `line` (at the first one's
 * place; appended when there was none), or removed when line is NULL. *found: there
 * was one. */
static char *env_edit(const char *text, const char *name, const char *line, bool *found)
{
    llmt_buf b = {0};
    const char *p = text ? text : "";
    *found = false;
    while (*p) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (llmt_dotenv_value_of(p, len, name)) {
            if (line && !*found)
                llmt_buf_puts(&b, line);
            *found = true;
        } else {
            llmt_buf_append(&b, p, len);
            llmt_buf_puts(&b, "\n");
        }
        p += len + (end ? 1 : 0);
    }
    if (line && !*found)
        llmt_buf_puts(&b, line);
    return b.data ? llmt_buf_steal(&b) : llmt_strdup("");
}

/* Replaces `path` with `data`: a temporary file created 0600 (so a key is never in a
 * file others can read), synced, given the old file's mode when there was one, renamed. */
static llmt_status env_write(const char *path, const char *data, mode_t mode, llmt_error *err)
{
    char *tmp = llmt_asprintf("%s.tmpXXXXXX", path);
    size_t len = strlen(data), off = 0;
    int fd = tmp ? mkstemp(tmp) : -1;
    llmt_status st = LLMT_OK;
    if (fd < 0) {
        st = llmt_error_set(err, LLMT_E_IO, "cannot write %s: %s", path, strerror(errno));
        free(tmp);
        return st;
    }
    while (off < len && st == LLMT_OK) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno != EINTR)
            st = llmt_error_set(err, LLMT_E_IO, "cannot write %s: %s", path, strerror(errno));
        else if (w > 0)
            off += (size_t)w;
    }
    if (st == LLMT_OK && (fchmod(fd, mode) != 0 || fsync(fd) != 0))
        st = llmt_error_set(err, LLMT_E_IO, "cannot write %s: %s", path, strerror(errno));
    close(fd);
    if (st == LLMT_OK && rename(tmp, path) != 0)
        st = llmt_error_set(err, LLMT_E_IO, "cannot replace %s: %s", path, strerror(errno));
    if (st != LLMT_OK)
        unlink(tmp);
    free(tmp);
    return st;
}

/* Reads .env (NULL text when it does not exist) and its mode; warns when others can
 * read it. */
static int env_load(const char *path, char **text, mode_t *mode)
{
    struct stat sb;
    llmt_error err;
    *text = NULL;
    *mode = 0600;
    if (stat(path, &sb) != 0)
        return errno == ENOENT ? 0 : (cli_error("keys: cannot read %s: %s", path, strerror(errno)),
                                      CLI_EXIT_USAGE);
    *mode = sb.st_mode & 07777;
    if (sb.st_mode & 0077)
        cli_warn("%s can be read by other users (mode %04o): chmod 600 %s", path,
                 (unsigned)(sb.st_mode & 0777), path);
    if (llmt_read_file(path, text, NULL, &err) != LLMT_OK) {
        cli_error("keys: %s", err.message);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* Sets (value) or removes (value NULL) `name` in .env. */
static int env_update(const char *path, const char *name, const char *value)
{
    char *text = NULL, *line = value ? env_line(name, value) : NULL, *next;
    mode_t mode;
    bool found;
    llmt_error err;
    int rc = env_load(path, &text, &mode);
    next = rc == 0 ? env_edit(text, name, line, &found) : NULL;
    if (rc == 0 && !value && !found) {
        cli_error("keys: %s is not in %s", name, path);
        rc = CLI_EXIT_USAGE;
    } else if (rc == 0 && (!next || env_write(path, next, mode, &err) != LLMT_OK)) {
        cli_error("keys: %s", next ? err.message : "out of memory");
        rc = CLI_EXIT_USAGE;
    }
    wipe(text);
    wipe(line);
    wipe(next);
    free(text);
    free(line);
    free(next);
    return rc;
}

/* Where `var`'s value comes from: "environment", ".env" or NULL (not set); *value gets
 * it (caller wipes and frees). */
static const char *key_source(const char *var, const char *dir, char **value)
{
    const char *env = getenv(var);
    *value = llmt_secret_lookup(var, dir);
    if (!*value)
        return NULL;
    return env && *env ? "environment" : ".env";
}

/* Asks for `name` and writes it. An empty answer (or end of input) keeps what is there
 * when `keep_on_empty`, else it is an error. */
static int set_one(const char *path, const char *name, bool keep_on_empty, bool *eof)
{
    char *value;
    int rc = 0;
    if (isatty(STDIN_FILENO))
        fprintf(stderr, "%s (input hidden%s): ", name, keep_on_empty ? ", empty keeps it" : "");
    value = read_value(true, eof);
    if (!value || !*value) {
        free(value);
        if (keep_on_empty) {
            fprintf(stderr, "  %s unchanged\n", name);
            return 0;
        }
        cli_error("keys set: no value given for %s; nothing written", name);
        return CLI_EXIT_USAGE;
    }
    rc = env_update(path, name, value);
    if (rc == 0) {
        const char *env = getenv(name);
        printf("%s saved in %s\n", name, path);
        if (env && *env)
            cli_warn("%s is also set in the environment, which wins over .env", name);
    }
    wipe(value);
    free(value);
    return rc;
}

typedef struct key_var {
    const char *provider;
    const char *var;
} key_var;

/* The key variables of the enabled providers (borrowed from the registry), in order;
 * a variable shared by two providers appears once. */
static size_t key_vars(llmt_manager *mgr, key_var *out, size_t cap)
{
    llmt_registry *reg = llmt_manager_registry(mgr);
    size_t i, j, n = 0, count = llmt_registry_count(reg);
    for (i = 0; i < count && n < cap; i++) {
        const llmt_provider_config *c = llmt_registry_at(reg, i)->config;
        bool dup = false;
        if (!c->enabled || !c->env_key[0])
            continue;
        for (j = 0; j < n; j++)
            dup = dup || strcmp(out[j].var, c->env_key) == 0;
        if (!dup) {
            out[n].provider = c->name;
            out[n++].var = c->env_key;
        }
    }
    return n;
}

#define MAX_KEY_VARS 256

static int keys_list(llmt_manager *mgr, const char *dir, bool as_json)
{
    key_var vars[MAX_KEY_VARS];
    size_t i, n = key_vars(mgr, vars, MAX_KEY_VARS);
    json_t *arr = as_json ? json_array() : NULL;
    if (!as_json)
        printf("%-12s %-22s %-12s %s\n", "PROVIDER", "VARIABLE", "SOURCE", "VALUE");
    for (i = 0; i < n; i++) {
        char *value = NULL, red[32];
        const char *src = key_source(vars[i].var, dir, &value);
        llmt_redact_key(value, red, sizeof red);
        if (as_json)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s?, s:s?}", "provider",
                                                 vars[i].provider, "variable", vars[i].var,
                                                 "source", src, "value", value ? red : NULL));
        else
            printf("%-12s %-22s %-12s %s\n", vars[i].provider, vars[i].var,
                   src ? src : "not set", value ? red : "-");
        wipe(value);
        free(value);
    }
    if (as_json) {
        json_dumpf(arr, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(arr);
    }
    return 0;
}

/* `keys set` without NAME: every enabled provider's variable in turn, as the Python
 * tool's `configure keys` did. */
static int keys_set_all(llmt_manager *mgr, const char *dir, const char *path)
{
    key_var vars[MAX_KEY_VARS];
    size_t i, n = key_vars(mgr, vars, MAX_KEY_VARS);
    bool eof = false;
    int rc = 0;
    for (i = 0; i < n && rc == 0 && !eof; i++) {
        char *value = NULL, red[32];
        const char *src = key_source(vars[i].var, dir, &value);
        llmt_redact_key(value, red, sizeof red);
        fprintf(stderr, "%s: %s is %s%s%s%s\n", vars[i].provider, vars[i].var,
                src ? "set in the " : "not set", src ? src : "", src ? " " : "", src ? red : "");
        wipe(value);
        free(value);
        rc = set_one(path, vars[i].var, true, &eof);
    }
    return rc;
}

int cmd_keys(cli_ctx *ctx, int argc, char **argv)
{
    bool as_json = false;
    const cli_option opts[] = {
        {"json", 0, OPT_FLAG, NULL, "list: machine-readable output", &as_json, NULL},
        {NULL, 0, OPT_FLAG, NULL, NULL, NULL, NULL}};
    llmt_manager *mgr = NULL;
    const char *dir;
    char *path = NULL;
    bool eof = false;
    int npos, rc = cli_parse(ctx, cli_find_command("keys"), opts, argc, argv, &npos);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (npos < 1 || (strcmp(argv[0], "set") && strcmp(argv[0], "list") && strcmp(argv[0], "remove")) ||
        npos > 2 || (strcmp(argv[0], "remove") == 0 && npos != 2) ||
        (strcmp(argv[0], "list") == 0 && npos != 1)) {
        cli_error("keys: expected 'set [NAME]', 'list' or 'remove NAME' (see: llm-tester keys --help)");
        return CLI_EXIT_USAGE;
    }
    if (npos == 2 && !var_name_ok(argv[1])) {
        cli_error("keys: '%s' is not a variable name (letters, digits and '_')", argv[1]);
        return CLI_EXIT_USAGE;
    }
    rc = cli_manager(ctx, &mgr, NULL);
    if (rc)
        return rc;
    dir = llmt_manager_opts(mgr)->project_dir;
    path = llmt_path_join(dir ? dir : ".", ".env");
    if (!path)
        rc = CLI_EXIT_USAGE;
    else if (strcmp(argv[0], "list") == 0)
        rc = keys_list(mgr, dir, as_json);
    else if (strcmp(argv[0], "remove") == 0) {
        rc = env_update(path, argv[1], NULL);
        if (rc == 0)
            printf("%s removed from %s\n", argv[1], path);
    } else if (npos == 2)
        rc = set_one(path, argv[1], false, &eof);
    else
        rc = keys_set_all(mgr, dir, path);
    free(path);
    llmt_manager_free(mgr);
    return rc;
}
