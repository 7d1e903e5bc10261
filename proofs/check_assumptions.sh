#!/bin/sh
# Print Assumptions for every main theorem of the development (built first with
# `make`); fail unless each one is "Closed under the global context", i.e. it
# depends on no axiom, no Admitted lemma and no section hypothesis.
# Usage: ./check_assumptions.sh [Module.theorem ...]   (default: the list below)
set -eu
cd "$(dirname "$0")"

THEOREMS="
Conv1d.conv_transpose1d_flipped
NDim.conv_transposeN_flipped
NDim.conv_transposeN_1d
NDim.flippedN_1d
Channels.conv_transpose_flipped
Eval.conv_transpose1d_ZE
Eval.flipped1d_ZE
Eval.conv_transpose_ZE
Eval.flipped_ZE
Eval.flipped1d_Z_correct
Eval.flipped_Z_correct
Instances.learner_stride2
Instances.learner_stride4
Instances.flipped_agrees
Instances.unflipped_differs
Instances.shifted_pad_differs
"
[ $# -gt 0 ] && THEOREMS="$*"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
  for m in $(for t in $THEOREMS; do echo "${t%.*}"; done | sort -u); do
    echo "From TConv Require $m."
  done
  for t in $THEOREMS; do
    echo "Redirect \"$tmp/$t\" Print Assumptions TConv.$t."
  done
} > "$tmp/Assumptions.v"
coqc -R . TConv -w -notation-overridden,-ambiguous-paths "$tmp/Assumptions.v" >/dev/null

status=0
for t in $THEOREMS; do
  result=$(cat "$tmp/$t.out")
  if [ "$result" = "Closed under the global context" ]; then
    echo "$t: Closed under the global context"
  else
    echo "$t: NOT CLOSED:"
    echo "$result" | sed 's/^/    /'
    status=1
  fi
done
[ $status -eq 0 ] && echo "assumptions check passed" || echo "assumptions check FAILED"
exit $status
