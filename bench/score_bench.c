/* Scoring benchmark: a ~5 MB answer with a 10,000-item list, scored in every list mode,
 * validated and extracted, each timed against json_equal() over the same documents in
 * the same run (so the ratios hold across machines), plus long-string similarity against
 * a plain O(n·m) DP. Usage: bench_score [ITEMS] [REPEATS]. Prints a Markdown table. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/diag.h"
#include "core/jsonw.h"
#include "core/util.h"
#include "score/extract.h"
#include "score/score.h"
#include "score/validate.h"

static const char *const WORDS[] = {
    "durable", "lightweight", "waterproof", "merino", "wool", "cotton", "frame", "steel",
    "battery", "wireless", "noise", "cancelling", "ergonomic", "compact", "premium", "design",
    "comfort", "warranty", "recycled", "material", "stitching", "adjustable", "strap", "zipper",
    "pocket", "laptop", "travel", "outdoor", "season", "tent", "hoodie", "headphones", "ultra",
    "grip", "coating", "résistant", "größe", "café", "naïve", "日本製"};
#define NWORDS (sizeof WORDS / sizeof WORDS[0])

static json_t *make_item(llmt_rng *r, size_t i)
{
    llmt_buf d = {0};
    char sku[32], name[96];
    json_t *item;
    int w;
    for (w = 0; w < 55; w++) {
        if (w)
            llmt_buf_puts(&d, " ");
        llmt_buf_puts(&d, WORDS[llmt_rng_next(r) % NWORDS]);
    }
    snprintf(sku, sizeof sku, "SKU-%06zu", i);
    snprintf(name, sizeof name, "%s %s %s %zu", WORDS[llmt_rng_next(r) % NWORDS],
             WORDS[llmt_rng_next(r) % NWORDS], WORDS[llmt_rng_next(r) % NWORDS], i);
    item = json_pack("{s:I, s:s, s:s, s:s, s:f, s:b, s:[sss], s:{s:i, s:i, s:s}}", "id",
                     (json_int_t)i, "sku", sku, "name", name, "description", d.data,
                     "price", 10.0 + (double)(i % 500) + 0.99, "in_stock", (int)(i % 3 != 0),
                     "tags", WORDS[i % NWORDS], WORDS[(i + 1) % NWORDS], WORDS[(i + 2) % NWORDS],
                     "dimensions", "w", (int)(i % 90) + 10, "h", (int)(i % 40) + 5, "unit", "cm");
    llmt_buf_free(&d);
    return item;
}

/* The answer: the expected list with the imperfections an LLM makes. */
static json_t *perturb(const json_t *items)
{
    json_t *out = json_deep_copy(items), *it;
    size_t i;
    json_array_foreach(out, i, it) {
        if (i % 10 == 3) { /* a typo in the description */
            char *s = llmt_strdup(json_string_value(json_object_get(it, "description")));
            s[7] = s[7] == 'x' ? 'y' : 'x';
            json_object_set_new(it, "description", json_string(s));
            free(s);
        }
        if (i % 25 == 5)
            json_object_set_new(it, "price",
                                json_real(json_number_value(json_object_get(it, "price")) * 1.01));
        if (i % 50 == 7) /* case differences are not errors */
            json_object_set_new(it, "sku", json_string("sku-x"));
    }
    return out;
}

static void swap_items(json_t *a, size_t i, size_t j)
{
    json_t *t = json_incref(json_array_get(a, i));
    json_array_set(a, i, json_array_get(a, j));
    json_array_set_new(a, j, t);
}

typedef double (*bench_fn)(void *ud);

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median wall time of `repeats` runs, in ms. */
static double time_ms(bench_fn fn, void *ud, int repeats, double *result)
{
    double t[64];
    int k;
    if (repeats > 64)
        repeats = 64;
    for (k = 0; k < repeats; k++) {
        double t0 = llmt_now_ms();
        *result = fn(ud);
        t[k] = llmt_now_ms() - t0;
    }
    qsort(t, (size_t)repeats, sizeof t[0], cmp_double);
    return t[repeats / 2];
}

typedef struct job {
    const json_t *expected, *actual;
    llmt_score_options *opts;
    const llmt_schema *schema;
    const char *text;
    const char *s1, *s2;
} job;

static double run_equal(void *ud)
{
    job *j = ud;
    return json_equal((json_t *)j->expected, (json_t *)j->actual);
}

static double run_score(void *ud)
{
    job *j = ud;
    llmt_score_result r;
    double acc;
    if (llmt_score(j->expected, j->actual, j->opts, &r, NULL) != LLMT_OK)
        return -1;
    acc = r.accuracy;
    llmt_score_result_free(&r);
    return acc;
}

/* What a result line needs: the accuracy and the field details as JSON text, by the
 * tree (llmt_score, then printing its fields) and printed directly (llmt_score_text). */
