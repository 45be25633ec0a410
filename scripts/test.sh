#!/usr/bin/env bash
# Every check CI makes: formatting, clippy, then all tests on SQLite and again on PostgreSQL.
# The browser tests install Debian's chromium and fonts-noto-cjk (as root) and playwright-core.
# The mail tests start their own MailDev (a real SMTP server from npm, installed on first use
# into .tools/maildev); without npm the run fails rather than skipping them.
#
# PostgreSQL: TEST_DATABASE_URL names a server database the tests may create databases from
# (default postgres://postgres@127.0.0.1:5432/postgres). Under CI=true an unreachable server is a
# failure; elsewhere the PostgreSQL pass is skipped and the summary says so.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
unset TEST_DATABASE_URL
export RUST_BACKTRACE=0

step() { printf '\n==> %s\n' "$*"; }

if cargo nextest --version >/dev/null 2>&1; then
  run_tests() { cargo nextest run --no-fail-fast --workspace "$@"; }
else
  run_tests() { cargo test --no-fail-fast --workspace "$@"; }
fi

pg_host_port() { # prints "host port" of PG_URL
  local rest=${PG_URL#*://}; rest=${rest#*@}; rest=${rest%%/*}
  local host=${rest%%:*} port=5432
  [[ $rest == *:* ]] && port=${rest##*:}
  echo "$host $port"
}

pg_reachable() {
  local host port
  read -r host port < <(pg_host_port)
  timeout 3 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null
}

drop_test_databases() {
  command -v psql >/dev/null 2>&1 || return 0
  psql "$PG_URL" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'yigong_test_%'" 2>/dev/null |
    while read -r db; do psql "$PG_URL" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true; done
}

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "SMTP servers the mail tests start: MailDev (npm) and aiosmtpd (PyPI), into .tools"
MAILDEV_BIN="$(./scripts/maildev.sh)"
export MAILDEV_BIN
echo "$MAILDEV_BIN"
AIOSMTPD_PYTHON="$(./scripts/aiosmtpd.sh)"
export AIOSMTPD_PYTHON
echo "$AIOSMTPD_PYTHON (aiosmtpd, for the STARTTLS test)"

step "tests on SQLite"
run_tests

step "API contract: OpenAPI validation and schemathesis"
cargo build --quiet -p yigong --bin yigong
if command -v python3 >/dev/null 2>&1; then
  ./scripts/api-contract.sh "${CARGO_TARGET_DIR:-target}/debug/yigong"
elif [[ "${CI:-}" == "true" ]]; then
  echo "FAIL: python3 is needed for the API contract check" >&2; exit 1
else
  echo "SKIPPED: the API contract check (no python3)"
fi

step "web UI in real Chromium (scripts/e2e.sh)"
./scripts/e2e.sh "${CARGO_TARGET_DIR:-target}/debug/yigong"

step "tests on PostgreSQL"
if ! pg_reachable && [[ "${CI:-}" == "true" ]] && command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "PostgreSQL is not answering; starting the machine's cluster"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in $(seq 1 20); do pg_reachable && break; sleep 1; done
fi
if pg_reachable; then
  drop_test_databases
  trap drop_test_databases EXIT
  TEST_DATABASE_URL="$PG_URL" run_tests -p yigong --test api
  echo "PostgreSQL pass: done against $(pg_host_port | tr ' ' ':')"
elif [[ "${CI:-}" == "true" ]]; then
  echo "FAIL: PostgreSQL at $(pg_host_port | tr ' ' ':') is unreachable and CI=true requires the PostgreSQL pass" >&2
  exit 1
else
  echo "SKIPPED: the PostgreSQL pass (no server at $(pg_host_port | tr ' ' ':')). Only SQLite was tested."
fi
