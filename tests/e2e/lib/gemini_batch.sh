# Shared by the Gemini run --batch tests (sourced after batch.sh): the model, the key,
# a generateContent reply `gen TEXT`, the answer $ANS, and the custom_ids of the three
# cases ($id1 $id2 $id3; it sets the positional parameters to the case names).
M=gemini:gemini-2.5-flash
export GEMINI_API_KEY="AIza-e2e-VERYSECRET"
gen() { jq -nc --arg c "$1" '{candidates:[{content:{role:"model",parts:[{text:$c}]},finishReason:"STOP"}],usageMetadata:{promptTokenCount:1000,candidatesTokenCount:100},modelVersion:"gemini-2.5-flash"}'; }
ANS='{"title":"x"}'
# shellcheck disable=SC2086
set -- $CASES
id1=$($IDS job_ads "$1" "$M" 0)
id2=$($IDS job_ads "$2" "$M" 0)
id3=$($IDS job_ads "$3" "$M" 0)
