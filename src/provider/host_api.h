/* The table of host functions every provider gets at init (settings->host). */
#ifndef LLMT_HOST_API_H
#define LLMT_HOST_API_H

#include "llmt/provider.h"

/* The one table; static, lives as long as the program. */
const llmt_host_api *llmt_host(void);

#endif
