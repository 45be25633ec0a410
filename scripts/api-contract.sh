#!/usr/bin/env bash
# The API against its own OpenAPI document: the document must validate, and schemathesis must
# find no server error, undocumented status, wrong content type or response off its schema.
# Usage: scripts/api-contract.sh PATH_TO_YIGONG_BINARY
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$1
venv=.tools/st
if [[ ! -x $venv/bin/st || ! -x $venv/bin/openapi-spec-validator ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'schemathesis>=4,<5' 'openapi-spec-validator>=0.7,<1'
fi

data_dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
RUST_LOG=warn "$binary" --data-dir "$data_dir" serve --demo --bind "127.0.0.1:$port" > "$data_dir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data_dir"' EXIT
for _ in $(seq 1 100); do curl -fs "$base/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

curl -fs "$base/api/v1/openapi.json" > "$data_dir/openapi.json"
"$venv/bin/openapi-spec-validator" "$data_dir/openapi.json"

# A hospital admin's token, so the authenticated routes are exercised too.
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
curl -fs "$base/api/v1/auth/register" -H 'content-type: application/json' \
  -d '{"email":"contract@yigong.example","password":"contract-test-pw","display_name":"契约测试"}' >/dev/null
token=$(curl -fs "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email":"contract@yigong.example","password":"contract-test-pw"}' | json "['access_token']")
curl -fs "$base/api/v1/organizations" -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"name":"契约测试医院","kind":"hospital","city":"成都"}' >/dev/null

# Logging out or changing the password would end the token mid-run.
"$venv/bin/st" run "$base/api/v1/openapi.json" \
  -H "Authorization: Bearer $token" \
  --exclude-path /api/v1/auth/logout --exclude-path /api/v1/me/password \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
  --max-examples "${CONTRACT_MAX_EXAMPLES:-40}" --seed 20261124 --no-color
