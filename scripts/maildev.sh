#!/usr/bin/env bash
# Installs MailDev (a real SMTP server with an HTTP API, from npm) into .tools/maildev for the
# mail tests and prints the path of its binary. Tests start their own instances from it.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.tools/maildev/node_modules/.bin/maildev
if [[ ! -x "$BIN" ]]; then
  command -v npm >/dev/null 2>&1 || { echo "npm is needed to install MailDev" >&2; exit 1; }
  npm install --silent --no-fund --no-audit --prefix .tools/maildev maildev@3 >&2
fi
echo "$PWD/$BIN"
