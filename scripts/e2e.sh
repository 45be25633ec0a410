#!/usr/bin/env bash
# Browser tests of the web UI in real Chromium: installs Debian's chromium and the CJK fonts when
# missing (as root, with apt-get), playwright-core from npm into .tools/e2e, starts
# `yigong serve --demo` on a free port with a fresh data directory, and runs frontend/e2e/*.cjs.
# Screenshots are kept in target/e2e-artifacts. A missing browser is a failure, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-${CARGO_TARGET_DIR:-target}/debug/yigong}"
ARTIFACTS="${CARGO_TARGET_DIR:-target}/e2e-artifacts"

if ! command -v chromium >/dev/null 2>&1 || [[ -z "$(fc-list :lang=zh family 2>/dev/null | grep -i 'Noto Sans CJK' || true)" ]]; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium and fonts-noto-cjk from Debian"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  fi
fi
command -v chromium >/dev/null 2>&1 || { echo "FAIL: Debian's chromium is needed for the browser tests" >&2; exit 1; }
if [[ ! -d .tools/e2e/node_modules/playwright-core ]]; then
  npm install --silent --no-fund --no-audit --prefix .tools/e2e playwright-core@1 >&2
fi

DATA="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$BIN" --data-dir "$DATA" serve --demo --bind "127.0.0.1:$PORT" >"$DATA/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || { cat "$DATA/server.log" >&2; echo "FAIL: the server did not start" >&2; exit 1; }

rm -rf "$ARTIFACTS" && mkdir -p "$ARTIFACTS"
for journey in frontend/e2e/*.cjs; do
  echo "browser: $journey"
  NODE_PATH="$PWD/.tools/e2e/node_modules" BASE_URL="http://127.0.0.1:$PORT" ARTIFACTS="$ARTIFACTS" node "$journey"
done
