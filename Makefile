# The two commands of the README: `make demo` and `make test`. Both install what they need.
TERRAFORM := $(CURDIR)/.tools/terraform/terraform
# Tests control backtraces and the Terraform CLI config themselves.
unexport RUST_BACKTRACE
unexport TF_CLI_CONFIG_FILE

.PHONY: tools build lint test demo clean

tools:
	@./.ci/install-tools.sh

build: tools
	cargo build --bins

lint: tools
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings

## All tests: unit, provider methods against the stand-ins, end-to-end with Terraform 1.0.3.
test: lint
	TERRAFORM_BIN=$(TERRAFORM) REQUIRE_TERRAFORM=1 cargo test

## Build the provider and the stand-ins, then plan/apply/plan/destroy an example against them.
demo: build
	TERRAFORM_BIN=$(TERRAFORM) ./examples/demo/run.sh

clean:
	cargo clean
	rm -rf .tools
