#!/usr/bin/env bash
# Builds SupHost and runs every test project against the real daemon, then prints one line,
# "tests: N passed, N failed", summed from the TRX results of this run (one file per project).
set -uo pipefail
cd "$(dirname "$0")/.."

results="artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

status=0
dotnet build SupHost.slnx -c Release -nologo -v q || status=$?

projects=(tests/*.Tests/*.Tests.csproj)
if [ "$status" -eq 0 ]; then
  for project in "${projects[@]}"; do
    name=$(basename "$project" .csproj)
    dotnet test "$project" -c Release --no-build -nologo \
      --logger "trx;LogFileName=$name.trx" --results-directory "$results" "$@" || status=1
  done
fi

passed=0
failed=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done

# A project that crashed before writing its results counts as one failure, so it cannot vanish.
written=$(find "$results" -maxdepth 1 -name '*.trx' | wc -l)
if [ "$written" -lt "${#projects[@]}" ]; then
  failed=$((failed + ${#projects[@]} - written))
fi

echo "tests: $passed passed, $failed failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
