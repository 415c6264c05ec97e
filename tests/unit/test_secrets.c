/* provider/secrets.c: .env read the way dotenv reads it (export with any blanks, quoted
 * values up to their closing quote, comments after a value), and whether others can
 * read the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/util.h"
#include "provider/secrets.h"

static const char *const ENV_TEXT =
    "# a comment line\n"
    "export   A=1\n"
    "export\tB=2\n"
    "C=\"quoted value\"   # comment\n"
    "D='single # not a comment'\n"
    "E=plain value # comment\n"
    "F=a#b\n"
    "G=\"say \\\"hi\\\"\\nbye\"\n"
    "  H = spaced  \r\n"
    "exportI=3\n"
    "J=first\n"
    "J=last\n"
    "K=\n";

static void expect(const char *dir, const char *var, const char *want)
{
    char *got;
    unsetenv(var);
    got = llmt_secret_lookup(var, dir);
    if (!want) {
        if (got)
            fail_msg("%s: got \"%s\", expected nothing", var, got);
        return;
    }
    if (!got || strcmp(got, want) != 0)
        fail_msg("%s: got \"%s\", expected \"%s\"", var, got ? got : "(nothing)", want);
    free(got);
}

static void test_dotenv_like_dotenv(void **state)
{
    char dir[] = "/tmp/llmt-test-secrets-XXXXXX";
    char *path;
    (void)state;
    assert_non_null(mkdtemp(dir));
    path = llmt_path_join(dir, ".env");
    assert_int_equal(llmt_write_file_atomic(path, ENV_TEXT, strlen(ENV_TEXT), NULL), LLMT_OK);
    expect(dir, "A", "1");
    expect(dir, "B", "2");
    expect(dir, "C", "quoted value");
    expect(dir, "D", "single # not a comment");
    expect(dir, "E", "plain value");
    expect(dir, "F", "a#b");
    expect(dir, "G", "say \"hi\"\nbye");
    expect(dir, "H", "spaced");
    expect(dir, "exportI", "3");
    expect(dir, "I", NULL);
    expect(dir, "J", "last");
    expect(dir, "K", NULL);
    /* the environment wins over .env */
    setenv("A", "from-env", 1);
    {
        char *v = llmt_secret_lookup("A", dir);
        assert_string_equal(v, "from-env");
        free(v);
    }
    unsetenv("A");
    /* readable by others: warned about by the factory */
    assert_int_equal(chmod(path, 0644), 0);
    assert_true(llmt_dotenv_readable_by_others(dir));
    assert_int_equal(chmod(path, 0640), 0);
    assert_true(llmt_dotenv_readable_by_others(dir));
    assert_int_equal(chmod(path, 0600), 0);
    assert_false(llmt_dotenv_readable_by_others(dir));
    assert_false(llmt_dotenv_readable_by_others(NULL));
    unlink(path);
    assert_false(llmt_dotenv_readable_by_others(dir));
    rmdir(dir);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_dotenv_like_dotenv)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
