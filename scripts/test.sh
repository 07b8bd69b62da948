#!/usr/bin/env bash
# Set up a virtualenv with the test tools, lint, and run every test.
# Extra arguments go to pytest, e.g. scripts/test.sh tests/unit -x
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${SORA_VENV:-.venv}

if [ ! -x "$VENV/bin/pytest" ] || [ setup.py -nt "$VENV/.installed-test" ] \
        || [ requirements.txt -nt "$VENV/.installed-test" ] \
        || [ test-requirements.txt -nt "$VENV/.installed-test" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q -e . -r test-requirements.txt
    touch "$VENV/.installed-test"
fi

"$VENV/bin/ruff" check .
exec "$VENV/bin/pytest" -n 2 "$@"