static double run_score_tree_printed(void *ud)
{
    job *j = ud;
    llmt_score_result r;
    llmt_buf b = {0};
    double acc;
    if (llmt_score(j->expected, j->actual, j->opts, &r, NULL) != LLMT_OK)
        return -1;
    acc = r.accuracy;
    if (!llmt_json_dump_compact(r.fields, &b, true))
        acc = -1;
    llmt_buf_free(&b);
    llmt_score_result_free(&r);
    return acc;
}

static double run_score_text(void *ud)
{
    job *j = ud;
    llmt_buf b = {0};
    double acc;
    bool printable;
    if (llmt_score_text(j->expected, j->actual, j->opts, &acc, &b, &printable, NULL) != LLMT_OK)
        acc = -1;
    llmt_buf_free(&b);
    return acc;
}

static double run_validate(void *ud)
{
    job *j = ud;
    json_t *v = json_array();
    bool ok = llmt_schema_validate(j->schema, j->actual, v);
    json_decref(v);
    return ok;
}

static double run_extract(void *ud)
{
    job *j = ud;
    json_t *v = NULL;
    llmt_extract_method m;
    if (llmt_extract_json(j->text, &v, &m, NULL) != LLMT_OK)
        return -1;
    json_decref(v);
    return (double)m;
}

static double run_parse(void *ud)
{
    job *j = ud;
    json_t *v = json_loads(j->text, 0, NULL);
    json_decref(v);
    return v != NULL;
}

static double run_ratio(void *ud)
{
    job *j = ud;
    return llmt_indel_ratio(j->s1, strlen(j->s1), j->s2, strlen(j->s2));
}

/* Plain LCS dynamic programming on bytes (the strings are ASCII): the baseline. */
static double run_dp(void *ud)
{
    job *j = ud;
    size_t la = strlen(j->s1), lb = strlen(j->s2), x, y;
    unsigned *row = calloc(lb + 1, sizeof *row);
    double r;
    for (x = 1; x <= la; x++) {
        unsigned diag = 0;
        for (y = 1; y <= lb; y++) {
            unsigned up = row[y];
            row[y] = j->s1[x - 1] == j->s2[y - 1] ? diag + 1 : (row[y - 1] > up ? row[y - 1] : up);
            diag = up;
        }
    }
    r = 200.0 * row[lb] / (double)(la + lb);
    free(row);
    return r;
}

