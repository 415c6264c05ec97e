#!/bin/sh
# `import`: a copy of the Python tool's py_models layout (tests/fixtures/py_models: job_ads
# with its image case, leftovers, reports/, prompts/optimized/, __pycache__) becomes tasks
# that mock:oracle answers at 100 %; what is left behind is listed; nothing is
# overwritten; no python3 / no pydantic: exit 2 saying what to install.
set -u
. "$LLMT_SOURCE_DIR/tests/e2e/lib/common.sh"
cd "$WORK" || exit 1
cp -r "$LLMT_SOURCE_DIR/tests/fixtures/py_models" py_models
find py_models -name '*.pyc' >pyc.before

run_cli 2 run --tasks py_models --models mock:oracle
check "running the Python tree points to import" contains "$WORK/err" "is a pydantic-llm-tester task: convert it with 'llm-tester import"
run_cli 0 import py_models --output tasks
cp "$WORK/out" import.out
check "both tasks imported" contains import.out "imported job_ads -> tasks/job_ads: class JobAd (named after the task)"
check "product task's class" contains import.out "class ProductDescription"
check "scaffold-style model: the class the others hang from" contains import.out "imported events -> tasks/events: class EventsModel (the class the others hang from)"
check "scaffold-style get_test_cases() without arguments" test -f tasks/events/tests/expected/conference.json
check "standard cases copied" test -f tasks/job_ads/tests/sources/simple.txt -a -f tasks/job_ads/tests/prompts/simple.txt -a -f tasks/job_ads/tests/expected/simple.json
check "image case: source renamed" cmp -s py_models/job_ads/tests/sources/job_ad_from_image_source.txt tasks/job_ads/tests/sources/job_ad_from_image.txt
check "image case: prompt renamed" cmp -s py_models/job_ads/tests/prompts/job_ad_from_image_prompt.txt tasks/job_ads/tests/prompts/job_ad_from_image.txt
check "image case: picture attached" cmp -s py_models/job_ads/tests/sources/job_ad_pic.png tasks/job_ads/tests/sources/job_ad_from_image.png
check "image case: expected" test -f tasks/job_ads/tests/expected/job_ad_from_image.json
check "schema is model_json_schema()" sh -c 'grep -q "\"title\": \"JobAd\"" tasks/job_ads/schema.json && grep -q "\"\$defs\"" tasks/job_ads/schema.json'
check "skip fields from get_skip_fields" sh -c 'tr -d " \n" <tasks/job_ads/task.json | grep -q "\"skip_fields\":\[\"image_analysis\",\"some_other_field\"\]"'
check "docstring as description" contains tasks/job_ads/task.json '"description": "Job advertisement model"'
check "source without prompt not imported" test ! -e tasks/product_descriptions/tests/sources/draft.txt
check "no leftovers copied" sh -c '! find tasks -name "__init__.py" -o -name "*.pyc" -o -name reports -o -name optimized -o -name "job_ad_pic*" | grep -q .'
for s in "job_ads/__pycache__/: Python bytecode cache" "job_ads/__init__.py: Python package marker" \
         "job_ads/reports/: the Python tool's reports" "job_ads/tests/prompts/optimized/: prompts of an earlier --optimize" \
         "job_ads/tests/expected/job_ad_pic.json: not part of any case" \
         "product_descriptions/tests/sources/draft.txt: not part of any case" \
         "skipped __pycache__/: Python bytecode cache"; do
    check "skipped listed: $s" contains import.out "$s"
done
find py_models -name '*.pyc' >pyc.after
check "no new bytecode in the user's tree" cmp -s pyc.before pyc.after

# the imported tasks run at once, a leftover __pycache__ in the tasks folder included
mkdir -p tasks/__pycache__ && : >tasks/__pycache__/x.pyc
run_cli 0 run --tasks tasks --models mock:oracle --output res
check "five cases ran" test "$(lines res/results.jsonl)" -eq 5
check "every imported case at 100 %" sh -c '[ "$(grep -c "\"accuracy\":100" res/results.jsonl)" -eq 5 ]'
check "the image went with its case" sh -c 'grep "job_ad_from_image" res/results.jsonl | grep -q "\"valid\":true"'

# never overwrite
cp tasks/job_ads/task.json keep.json
run_cli 2 import py_models --output tasks
check "existing task folder named" contains "$WORK/err" "tasks/job_ads already exists"
check "nothing overwritten" cmp -s keep.json tasks/job_ads/task.json

# one task folder
run_cli 0 import py_models/product_descriptions --output one
check "one task folder imports" test -f one/product_descriptions/tests/expected/tech_gadget.json

# without python3 / without pydantic 2
LLMT_PYTHON=/nonexistent/python3 "$LLMT_BIN" import py_models --output t2 >o 2>e
check "no python: exit 2" test $? -eq 2
check "no python: says what to install" contains e "install Python 3 with pydantic 2"
printf '#!/bin/sh\nexec python3 -S "$@"\n' >nopydantic && chmod +x nopydantic
LLMT_PYTHON="$WORK/nopydantic" "$LLMT_BIN" import py_models --output t3 >o 2>e
check "no pydantic: exit 2" test $? -eq 2
check "no pydantic: says what to install" contains e "pip install 'pydantic>=2'"
check "no pydantic: nothing written" test ! -e t3/job_ads/schema.json

# a model.py that fails, an ambiguous class
mkdir -p bad/broken bad/twoclasses
printf 'import not_a_module\n' >bad/broken/model.py
printf 'from pydantic import BaseModel\nclass A(BaseModel):\n    x: int\nclass B(BaseModel):\n    y: int\n' >bad/twoclasses/model.py
"$LLMT_BIN" import bad --output t4 >o 2>e
check "broken model.py: exit 2" test $? -eq 2
check "broken model.py named" contains e "bad/broken/model.py: importing model.py failed: ModuleNotFoundError"
check "ambiguous class explained" contains e "cannot tell the main model class among A, B"
run_cli 2 import --output x

# the README's walk-through in a Python project: migrate the settings, import, run
mkdir -p walk && cp -r py_models walk/ && cp "$LLMT_SOURCE_DIR/tests/fixtures/config/pyllm_config.json" walk/
cd walk || exit 1
run_cli 0 config migrate pyllm_config.json --write
check "walk-through: default models kept" sh -c 'tr -d " \n" <llm-tester.json | grep -q "\"models\":\[\"openai:gpt-4o-mini\",\"anthropic:claude-3-haiku\"\]"'
run_cli 0 providers enable mock
run_cli 0 import py_models --output tasks
run_cli 0 run --tasks tasks --models mock:oracle
check "walk-through: every case at 100 %" test "$(grep -Ec "100\.00% +yes" "$WORK/out")" -eq 5
cd "$WORK" || exit 1
finish
