/* The compiled form of a schema, shared by validate_compile.c (which builds it) and
 * validate.c (which interprets it). Not part of any public API. */
#ifndef LLMT_VALIDATE_INT_H
#define LLMT_VALIDATE_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "score/format.h"
#include "score/regex.h"
#include "score/validate.h"

enum { DRAFT_2020 = LLMT_SCHEMA_DRAFT_2020_12, DRAFT_7 = LLMT_SCHEMA_DRAFT_7 };

enum {
    T_NULL = 1 << 0,
    T_BOOLEAN = 1 << 1,
    T_OBJECT = 1 << 2,
    T_ARRAY = 1 << 3,
    T_NUMBER = 1 << 4,
    T_INTEGER = 1 << 5,
    T_STRING = 1 << 6
};

typedef struct snode snode;

typedef struct snode_list {
    snode **v;
    size_t n;
} snode_list;

typedef struct pattern_schema {
    llmt_regex *re;
    snode *schema;
} pattern_schema;

typedef struct dep_required {
    const char *name; /* borrowed from the schema */
    size_t name_len;
    const json_t *names; /* array of strings */
} dep_required;

typedef struct dep_schema {
    const char *name;
    size_t name_len;
    snode *schema;
} dep_schema;

/* One schema (object or boolean) with its keywords resolved to nodes. Values that need
 * no preparation (enum, const, numbers' limits) point into the schema document. */
struct snode {
    const json_t *json;
    int boolean;           /* -1 an object schema, 0 false, 1 true */
    int draft;
    bool validation_vocab; /* false: a meta-schema without the validation vocabulary */
    const char *base;      /* base URI (owned by the compiled schema) */
    const char *where;     /* JSON pointer in its document, for diagnostics */

    snode *ref;
    const char *ref_text; /* for messages */
    snode *dynref;        /* $dynamicRef's static target */
    const char *dynref_anchor; /* its anchor name when the target has that $dynamicAnchor */
    bool recursive_ref;        /* draft 2019-09 $recursiveRef to a $recursiveAnchor: true */
    const char *resource;      /* the resource URI this node starts ($id), NULL if none */

    unsigned types; /* T_* mask; 0: no type keyword */
    const json_t *type_json;
    const json_t *enum_json, *const_json;

    snode_list all_of, any_of, one_of;
    snode *not_, *if_, *then_, *else_;

    /* objects */
    const json_t *properties; /* name -> schema (children in prop_nodes by json) */
    pattern_schema *pattern_props;
    size_t n_pattern_props;
    snode *additional_props, *property_names, *unevaluated_props;
    const json_t *required;
    dep_required *dep_req;
    size_t n_dep_req;
    dep_schema *dep_schemas;
    size_t n_dep_schemas;
    long min_props, max_props; /* -1: absent */

    /* arrays (draft-07's array-form items become prefix_items, additionalItems items) */
    snode_list prefix_items;
    snode *items, *contains, *unevaluated_items;
    long min_items, max_items, min_contains, max_contains;
    bool unique_items;

    /* numbers */
    const json_t *minimum, *maximum, *ex_minimum, *ex_maximum, *multiple_of;

    /* strings */
    long min_length, max_length;
    llmt_regex *pattern;
    const char *pattern_text;
    llmt_format_fn format;
    const char *format_name;
};

/* Pointer -> node map (open addressing). */
typedef struct node_map {
    const json_t **keys;
    snode **vals;
    size_t cap, n;
} node_map;

struct llmt_schema {
    json_t *root;
    char *file;
    snode *root_node;
    snode **nodes; /* every node, owned */
    size_t n_nodes, cap_nodes;
    node_map map;
    json_t *docs;         /* uri -> document (kept alive) */
    json_t *anchors;      /* "uri#name" -> schema json (anchors, $id'd resources) */
    json_t *dyn_anchors;  /* "uri#name" -> schema json, $dynamicAnchor only */
    char **strings;       /* owned strings (base URIs) */
    size_t n_strings, cap_strings;
    bool has_unevaluated; /* track annotations only when some schema needs them */
};

snode *llmt_node_find(const node_map *m, const json_t *key);
/* T_* bit of a type name, 0 for an unknown name. */
unsigned llmt_type_bit(const char *t);

#endif
