#!/usr/bin/env bash
# The Debian packages the test suite drives for real: PostgreSQL (Dagster's production storage) and
# Chromium (the browser test of the demo). Run by `make test` and `.ci/run` before the tests.
# Installs the missing ones when it can (root, or sudo without a password); otherwise prints one
# message naming them and the command, and exits 1 before any test runs.
# AIRBYTE_OPS_SKIP=browser,postgres leaves those parts out (the test run then lists what did not run).
set -euo pipefail

# Where the tests look for them (the variables exist for this script's own test).
pg_ctl_glob="${PG_CTL_GLOB:-/usr/lib/postgresql/*/bin/pg_ctl}"
chromium="${CHROMIUM:-/usr/bin/chromium}"

skip=",${AIRBYTE_OPS_SKIP:-},"
missing=()
parts=()
if [[ $skip != *,postgres,* ]] && ! compgen -G "$pg_ctl_glob" >/dev/null; then
    missing+=(postgresql)
    parts+=(postgres)
fi
if [[ $skip != *,browser,* ]] && [ ! -x "$chromium" ]; then
    missing+=(chromium)
    parts+=(browser)
fi
((${#missing[@]})) || exit 0

install=(apt-get install -y -qq --no-install-recommends "${missing[@]}")
if [ "$(id -u)" -eq 0 ]; then
    sudo_cmd=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo_cmd=(sudo -n)
else
    sudo_cmd=(none)
fi
if [ "${sudo_cmd[*]}" = none ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "The test suite drives ${missing[*]}, missing here, and cannot install them (needs root or" \
        "passwordless sudo, and apt-get). Install them: sudo apt-get install -y ${missing[*]}" \
        "-- or run without them: AIRBYTE_OPS_SKIP=$(IFS=,; echo "${parts[*]}") make test" >&2
    exit 1
fi
echo "Installing ${missing[*]} (Debian packages the test suite drives)..." >&2
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" "${install[@]}" >/dev/null
