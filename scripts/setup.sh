#!/usr/bin/env bash
# Idempotent set-up for gr-rfclassify on Debian 12 (and derivatives).
#
#  1. Debian packages: GNU Radio and friends, only when the system python cannot import them.
#  2. .venv from the *system* python with --system-site-packages, so it sees GNU Radio's bindings.
#  3. The project, editable, with the [dev] extra; re-installed only when pyproject.toml changed.
#
# The second run does no network access and finishes in a couple of seconds.
set -euo pipefail

cd "$(dirname "$0")/.."
SYS_PY=/usr/bin/python3
VENV=.venv
STAMP="$VENV/.rfclassify-installed"
# cmake + g++: the GNU Radio-style CMake install (gr_modtool layout) and its test.
APT_PACKAGES=(gnuradio python3-soapysdr python3-zmq python3-venv python3-pip cmake g++)
# gr-osmosdr (rtl_tcp and friends for the receiver): without its recommends, which would pull in
# DKMS and kernel headers for an SDR driver module.
APT_LEAN_PACKAGES=(gr-osmosdr)

say() { printf 'setup: %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo "$@"
    elif command -v sudo >/dev/null 2>&1 && [ -t 0 ]; then
        sudo "$@"
    else
        say "need root to run: $*"
        say "run 'sudo make setup' once, or install these Debian packages yourself:"
        say "    apt-get install -y ${APT_PACKAGES[*]}"
        say "    apt-get install -y --no-install-recommends ${APT_LEAN_PACKAGES[*]}"
        say "(not on Debian? see README.md, 'Other systems: radioconda / conda-forge')"
        exit 1
    fi
}

system_ready() {
    [ -x "$SYS_PY" ] && command -v cmake >/dev/null 2>&1 && command -v g++ >/dev/null 2>&1 &&
        "$SYS_PY" -c 'from gnuradio import gr; import SoapySDR, zmq, venv, ensurepip, osmosdr' \
            >/dev/null 2>&1
}

if ! system_ready; then
    if ! command -v apt-get >/dev/null 2>&1; then
        say "GNU Radio is not importable from $SYS_PY and this is not a Debian system."
        say "See README.md, 'Other systems: radioconda / conda-forge'."
        exit 1
    fi
    say "installing Debian packages: ${APT_PACKAGES[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${APT_PACKAGES[@]}" >/dev/null
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${APT_LEAN_PACKAGES[@]}" >/dev/null
    system_ready || { say "GNU Radio still does not import from $SYS_PY"; exit 1; }
fi

if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV (system python, --system-site-packages)"
    "$SYS_PY" -m venv --system-site-packages "$VENV"
    rm -f "$STAMP"
fi

if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
    say "installing gr-rfclassify (editable, [dev]) into $VENV"
    pip_args=(--quiet --disable-pip-version-check)
    # The pinned CPU torch wheel lives here on our machines; harmless elsewhere.
    [ -d /opt/wheels ] && pip_args+=(--find-links /opt/wheels)
    "$VENV/bin/python" -m pip install "${pip_args[@]}" -e ".[dev]"
    touch "$STAMP"
fi

# numpy 2 breaks Debian's GNU Radio 3.10.5 bindings: catch a drift here, not deep inside a test.
"$VENV/bin/python" - <<'PY'
import sys
import numpy
if int(numpy.__version__.split(".")[0]) >= 2:
    sys.exit(f"setup: numpy {numpy.__version__} in .venv; GNU Radio 3.10.5 needs numpy < 2")
PY
