#!/usr/bin/env bash
# System libraries the tests need beyond Python wheels: an X server for the lockdown tests
# (Xvfb, xdotool), the xcb libraries Qt's xcb platform loads, poppler-utils (pdftotext,
# pdftoppm) to read the PDF reports back, and the exam room's broker (Mosquitto; its
# clients are handy to watch a room). Installs them with apt when
# missing and allowed (root); otherwise says what is missing and lets the tests skip those parts.
# libpulse0: QtTextToSpeech loads only with it (read-aloud); fonts-opendyslexic: the page's
# dyslexia-friendly font (lab machines need both too). at-spi2-core, dbus-daemon/dbus-x11 and
# python3-pyatspi: a screen reader's AT-SPI bus and a reader of it (tests/gui/test_atspi.py).
set -euo pipefail
need=(xvfb xdotool x11-utils libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0
      libxcb-render-util0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0 libxcb-shape0 libxcb-randr0
      poppler-utils mosquitto mosquitto-clients libpulse0 fonts-opendyslexic
      at-spi2-core dbus-daemon dbus-x11 python3-pyatspi gir1.2-atspi-2.0)
missing=()
for pkg in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing system packages for the tests: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "note: missing system packages (${missing[*]}); the virtual-screen lockdown and room tests will skip" >&2
fi
