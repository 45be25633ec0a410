#!/usr/bin/env bash
# Installs aiosmtpd (a real SMTP server with STARTTLS and AUTH, from PyPI) into .tools/aiosmtpd
# for the STARTTLS test (MailDev never offers STARTTLS) and prints the path of its python.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.tools/aiosmtpd/bin/python
if ! "$PY" -c "import aiosmtpd" >/dev/null 2>&1; then
  command -v python3 >/dev/null 2>&1 || { echo "python3 is needed to install aiosmtpd" >&2; exit 1; }
  python3 -m venv .tools/aiosmtpd >&2
  .tools/aiosmtpd/bin/pip install --quiet --disable-pip-version-check aiosmtpd >&2
fi
echo "$PWD/$PY"
