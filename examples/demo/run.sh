#!/usr/bin/env bash
# The demo behind `make demo`: starts the local stand-ins of ConductorOne and Coupa, then runs
# terraform plan / apply / plan / destroy on examples/demo/main.tf with the freshly built provider,
# through a CLI config with dev_overrides (no registry, no `terraform init`).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
terraform=${TERRAFORM_BIN:-$repo/.tools/terraform/terraform}
bin_dir=$repo/target/debug
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Starting the stand-ins (ConductorOne and Coupa on loopback)"
# The stand-in exits when its stdin closes, that is when this script ends, however it ends.
exec 3> >("$bin_dir/conductorone-standin" --exit-on-stdin-eof >"$work/ready.json" 2>"$work/standin.log")
for _ in $(seq 50); do [ -s "$work/ready.json" ] && break; sleep 0.1; done
[ -s "$work/ready.json" ] || { echo "the stand-in did not start:"; cat "$work/standin.log"; exit 1; }
cat "$work/standin.log"

# Read the demo credentials from the stand-in's ready line into the environment, as a CI job
# would from its secret store. Nothing below prints them.
eval "$(python3 - "$work/ready.json" <<'PY'
import json, shlex, sys
r = json.load(open(sys.argv[1]))
c1, coupa = r["conductorone"], r["coupa"]["clients"]["read_only"]
for k, v in {
    "CONDUCTORONE_SERVER_URL": r["conductorone_url"],
    "CONDUCTORONE_CLIENT_ID": c1["client_id"],
    "CONDUCTORONE_CLIENT_SECRET": c1["client_secret"],
    "CONDUCTORONE_COUPA_ENDPOINT": r["coupa_url"],
    "TF_VAR_app_id": c1["app_id"],
    "TF_VAR_coupa_client_id": coupa["client_id"],
    "TF_VAR_coupa_client_secret": coupa["client_secret"],
}.items():
    print(f"export {k}={shlex.quote(v)}")
PY
)"

cp "$repo/examples/demo/main.tf" "$work/"
cat >"$work/dev.tfrc" <<TFRC
provider_installation {
  dev_overrides {
    "example.com/platform/conductorone" = "$bin_dir"
  }
  direct {}
}
TFRC
export TF_CLI_CONFIG_FILE=$work/dev.tfrc TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
unset RUST_BACKTRACE
cd "$work"
tf() { "$terraform" "$@" -no-color -input=false 2>&1 | grep -v -e 'Warning: Provider development overrides' -e '^The following provider development' -e '^configuration:' -e 'example.com/platform/conductorone in' -e 'The behavior may therefore' -e 'applying changes may cause' -e '^releases\.' -e '^[│╷╵]\s*$' | cat -s; return "${PIPESTATUS[0]}"; }

step "terraform plan: checks the Coupa credentials, lists groups, roles and licenses"
tf plan

step "terraform apply: registers the Coupa connector in ConductorOne"
tf apply -auto-approve

step "terraform plan -detailed-exitcode: nothing left to do (exit code 0)"
set +e; tf plan -detailed-exitcode; rc=$?; set -e
echo "exit code: $rc"
[ "$rc" = 0 ] || { echo "expected an empty plan"; exit 1; }

step "terraform destroy"
tf destroy -auto-approve

step "What the stand-ins saw"
python3 - "$CONDUCTORONE_SERVER_URL" "$CONDUCTORONE_COUPA_ENDPOINT" <<'PY'
import json, sys, urllib.request
for name, base in (("ConductorOne", sys.argv[1]), ("Coupa", sys.argv[2])):
    log = json.load(urllib.request.urlopen(base + "/_standin/requests"))
    print(f"{name}: {len(log)} requests")
    for r in log:
        q = ("?" + r["query"][:60]) if r.get("query") else ""
        print(f"  {r['status']}  {r['method']:6} {r['path']}{q}")
PY
echo
echo "Demo complete."
