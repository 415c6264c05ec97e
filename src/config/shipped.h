/* Where a built-in provider's shipped config.json is, for messages: the installed copy
 * when the running program (or libllmtester.so) is an installed one, else the path in
 * the source tree. The config itself is always the copy compiled into the binary. */
#ifndef LLMT_SHIPPED_H
#define LLMT_SHIPPED_H

/* <prefix>/share/llm-tester/providers/<name>/config.json when it exists beside the
 * running executable's bin/ or the shared library's lib/ folder; else `source_path`.
 * malloc'd (NULL only when out of memory). */
char *llmt_shipped_config_path(const char *name, const char *source_path);

#endif
