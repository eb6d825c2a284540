#!/bin/sh
# promtool for tests/test_metrics_format.py, unpacked from Debian's prometheus package into
# the venv: installing the package itself would also set up a Prometheus service. Where this
# cannot be done (no apt, no network), the test skips with a message.
set -u
dest="$1"
if command -v promtool >/dev/null 2>&1 || [ -x "$dest" ]; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
  echo "promtool not installed (no apt-get): its metrics check will be skipped"; exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fetch() { (cd "$tmp" && timeout 300 apt-get download -qq prometheus >/dev/null 2>&1); }
if ! fetch; then
  # No package lists yet on a fresh machine: refresh them once, as root.
  [ "$(id -u)" = 0 ] && timeout 300 apt-get update -qq >/dev/null 2>&1 && fetch
fi
deb=$(ls "$tmp"/prometheus_*.deb 2>/dev/null | head -n 1)
if [ -n "$deb" ] && dpkg-deb -x "$deb" "$tmp/x" && cp "$tmp/x/usr/bin/promtool" "$dest"; then
  echo "promtool unpacked from Debian's prometheus package into $dest"
else
  echo "promtool not installed: its metrics check will be skipped"
fi
