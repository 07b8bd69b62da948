#!/usr/bin/env bash
# Set up a virtualenv, create the state directory with an admin and a member
# token, and start sora-api on the embedded SQLite default.
#
#   scripts/serve.sh            # serves http://127.0.0.1:8770
#   SORA_PORT=9000 scripts/serve.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${SORA_VENV:-.venv}
STATE=${SORA_STATE:-$PWD/state}

if [ ! -x "$VENV/bin/sora-api" ] || [ setup.py -nt "$VENV/.installed" ] \
        || [ requirements.txt -nt "$VENV/.installed" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q -e .
    touch "$VENV/.installed"
fi

mkdir -p "$STATE"
if [ ! -f "$STATE/sora.conf" ]; then
    cat > "$STATE/sora.conf" <<CONF
[DEFAULT]
state_path = $STATE

[api]
bind_host = 127.0.0.1
bind_port = ${SORA_PORT:-8770}
CONF
fi

token() {  # token NAME USER PROJECT ROLE: create once, keep in $STATE/NAME-token
    if [ ! -s "$STATE/$1-token" ]; then
        (umask 077; "$VENV/bin/sora-manage" --config-file "$STATE/sora.conf" \
            token create --user "$2" --project "$3" --role "$4" 2>/dev/null \
            | tail -n 1 > "$STATE/$1-token")
    fi
}
token admin admin admin admin
token member demo-user demo member

echo "Admin token:  $STATE/admin-token   (ADMIN=\"X-Auth-Token: \$(cat $STATE/admin-token)\")"
echo "Member token: $STATE/member-token  (MEMBER=\"X-Auth-Token: \$(cat $STATE/member-token)\")"
exec "$VENV/bin/sora-api" --config-file "$STATE/sora.conf"
