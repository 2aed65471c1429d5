#!/usr/bin/env bash
# Issue 20's figure: `duplicates` pairs in src/ outside migrations.
#   scripts/duplicates_src.sh [--most N]   (run from the project root)
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd src && find . -name '*.py' -not -path '*/migrations/*' -print0 |
    while IFS= read -r -d '' f; do mkdir -p "$tmp/$(dirname "$f")"; cp "$f" "$tmp/$f"; done)
cd "$tmp" && duplicates --repo "$tmp" --seconds 300 "$@"
