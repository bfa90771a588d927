#!/usr/bin/env bash
# Install Debian's headless-capable Chromium and its WebDriver (chromedriver) unless present.
# Idempotent and quiet: prints nothing when both are installed, one line when it installs,
# one line on stderr when it cannot. Exit codes: 0 ready, 1 install failed, 3 no apt-get/root.
# The report test renders the HTML report in this browser (infra/report).
set -uo pipefail

CHROMIUM=/usr/bin/chromium
DRIVER=/usr/bin/chromedriver
PACKAGES=(chromium chromium-driver fonts-dejavu-core)

if [ -x "$CHROMIUM" ] && [ -x "$DRIVER" ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: $CHROMIUM or $DRIVER is missing and apt-get is not available: install Chromium and chromedriver (Debian packages chromium, chromium-driver) by hand" >&2
  exit 3
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    echo "error: installing ${PACKAGES[*]} needs root (or password-less sudo); run: sudo apt-get install -y ${PACKAGES[*]}" >&2
    exit 3
  fi
fi

log=$(mktemp "${TMPDIR:-/tmp}/ensure-chromium.XXXXXX.log")
apt_opts=(-y -qq --no-install-recommends -o DPkg::Lock::Timeout=600)
export DEBIAN_FRONTEND=noninteractive
# The package lists may be stale or absent (fresh containers): update once, then install.
if ! "${SUDO[@]}" apt-get install "${apt_opts[@]}" "${PACKAGES[@]}" >"$log" 2>&1; then
  if ! { "${SUDO[@]}" apt-get update -qq -o DPkg::Lock::Timeout=600 \
         && "${SUDO[@]}" apt-get install "${apt_opts[@]}" "${PACKAGES[@]}"; } >>"$log" 2>&1; then
    echo "error: apt-get could not install ${PACKAGES[*]} (last line: $(tail -n 1 "$log")); full log: $log" >&2
    exit 1
  fi
fi
if ! [ -x "$CHROMIUM" ] || ! [ -x "$DRIVER" ]; then
  echo "error: apt-get installed ${PACKAGES[*]} but $CHROMIUM or $DRIVER is still missing; log: $log" >&2
  exit 1
fi
rm -f "$log"
echo "installed $("$CHROMIUM" --version 2>/dev/null | head -n 1) and chromedriver from Debian packages"
