#include "score/extract.h"

#include <string.h>

#include "core/util.h"

const char *llmt_extract_method_name(llmt_extract_method m)
{
    switch (m) {
    case LLMT_EXTRACT_WHOLE: return "whole";
    case LLMT_EXTRACT_FENCE: return "fence";
    case LLMT_EXTRACT_BRACES: return "braces";
    default: return "none";
    }
}

llmt_status llmt_extract_json(const char *text, json_t **out, llmt_extract_method *method,
                              llmt_error *err)
{
    json_error_t je;
    const char *fence, *open, *close;
    *out = NULL;
    *method = LLMT_EXTRACT_NONE;
    *out = json_loads(text, JSON_DECODE_ANY, &je);
    if (*out) {
        *method = LLMT_EXTRACT_WHOLE;
        return LLMT_OK;
    }
    fence = strstr(text, "```");
    if (fence) {
        const char *body = strchr(fence + 3, '\n');
        const char *end = body ? strstr(body, "```") : NULL;
        if (end) {
            *out = json_loadb(body + 1, (size_t)(end - body - 1), JSON_DECODE_ANY, &je);
            if (*out) {
                *method = LLMT_EXTRACT_FENCE;
                return LLMT_OK;
            }
        }
    }
    open = strchr(text, '{');
    close = strrchr(text, '}');
    if (open && close && close > open) {
        *out = json_loadb(open, (size_t)(close - open + 1), 0, &je);
        if (*out) {
            *method = LLMT_EXTRACT_BRACES;
            return LLMT_OK;
        }
        return llmt_error_set(err, LLMT_E_PARSE, "invalid JSON at line %d, column %d: %s", je.line,
                              je.column, je.text);
    }
    return llmt_error_set(err, LLMT_E_PARSE, "no JSON object found");
}
