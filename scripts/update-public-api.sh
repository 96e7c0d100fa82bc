#!/usr/bin/env bash
# Adds every public symbol the PublicApiAnalyzers report as undeclared (RS0016) to the project's
# PublicAPI.Unshipped.txt, then sorts it. Run it after changing a public surface on purpose, and
# review the diff: it is the API change.
set -euo pipefail
cd "$(dirname "$0")/.."
for project in "$@"; do
  dir=$(dirname "$project")
  dotnet build "$project" -nologo 2>&1 \
    | grep -o "error RS0016: Symbol '[^']*'" \
    | sed -E "s/error RS0016: Symbol '(.*)'/\1/" \
    | sort -u >> "$dir/PublicAPI.Unshipped.txt" || true
  { head -n 1 "$dir/PublicAPI.Unshipped.txt"; tail -n +2 "$dir/PublicAPI.Unshipped.txt" | sort -u; } > "$dir/PublicAPI.tmp"
  mv "$dir/PublicAPI.tmp" "$dir/PublicAPI.Unshipped.txt"
done
