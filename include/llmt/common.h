/* Shared macros of the public API: symbol export and C++ guards. */
#ifndef LLMT_COMMON_H
#define LLMT_COMMON_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#if defined(LLMT_BUILDING_LIBRARY)
#define LLMT_API __attribute__((visibility("default")))
#else
#define LLMT_API
#endif

#ifdef __cplusplus
#define LLMT_BEGIN_DECLS extern "C" {
#define LLMT_END_DECLS }
#else
#define LLMT_BEGIN_DECLS
#define LLMT_END_DECLS
#endif

#endif
