/* libllmtester: one include for applications. */
#ifndef LLMT_LLMT_H
#define LLMT_LLMT_H

#include "common.h"
#include "error.h"
#include "log.h"
#include "provider.h"
#include "manager.h"
#include "extract.h"

#define LLMT_VERSION_STRING "0.1.0"

#endif
