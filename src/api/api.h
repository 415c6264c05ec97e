/* Helpers shared by the application API's implementation (src/api/). */
#ifndef LLMT_API_INTERNAL_H
#define LLMT_API_INTERNAL_H

#include "llmt/extract.h"

/* Whether a failure of this class is worth asking another model (provider-side
 * problems are; the caller's own mistakes, cancellation and budget are not). */
bool llmt_api_fallback_worthy(llmt_status st);
/* Sleeps, resuming after signals. */
void llmt_api_sleep_ms(double ms);

#endif
