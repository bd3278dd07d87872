#!/usr/bin/env bash
# Fails when generated files (Prisma client, Pothos types, schema.graphql, SDK types) or the migrations
# are out of date with their sources. CI runs it; run `pnpm generate` / `pnpm migration:new <name>` to fix.
set -euo pipefail
cd "$(dirname "$0")/.."
pnpm -s generate >/dev/null
paths=(schema.graphql server/src/generated sdk/src/generated console/src/graphql)
if ! git diff --quiet -- "${paths[@]}" || [ -n "$(git ls-files --others --exclude-standard -- "${paths[@]}")" ]; then
  echo "Generated files are stale. Run 'pnpm generate' and commit the result:" >&2
  git status --short -- "${paths[@]}" >&2
  exit 1
fi
pnpm -s migration:new drift --check
echo "Generated files and migrations are up to date."
