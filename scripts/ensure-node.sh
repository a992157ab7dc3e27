#!/usr/bin/env bash
# The tests validate cards and the app manifest with Microsoft's own npm packages: they need Node.
set -euo pipefail
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  exit 0
fi
echo "Node.js not found: installing Debian's nodejs and npm" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
