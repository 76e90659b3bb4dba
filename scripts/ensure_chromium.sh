#!/usr/bin/env bash
# Make a headless Chromium available for the report test; print its path on stdout.
#
# Decision: the report test's session setup calls this script (not .ci/run), so `make test` behaves the
# same in CI and on a developer machine. It installs Debian's `chromium` package only where that is
# safe to do unattended: running as root, with apt-get present, non-interactively and under a timeout
# (CHROMIUM_INSTALL_TIMEOUT seconds, default 300). Anywhere else it changes nothing, says why on
# stderr and exits 1; the test then skips with that reason.
#
# CHROMIUM=/path/to/chrome selects a browser explicitly (e.g. Google Chrome on a laptop).
set -uo pipefail

find_browser() {
  if [ -n "${CHROMIUM:-}" ]; then
    [ -x "$CHROMIUM" ] && { echo "$CHROMIUM"; return 0; }
    echo "CHROMIUM=$CHROMIUM is not an executable file" >&2
    return 2
  fi
  local name
  for name in chromium chromium-browser google-chrome-stable google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then
      command -v "$name"
      return 0
    fi
  done
  return 1
}

browser=$(find_browser)
case $? in
  0) echo "$browser"; exit 0 ;;
  2) exit 1 ;;
esac

if [ "$(id -u)" != "0" ]; then
  echo "chromium is not installed and this user is not root: install it with 'sudo apt-get install chromium'" \
    "or point CHROMIUM at a Chromium/Chrome binary" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium is not installed and apt-get is not available: install Chromium and set CHROMIUM=<path>" >&2
  exit 1
fi

limit=${CHROMIUM_INSTALL_TIMEOUT:-300}
export DEBIAN_FRONTEND=noninteractive
install() {
  timeout "$limit" apt-get install -y -q --no-install-recommends chromium </dev/null >&2
}
echo "installing Debian package chromium (timeout ${limit}s)" >&2
# A fresh image may carry no package lists: refresh them once and retry.
if ! install; then
  echo "apt-get install failed; refreshing package lists and retrying" >&2
  timeout "$limit" apt-get update -q </dev/null >&2 && install
fi
if browser=$(find_browser); then
  echo "$browser"
  exit 0
fi
echo "installing chromium with apt-get failed (see the apt output above)" >&2
exit 1
