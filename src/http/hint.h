/* A server's hints of when to try again, read in one place for every provider and the
 * engine: Retry-After (delta seconds or an HTTP date in any of its three forms),
 * retry-after-ms, and the "*ratelimit*reset*" headers some providers send as durations
 * or timestamps. Every value returned is finite and at most LLMT_HINT_MAX_S: a hint of
 * "inf", 1e400 or a year is read as "the longest wait there is", never as forever. */
#ifndef LLMT_HINT_H
#define LLMT_HINT_H

#include <stdbool.h>
#include "llmt/provider.h"

/* The longest wait a hint can ask for (one day); longer ones are cut to it. */
#define LLMT_HINT_MAX_S 86400.0

/* s when 0 <= s <= LLMT_HINT_MAX_S; LLMT_HINT_MAX_S when larger (+inf too); -1 when
 * negative or NaN (no hint). For hints that come from elsewhere (a plugin, the mock). */
double llmt_hint_clamp(double s);

/* Parses an HTTP-date (IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", the obsolete RFC 850
 * and asctime forms) into seconds since the epoch. Returns false when it is not one. */
bool llmt_parse_http_date(const char *s, double *epoch_s);

/* Parses a duration such as "37s", "1.5s", "250ms", "1m30s", "6m0s", "1h2m3.5s" or a
 * bare number of seconds. Returns seconds (possibly +inf for absurd values: clamp it),
 * or -1 when the text is not a duration. */
double llmt_parse_duration(const char *s);

/* A Retry-After value: delta seconds ("120", "1.5") or an HTTP date (relative to
 * now_epoch_s; a date in the past gives 0). Seconds, clamped; -1 when not understood. */
double llmt_parse_retry_after(const char *value, double now_epoch_s);

/* A reset value: a duration (see llmt_parse_duration) or an RFC 3339 UTC timestamp.
 * Seconds, clamped; -1 when not understood. */
double llmt_parse_reset(const char *value, double now_epoch_s);

/* The time a reply's date-valued hints are read against: when it arrived
 * (http->received_at), else now. */
double llmt_hint_now(const llmt_http_response *http);

/* The reply's hint: retry-after-ms, else Retry-After, else the longest "*ratelimit*reset*"
 * header whose limit is exhausted (its "remaining" header, if any, is 0). Seconds,
 * clamped; -1 when there is none. */
double llmt_retry_after_from_headers(const llmt_http_response *http, double now_epoch_s);

#endif
