#!/bin/sh
# Install Madoguchi on Debian/Ubuntu: system packages via apt, Python packages into ./.venv.
#   tools/bootstrap.sh         what the app needs (PC/SC, fonts, Qt's libraries)
#   tools/bootstrap.sh --dev   plus what the tests need (PostgreSQL server, poppler)
set -eu
cd "$(dirname "$0")/.."

DEV=0
[ "${1:-}" = "--dev" ] && DEV=1

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

# pcscd + vpcd: card readers and the virtual demo card; libpcsclite-dev + swig + gcc: build pyscard;
# fonts-ipaexfont: TrueType Japanese fonts reportlab can embed; the libxcb/libEGL set: Qt's xcb platform.
PKGS="python3 python3-venv python3-dev gcc swig pcscd vsmartcard-vpcd libpcsclite-dev
      fonts-ipaexfont fontconfig libegl1 libgl1 libglib2.0-0 libdbus-1-3 libfontconfig1
      libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
      libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxcb-xfixes0"
# postgresql: the multi-terminal engine, started by the tests themselves; poppler-utils: pdftoppm.
[ "$DEV" = 1 ] && PKGS="$PKGS postgresql poppler-utils"

missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if [ "$DEV" = 1 ]; then
  .venv/bin/python -m pip install -q -e ".[dev]"
else
  .venv/bin/python -m pip install -q -e .
fi
