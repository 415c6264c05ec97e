/* JSON Schema `format` checks for the formats Pydantic emits: date, date-time, time,
 * duration, email, uri, uuid, ipv4, ipv6, hostname (RFC 3339, ISO 8601 durations as
 * RFC 3339 appendix A writes them, RFC 5321 addresses, RFC 3986 URIs, RFC 4122 UUIDs,
 * RFC 2673 / RFC 4291 addresses, RFC 1123 host names with IDNA2008 A-labels). Other formats are annotations. */
#ifndef LLMT_FORMAT_H
#define LLMT_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

typedef bool (*llmt_format_fn)(const char *s, size_t len);

/* The checker of a format name, or NULL when the format is only an annotation. */
llmt_format_fn llmt_format_lookup(const char *name);

#endif
