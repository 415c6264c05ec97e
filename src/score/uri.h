/* RFC 3986 reference resolution, for $id and $ref. */
#ifndef LLMT_URI_H
#define LLMT_URI_H

/* Resolves `ref` against the absolute URI `base` (either may be "" = none) per RFC 3986
 * section 5.2, dot segments removed. URNs and other URIs without "//" work too. Returns
 * a new string the caller frees, NULL when out of memory. */
char *llmt_uri_resolve(const char *base, const char *ref);

/* Length of `uri` without its fragment (the part before '#'). */
unsigned long llmt_uri_strip_fragment_len(const char *uri);

#endif
