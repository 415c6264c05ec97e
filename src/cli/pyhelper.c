/* Running the Python helper shipped with llm-tester (share/llm-tester/llmt_pyimport.py):
 * where it is installed, and one run of it with its standard output captured. The only
 * place the tool starts Python; only `import` needs it. */
#include "cli/pyhelper.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"

#ifndef LLMT_INSTALL_DATA_DIR
#define LLMT_INSTALL_DATA_DIR "/usr/local/share/llm-tester"
#endif

/* Beside the binary in a build tree (build/share/llm-tester/), under the binary's prefix
 * (bin/../share/llm-tester/: an installed copy, wherever it was moved), then the
 * configured install prefix. */
char *cli_pyhelper_path(const char *name)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *bindir = NULL, *found = NULL;
    if (n > 0) {
        exe[n] = '\0';
        bindir = llmt_path_dirname(exe);
    }
    if (bindir) {
        static const char *const rel[] = {"share/llm-tester", "../share/llm-tester"};
        size_t i;
        for (i = 0; i < 2 && !found; i++) {
            char *dir = llmt_path_join(bindir, rel[i]);
            char *p = dir ? llmt_path_join(dir, name) : NULL;
            if (p && llmt_path_exists(p))
                found = p;
            else
                free(p);
            free(dir);
        }
        free(bindir);
    }
    if (!found) {
        char *p = llmt_path_join(LLMT_INSTALL_DATA_DIR, name);
        if (p && llmt_path_exists(p))
            found = p;
        else
            free(p);
    }
    return found;
}

const char *cli_python(void)
{
    const char *p = getenv("LLMT_PYTHON");
    return p && *p ? p : "python3";
}

/* The child: stdout into the pipe, stderr as ours, then exec; 127 when exec fails. */
static void child(int fd, char *const argv[])
{
    if (dup2(fd, STDOUT_FILENO) < 0)
        _exit(126);
    close(fd);
    execvp(argv[0], argv);
    _exit(errno == ENOENT ? 127 : 126);
}

int cli_pyhelper_run(char *const argv[], char **out, size_t *out_len)
{
    int fds[2], status = 0;
    pid_t pid;
    llmt_buf b = {0};
    char chunk[8192];
    ssize_t got;
    *out = NULL;
    *out_len = 0;
    if (pipe(fds) != 0)
        return -1;
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        child(fds[1], argv);
    }
    close(fds[1]);
    while ((got = read(fds[0], chunk, sizeof chunk)) != 0) {
        if (got < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        llmt_buf_append(&b, chunk, (size_t)got);
    }
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    *out_len = b.len;
    *out = llmt_buf_steal(&b);
    if (!*out)
        *out = llmt_strdup("");
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
