#!/usr/bin/env bash
# `make test` after lint: the whole suite on Terraform 1.0.3, then every test binary that runs
# Terraform again on Terraform 1.15.5; both pinned in .tools/ by .ci/install-tools.sh, so both
# always run, whatever the machine has on PATH. One build serves every pass (same profile, same
# features: the later `cargo test` runs only what the first built).
#
# Then, as an extra pass, the machine's own Terraform: TERRAFORM_BIN_LATEST, else `terraform` on
# PATH, when it is a third version.
#
# Every test that found Terraform leaves a line in target/e2e-record/<version>/ (testkit's
# `version` module); the banner at the end counts them: e2e tests passed and skipped per version,
# and how long each pass took. The run fails when a pass (a pinned Terraform above all) ran no
# end-to-end test, under CI=true as everywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
OLDEST="$PWD/.tools/terraform/terraform"
PINNED_LATEST="$PWD/.tools/terraform-1.15.5/terraform"
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

count() { # count DIR WHAT: how many records in DIR start with WHAT
  if [ -d "$1" ]; then { grep -l "^$2" "$1"/* 2>/dev/null || true; } | wc -l; else echo 0; fi
}

for bin in "$OLDEST" "$PINNED_LATEST"; do
  if [ ! -x "$bin" ]; then
    echo "test: $bin is missing: run ./.ci/install-tools.sh (make tools)" >&2
    exit 1
  fi
done
oldest_version=$(version_of "$OLDEST")
pinned_version=$(version_of "$PINNED_LATEST")

# The machine's own Terraform, when it is neither pinned version.
machine="${TERRAFORM_BIN_LATEST:-$(command -v terraform || true)}"
machine_version=""
if [ -n "$machine" ]; then
  if [ ! -x "$machine" ]; then
    echo "test: TERRAFORM_BIN_LATEST=$machine is not an executable" >&2
    exit 1
  fi
  machine=$(readlink -f "$machine")
  machine_version=$(version_of "$machine")
  if [ "$machine_version" = "$oldest_version" ] || [ "$machine_version" = "$pinned_version" ]; then
    echo "test: the machine's Terraform ($machine) is $machine_version, which a pinned pass runs" >&2
    machine=""
  fi
fi

# The test targets that run Terraform: those whose sources take it from testkit. Today that is
# tests/e2e/ alone (one binary per level); a top-level tests/NAME.rs or tests/NAME/ that takes
# Terraform from testkit is found the same way.
targets=()
for target in $(grep -rlE 'terraform!\(|Terraform::find\(' tests |
  sed -E 's#^tests/([^/.]+).*#\1#' | sort -u); do
  targets+=(--test "$target")
done

summary=("End-to-end tests, per Terraform version:")
failed=()
pass() { # pass LABEL BIN VERSION CARGO-ARGS...: one cargo test run on one Terraform
  local label=$1 bin=$2 version=$3
  shift 3
  local start seconds
  start=$(date +%s)
  TERRAFORM_BIN="$bin" REQUIRE_TERRAFORM=1 E2E_RECORD_DIR="$RECORD/$version" cargo test "$@"
  seconds=$(($(date +%s) - start))
  local ran skipped
  ran=$(count "$RECORD/$version" ran)
  skipped=$(count "$RECORD/$version" skipped)
  summary+=("Terraform $version ($label): $ran passed, $skipped skipped (${seconds}s)")
  if [ "$ran" = 0 ]; then
    failed+=("Terraform $version ($bin) ran no end-to-end test")
  fi
}

rm -rf "$RECORD"
pass "pinned, whole suite" "$OLDEST" "$oldest_version" --workspace
banner "End-to-end tests again ($((${#targets[@]} / 2)) test binaries), on Terraform $pinned_version ($PINNED_LATEST)"
pass "pinned, end-to-end" "$PINNED_LATEST" "$pinned_version" -p terraform-provider-conductorone "${targets[@]}"
if [ -n "$machine" ]; then
  banner "End-to-end tests again, on the machine's Terraform $machine_version ($machine)"
  pass "the machine's, end-to-end" "$machine" "$machine_version" -p terraform-provider-conductorone "${targets[@]}"
fi

notes=()
if [ -z "$machine" ]; then
  notes+=("(no third Terraform: neither TERRAFORM_BIN_LATEST nor a \`terraform\` on PATH of another version)")
fi
if [ ${#failed[@]} -gt 0 ]; then
  notes+=("FAILED: a Terraform pass ran no end-to-end test:" "${failed[@]}")
fi
banner "${summary[@]}" "${notes[@]}"
for dir in "$RECORD"/*/; do
  skipped=$(grep -h '^skipped' "$dir"* 2>/dev/null | sort | uniq -c || true)
  if [ -n "$skipped" ]; then
    echo "skipped on $(basename "$dir"):"
    echo "$skipped"
  fi
done
printf '%s\n' "${summary[@]}" >"$RECORD/summary.txt"

if [ ${#failed[@]} -gt 0 ]; then
  printf 'test: %s\n' "${failed[@]}" >&2
  exit 1
fi
