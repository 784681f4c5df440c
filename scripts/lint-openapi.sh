#!/usr/bin/env bash
# `npm run lint:openapi`: the generated OpenAPI document (scripts/openapi-document.ts, no database
# needed) against Redocly's recommended ruleset (redocly.yaml). Fails on any error and on any
# warning: redocly itself exits 0 when there are only warnings.
set -euo pipefail
cd "$(dirname "$0")/.."
# A fixed path under the build output: .redocly.lint-ignore.yaml names its entries by file.
doc=dist/openapi.json
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
node dist/scripts/openapi-document.js "$doc"
# No telemetry, no update check: CI reaches no host but the package registries.
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
  npx --no-install redocly lint "$doc" --format=json >"$report" 2>/dev/null || true
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  for (const p of r.problems) {
    console.log(`${p.severity}\t${p.ruleId}\t${p.location[0]?.pointer ?? ""}\t${p.message}`);
  }
  const { errors, warnings, ignored } = r.totals;
  console.log(`redocly lint ${process.argv[2]}: ${errors} errors, ${warnings} warnings (${ignored} ignored by .redocly.lint-ignore.yaml)`);
  process.exit(errors + warnings > 0 ? 1 : 0);
' "$report" "$doc"
