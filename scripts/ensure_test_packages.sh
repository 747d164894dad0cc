#!/usr/bin/env bash
# Debian packages the tests drive for real: Chromium (the browser tests, through Playwright) and PgBouncer
# (the app through a transaction pooler, tests/common/test_pgbouncer.py). Install those missing when we may.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium fonts-dejavu-core)
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
if [ ${#missing[@]} = 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
  echo "Missing ${missing[*]}, which cannot be installed without root: run 'sudo apt-get install ${missing[*]}' once." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
command -v chromium >/dev/null
