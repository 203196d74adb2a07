#!/usr/bin/env bash
# Issue 14's accessibility benchmark: E2SFCA over AREAS residential areas x FACILITIES
# facilities (straight line, 15 minutes, Luo & Qi's zones) in-process
# (api/examples/accessibility.rs), side by side with the PyPI package `access` on the same
# trips (bench/access_e2sfca.py), which also checks that both give the same scores.
#
#   bash bench/accessibility.sh                      # 200,000 areas x 5,000 facilities
#   AREAS=20000 FACILITIES=500 bash bench/accessibility.sh
set -euo pipefail
cd "$(dirname "$0")/.."
AREAS=${AREAS:-200000}
FACILITIES=${FACILITIES:-5000}
venv=${ACCESS_VENV:-target/access-venv}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q access==1.1.10.post3
fi
cargo build --release --quiet --locked -p api --example accessibility
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"${CARGO_TARGET_DIR:-target}/release/examples/accessibility" "$AREAS" "$FACILITIES" --write "$work"
"$venv/bin/python" bench/access_e2sfca.py "$work"
