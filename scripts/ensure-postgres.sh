#!/usr/bin/env bash
# The test suite starts a PostgreSQL server of its own (tests/support/postgres.py): a throwaway
# cluster in a temporary directory on 127.0.0.1. This makes sure it can: the server binaries
# (Debian's `postgresql` package) and, when the tests run as root, the unprivileged `postgres`
# account to run the server as (initdb refuses root).
# Idempotent; silent when everything is there; exits non-zero saying why when it cannot.
set -euo pipefail

say() { echo "ensure-postgres: $*" >&2; }
die() { say "$*"; exit 1; }

# SDBOT_PG_GLOB: for testing this script only.
PG_GLOB="${SDBOT_PG_GLOB:-/usr/lib/postgresql/*/bin/postgres}"
have_binaries() { compgen -G "$PG_GLOB" >/dev/null; }
have_account() { id -u postgres >/dev/null 2>&1; }
is_root() { [ "$(id -u)" = "0" ]; }

# Root needs the `postgres` account (and runuser to switch to it); anyone else runs the server
# as themselves.
if have_binaries && { ! is_root || have_account; }; then
  exit 0
fi

SUDO=()
if ! is_root; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    die "PostgreSQL server binaries are missing (no $PG_GLOB) and installing them needs root: run 'apt-get install postgresql' as root, or this script with sudo"
  fi
fi

if ! have_binaries; then
  command -v apt-get >/dev/null 2>&1 ||
    die "PostgreSQL server binaries are missing and there is no apt-get here: install PostgreSQL's server (initdb, pg_ctl, postgres, psql) under /usr/lib/postgresql/<version>/bin, or set SDBOT_PG_BINDIR"
  say "PostgreSQL server not found: installing Debian's postgresql package"
  export DEBIAN_FRONTEND=noninteractive
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT
  if ! "${SUDO[@]}" apt-get update -qq >"$log" 2>&1; then
    cat "$log" >&2
    die "apt-get update failed (no network or no package mirror?): cannot install PostgreSQL"
  fi
  if ! "${SUDO[@]}" apt-get install -y -qq --no-install-recommends postgresql >"$log" 2>&1; then
    cat "$log" >&2
    die "apt-get install postgresql failed: see above"
  fi
  # The package may start a cluster service of its own; the tests never use it.
  if command -v service >/dev/null 2>&1; then
    "${SUDO[@]}" service postgresql stop >/dev/null 2>&1 || true
  fi
  have_binaries || die "installed the postgresql package, but found no $PG_GLOB"
  say "installed: $(compgen -G "$PG_GLOB" | sort -V | tail -n 1)"
fi

if is_root && ! have_account; then
  # The package creates this account; make it if the binaries came some other way.
  say "creating the unprivileged 'postgres' account to run the test server"
  if command -v useradd >/dev/null 2>&1; then
    useradd --system --user-group --home-dir /var/lib/postgresql --no-create-home --shell /usr/sbin/nologin postgres ||
      die "could not create the 'postgres' account"
  elif command -v adduser >/dev/null 2>&1; then
    adduser --system --group --home /var/lib/postgresql --no-create-home postgres >/dev/null ||
      die "could not create the 'postgres' account"
  else
    die "no useradd or adduser: create an unprivileged 'postgres' account by hand"
  fi
fi

if is_root; then
  command -v runuser >/dev/null 2>&1 || die "runuser (util-linux) is missing: the tests run the server through it as 'postgres'"
fi
exit 0
