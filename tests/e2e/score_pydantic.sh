# End to end: `llm-tester score I I --schema S --json` on schemas Pydantic 2 made
# (tests/fixtures/pydantic, written by gen.py there: ORCID/DOI patterns, UUID, Decimal,
# tuples as prefixItems, Literal enums, a discriminated union, \p{...} patterns, dict
# values). Each answer's expected verdict is in <model>.cases (Python's jsonschema
# agreed with it where it can read the pattern).
. "$(dirname "$0")/lib/common.sh"
F="$LLMT_SOURCE_DIR/tests/fixtures/pydantic"
cd "$WORK" # no project config from the build tree applies

for cases in "$F"/*.cases; do
    model=$(basename "$cases" .cases)
    while read -r name verdict; do
        run_cli 0 score "$F/$name.json" "$F/$name.json" --schema "$F/$model.schema.json" --json </dev/null || continue
        if [ "$verdict" = valid ]; then
            check "$name: valid" contains "$WORK/out" '"valid": true'
            check "$name: no violations" contains "$WORK/out" '"violations": []'
        else
            check "$name: invalid" contains "$WORK/out" '"valid": false'
        fi
        check "$name: pydantic's schema compiles without warnings" test ! -s "$WORK/err"
    done <"$cases"
done

# the violations name the value's pointer and what is wrong
viol() { # NAME MODEL TEXT
    run_cli 0 score "$F/$1.json" "$F/$1.json" --schema "$F/$2.schema.json" --json &&
        check "$1: $3" contains "$WORK/out" "$3"
}
viol paper.orcid_bad_checksum_char paper '/authors/0/orcid: \"0000-0002-1825-009Y\" does not match the pattern'
viol paper.uuid_bad paper '/id: \"not-a-uuid\" is not a valid uuid'
viol paper.tuple_too_long paper '/location: more than 2 items (got 3)'
viol paper.tuple_wrong_item paper '/location/1: expected number, got string'
viol paper.date_not_leap paper '/published: \"2023-02-29\" is not a valid date'
viol owner.dog_lowercase_name owner '/pet/name: \"émile\" does not match the pattern ^\\p{Lu}\\p{Ll}+$'
viol owner.cat_ten_lives owner '/pet/lives: 10 is greater than the maximum 9'
viol owner.score_not_int owner '/scores/a: expected integer, got number'
finish
