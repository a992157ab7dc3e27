#!/usr/bin/env bash
# The test suite starts a real PostgreSQL server of its own; this installs the server
# binaries (Debian's package) when they are missing. Idempotent and quiet when present.
set -euo pipefail
if compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null && id postgres >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "PostgreSQL server binaries are missing: install Debian's 'postgresql' package (needs root)" >&2
  exit 1
fi
echo "PostgreSQL not found: installing Debian's postgresql" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql >/dev/null
# The package starts a cluster service of its own; the tests do not use it.
(command -v service >/dev/null && service postgresql stop >/dev/null 2>&1) || true
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null
