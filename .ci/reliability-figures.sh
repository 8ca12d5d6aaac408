#!/usr/bin/env bash
# `make reliability`: runs the whole suite, whose reliability tests (fault matrix, concurrency,
# redirects, bad inputs, secret hygiene) write their figures to target/reliability/, then writes
# docs/dev/reliability-figures.md from those files, with the commit and machine they measured.
# With --collect it runs nothing and writes the page from the figures a `make test` just left
# (a fresh clone's CI run, say), which must be of the same commit.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" != "--collect" ]; then
  rm -rf target/reliability
  env -u RUST_BACKTRACE -u TF_CLI_CONFIG_FILE -u SSL_CERT_FILE -u SSL_CERT_DIR \
    TERRAFORM_BIN="$PWD/.tools/terraform/terraform" REQUIRE_TERRAFORM=1 \
    cargo test --workspace --quiet >/dev/null
fi
ls target/reliability/*.txt >/dev/null 2>&1 || { echo "no figures in target/reliability: run make test first" >&2; exit 1; }
commit=$(git rev-parse --short HEAD)
[ -z "$(git status --porcelain)" ] || commit="$commit-dirty"
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
mem=$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
out=docs/dev/reliability-figures.md
{
  echo "# Reliability figures"
  echo
  echo "Written by \`make reliability\` (.ci/reliability-figures.sh), not by hand: the figures the"
  echo "reliability tests printed in one run of the whole suite. What each test checks, and why, is in"
  echo "[reliability.md](reliability.md)."
  echo
  echo "- commit: \`$commit\`"
  echo "- machine: $(nproc) cores ($cpu), $mem, $(uname -sr)"
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
  if [ "${1:-}" = "--collect" ] && [ -f target/e2e-record/summary.txt ]; then
    # make test runs the end-to-end tests once per Terraform; a figure a test writes is the one
    # of its last run, so those of end-to-end tests are from the last pass the summary lists.
    echo "- Terraform: the figures of end-to-end tests are from the last of these passes:"
    sed -n '2,$p' target/e2e-record/summary.txt | sed 's/^/  - /'
  else
    echo "- Terraform: $("$PWD/.tools/terraform/terraform" version | head -1)"
  fi
  for f in target/reliability/*.txt; do
    echo
    echo "## $(basename "$f" .txt)"
    echo
    echo '```text'
    cat "$f"
    echo '```'
  done
} >"$out"
echo "wrote $out"