static void row(const char *what, double ms, double base_ms, double result)
{
    printf("| %s | %.2f | %.2f× | %.2f |\n", what, ms, ms / base_ms, result);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 10000, i;
    int repeats = argc > 2 ? atoi(argv[2]) : 5;
    llmt_rng rng;
    json_t *items = json_array(), *ans_items, *expected, *actual, *actual_swapped, *actual_shuffled;
    json_t *schema_json, *expected_copy;
    llmt_schema *schema;
    llmt_diags diags = {0};
    llmt_score_options o;
    char *text, *reply;
    double base, ms, res;
    job j;
    llmt_buf s1 = {0}, s2 = {0};

    if (n == 0 || repeats < 1) {
        fprintf(stderr, "usage: bench_score [ITEMS] [REPEATS]\n");
        return 2;
    }
    llmt_rng_seed(&rng, 42);
    for (i = 0; i < n; i++)
        json_array_append_new(items, make_item(&rng, i));
    ans_items = perturb(items);
    expected = json_pack("{s:s, s:O}", "catalog", "Outdoor & Audio", "products", items);
    actual = json_pack("{s:s, s:O}", "catalog", "outdoor & audio", "products", ans_items);
    expected_copy = json_deep_copy(expected);
    /* mostly ordered: every 7th item swapped with its neighbour */
    actual_swapped = json_deep_copy(actual);
    for (i = 0; i + 1 < n; i += 7)
        swap_items(json_object_get(actual_swapped, "products"), i, i + 1);
    /* fully shuffled (Fisher-Yates, fixed seed) */
    actual_shuffled = json_deep_copy(actual);
    for (i = n - 1; i > 0; i--)
        swap_items(json_object_get(actual_shuffled, "products"), i,
                   (size_t)(llmt_rng_next(&rng) % (i + 1)));
    text = json_dumps(actual, JSON_COMPACT);
    reply = llmt_asprintf("Here is the catalog you asked for:\n```json\n%s\n```\nAnything else?", text);
    schema_json = json_loads(
        "{\"type\":\"object\",\"required\":[\"catalog\",\"products\"],\"properties\":{"
        "\"catalog\":{\"type\":\"string\"},\"products\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/P\"}}},"
        "\"$defs\":{\"P\":{\"type\":\"object\",\"additionalProperties\":false,"
        "\"required\":[\"id\",\"sku\",\"name\",\"price\"],\"properties\":{"
        "\"id\":{\"type\":\"integer\",\"minimum\":0},\"sku\":{\"type\":\"string\",\"minLength\":3},"
        "\"name\":{\"type\":\"string\"},\"description\":{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]},"
        "\"price\":{\"type\":\"number\",\"exclusiveMinimum\":0},\"in_stock\":{\"type\":\"boolean\"},"
        "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"maxItems\":5},"
        "\"dimensions\":{\"type\":\"object\",\"properties\":{\"w\":{\"type\":\"integer\"},"
        "\"h\":{\"type\":\"integer\"},\"unit\":{\"enum\":[\"cm\",\"in\"]}}}}}}}",
        0, NULL);
    schema = llmt_schema_compile(schema_json, "bench-schema", &diags);
    if (!schema) {
        fprintf(stderr, "bench schema did not compile\n");
        return 1;
    }

    printf("Answer: %.2f MB of JSON, %zu list items; median of %d runs.\n\n",
           (double)strlen(text) / 1e6, n, repeats);
    printf("| operation | ms | vs json_equal | result |\n|---|---:|---:|---:|\n");
    memset(&j, 0, sizeof j);
    /* json_equal stops at the first difference, so the baseline compares the expected
     * document with an identical copy: one full walk over the same data */
    j.expected = expected;
    j.actual = expected_copy;
    base = time_ms(run_equal, &j, repeats, &res);
    row("json_equal(expected, identical copy) — baseline", base, base, res);
    j.actual = actual;
    j.text = text;
    ms = time_ms(run_parse, &j, repeats, &res);
    row("json_loads of the answer (for scale)", ms, base, res);

    llmt_score_options_init(&o);
    j.opts = &o;
    ms = time_ms(run_score, &j, repeats, &res);
    row("llmt_score, ordered_exact (default)", ms, base, res);
    ms = time_ms(run_score_tree_printed, &j, repeats, &res);
    row("llmt_score + printing its fields (the old result line)", ms, base, res);
    ms = time_ms(run_score_text, &j, repeats, &res);
    row("llmt_score_text (fields printed while scoring)", ms, base, res);
    o.list_mode = LLMT_LIST_ORDERED_SIMILARITY;
    ms = time_ms(run_score, &j, repeats, &res);
    row("llmt_score, ordered_similarity", ms, base, res);
    o.list_mode = LLMT_LIST_SET_SIMILARITY;
    ms = time_ms(run_score, &j, repeats, &res);
    row("llmt_score, set_similarity, same order", ms, base, res);
    j.actual = actual_swapped;
    ms = time_ms(run_score, &j, repeats, &res);
    row("llmt_score, set_similarity, every 7th pair swapped", ms, base, res);
    j.actual = actual_shuffled;
    ms = time_ms(run_score, &j, repeats, &res);
    row("llmt_score, set_similarity, fully shuffled", ms, base, res);
    o.tolerance = 0.05;
    ms = time_ms(run_score, &j, repeats, &res);
    row("llmt_score, set_similarity, shuffled, tolerance 0.05", ms, base, res);
    llmt_score_options_free(&o);

    j.actual = actual;
    j.schema = schema;
    ms = time_ms(run_validate, &j, repeats, &res);
    row("llmt_schema_validate (all items, $ref, anyOf)", ms, base, res);
    j.text = reply;
    ms = time_ms(run_extract, &j, repeats, &res);
    row("llmt_extract_json of a fenced 5 MB reply", ms, base, res);

    /* long strings: 20,000 characters with 1% edits */
    for (i = 0; i < 20000; i++) {
        char ch = (char)('a' + llmt_rng_next(&rng) % 26);
        llmt_buf_append(&s1, &ch, 1);
        if (i % 100 == 50)
            ch = 'Z';
        if (i % 100 != 75)
            llmt_buf_append(&s2, &ch, 1);
    }
    j.s1 = s1.data;
    j.s2 = s2.data;
    printf("\nLong strings (%zu and %zu characters, 1%% edits):\n\n", s1.len, s2.len);
    printf("| operation | ms | vs DP | ratio |\n|---|---:|---:|---:|\n");
    base = time_ms(run_dp, &j, repeats, &res);
    row("plain O(n·m) LCS dynamic programming — baseline", base, base, res);
    ms = time_ms(run_ratio, &j, repeats, &res);
    row("llmt_indel_ratio (bit-parallel LCS)", ms, base, res);

    llmt_buf_free(&s1);
    llmt_buf_free(&s2);
    llmt_schema_free(schema);
    llmt_diags_free(&diags);
    json_decref(schema_json);
    json_decref(items);
    json_decref(ans_items);
    json_decref(expected);
    json_decref(expected_copy);
    json_decref(actual);
    json_decref(actual_swapped);
    json_decref(actual_shuffled);
    free(text);
    free(reply);
    return 0;
}
