/* Unicode NFC normalisation of JSON values before they are compared: "Zürich" typed
 * with a precomposed ü and with u + combining diaeresis is one string to a reader. */
#ifndef LLMT_NFC_H
#define LLMT_NFC_H

#include <jansson.h>

/* v with every string (values and object keys) in NFC. Returns a new reference: v
 * itself when nothing changes (ASCII needs no work), else a copy; NULL when out of
 * memory. v may be NULL (returns NULL). */
json_t *llmt_json_nfc(json_t *v);

#endif
