//! The real Terraform CLI against the freshly built provider: whichever `TERRAFORM_BIN` names
//! (`make test` runs every end-to-end test on Terraform 1.0.3, again on Terraform 1.15.5, and on
//! the machine's own Terraform when it is a third version, see [`crate::version`]). Assert on meaning (exit codes, `-json` output, the
//! stand-ins' request logs), not on one version's wording.
//!
//! Each test gets its own working directory with a CLI config whose `dev_overrides` point at the
//! directory of the built provider binary, so no `terraform init` and no registry are needed.
//! The environment is controlled: no `RUST_BACKTRACE`, our own `TF_CLI_CONFIG_FILE`, no inherited
//! `CONDUCTORONE_*` or `TF_*` variables, and none of the machine's trust (`SSL_CERT_FILE`,
//! `SSL_CERT_DIR`) or proxy (`HTTPS_PROXY`, `NO_PROXY`, …) settings: a test that wants them sets
//! them.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::text::collapse;
use crate::version::{record, Version};

/// The provider source address used by all test configurations.
pub const SOURCE: &str = "example.com/platform/conductorone";
/// The same address as `terraform providers schema -json` spells it.
pub const SOURCE_FQN: &str = "example.com/platform/conductorone";

/// Variables of the machine that would change how the provider reaches the stand-ins (any case).
const INHERITED_NETWORK_SETTINGS: [&str; 6] = [
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
];

#[derive(Clone)]
pub struct Terraform {
    pub bin: PathBuf,
    /// The directory of the provider binary under test.
    pub provider_dir: PathBuf,
    /// What `terraform version -json` of `bin` says.
    pub version: Version,
}

impl Terraform {
    /// The Terraform binary from `TERRAFORM_BIN`, or `None` (the test then skips) unless
    /// `REQUIRE_TERRAFORM` is set, as `make test` does, in which case a missing binary fails.
    /// Use the [`terraform!`](crate::terraform!) macro, which passes `provider_bin`.
    pub fn find(provider_bin: &str) -> Option<Self> {
        let provider_dir = Path::new(provider_bin).parent()?.to_owned();
        match std::env::var_os("TERRAFORM_BIN").map(PathBuf::from) {
            Some(bin) if bin.is_file() => {
                let version = Version::of_binary(&bin);
                record(&format!("ran on {version}"));
                Some(Terraform {
                    bin,
                    provider_dir,
                    version,
                })
            }
            _ if std::env::var_os("REQUIRE_TERRAFORM").is_some() => {
                panic!("REQUIRE_TERRAFORM is set but TERRAFORM_BIN does not name a Terraform binary; run `make test`")
            }
            _ => {
                eprintln!("skipping: set TERRAFORM_BIN (or run `make test`) for end-to-end tests");
                None
            }
        }
    }

    /// The version of this Terraform, `1.11.4`.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Whether this Terraform is `min` or newer. When it is not, the test should return: this
    /// says so on stderr and in `make test`'s count (the test is counted as skipped on this
    /// version, not as passed). `feature` names what needs the newer Terraform.
    pub fn at_least(&self, min: Version, feature: &str) -> bool {
        if self.version >= min {
            return true;
        }
        let why = format!(
            "{feature} needs Terraform >= {min}, this is Terraform {}",
            self.version
        );
        eprintln!("skipping: {why}");
        record(&format!("skipped: {why}"));
        false
    }
}

/// A scratch directory with a CLI config and a `main.tf`.
pub struct Workdir {
    pub dir: tempfile::TempDir,
    pub bin: PathBuf,
    pub env: Vec<(String, String)>,
}

/// What a Terraform command did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Everything printed, whitespace collapsed (Terraform wraps at 78 columns).
    pub fn flat(&self) -> String {
        collapse(&self.all())
    }

    #[track_caller]
    pub fn assert_ok(&self, what: &str) -> &Self {
        assert_eq!(self.code, 0, "{what} failed:\n{}", self.all());
        self
    }

    #[track_caller]
    pub fn assert_failed(&self, what: &str) -> &Self {
        assert_ne!(
            self.code,
            0,
            "{what} unexpectedly succeeded:\n{}",
            self.all()
        );
        self
    }

    /// Each of `wanted` is in the collapsed output.
    #[track_caller]
    pub fn assert_says(&self, wanted: &[&str]) -> &Self {
        let out = self.flat();
        for w in wanted {
            assert!(out.contains(w), "no {w:?} in:\n{}", self.all());
        }
        self
    }

    /// None of `unwanted` is in the output.
    #[track_caller]
    pub fn assert_never_says(&self, unwanted: &[&str]) -> &Self {
        let out = self.flat();
        for u in unwanted {
            assert!(!out.contains(u), "did not expect {u:?} in:\n{}", self.all());
        }
        self
    }

    /// A `plan -detailed-exitcode` with nothing to do.
    #[track_caller]
    pub fn assert_no_changes(&self, what: &str) -> &Self {
        assert_eq!(
            self.code,
            0,
            "{what}: expected no changes (exit 0):\n{}",
            self.all()
        );
        assert!(
            self.stdout.contains("No changes."),
            "{what}: expected `No changes.`:\n{}",
            self.all()
        );
        self
    }

    /// A `plan -detailed-exitcode` with changes (exit 2) whose output has every one of `expected`.
    #[track_caller]
    pub fn assert_plan(&self, what: &str, expected: &[&str]) -> &Self {
        assert_eq!(
            self.code,
            2,
            "{what}: expected changes (exit 2):\n{}",
            self.all()
        );
        for e in expected {
            assert!(
                self.stdout.contains(e),
                "{what}: expected {e:?} in the plan:\n{}",
                self.all()
            );
        }
        self
    }

    /// The part of a plan after `Terraform will perform the following actions:` (a drift
    /// report comes before it).
    #[track_caller]
    pub fn actions(&self) -> &str {
        let marker = "Terraform will perform the following actions:";
        self.stdout
            .find(marker)
            .map(|i| &self.stdout[i..])
            .unwrap_or_else(|| panic!("no planned actions:\n{}", self.all()))
    }

    /// The diagnostic that starts with `Error: {summary}`, up to the next diagnostic.
    pub fn error_block(&self, summary: &str) -> Option<String> {
        let out = self.all();
        let start = out.find(&format!("Error: {summary}\n"))?;
        let rest = &out[start..];
        let end = ["\nError: ", "\nWarning: "]
            .iter()
            .filter_map(|m| rest[1..].find(m).map(|i| i + 1))
            .min()
            .unwrap_or(rest.len());
        Some(rest[..end].to_owned())
    }

    /// Whether some `Error: {summary}` block quotes the source line of `attr`; see
    /// [`has_error_on`].
    pub fn has_error_on(&self, summary: &str, attr: &str) -> bool {
        has_error_on(&self.all(), summary, attr)
    }

    /// Every `Error:` diagnostic, each up to the next diagnostic, in the order printed.
    pub fn error_blocks(&self) -> Vec<String> {
        let out = self.all();
        let mut marks: Vec<(usize, bool)> = out
            .match_indices("Error: ")
            .map(|(i, _)| (i, true))
            .chain(out.match_indices("Warning: ").map(|(i, _)| (i, false)))
            .collect();
        marks.sort_unstable();
        marks
            .iter()
            .enumerate()
            .filter(|(_, (_, is_error))| *is_error)
            .map(|(k, (start, _))| {
                let end = marks.get(k + 1).map_or(out.len(), |(e, _)| *e);
                out[*start..end].to_owned()
            })
            .collect()
    }

    /// The `Error:` diagnostics about `address` (`with {address},`).
    pub fn errors_about(&self, address: &str) -> Vec<String> {
        let with = format!("with {address},");
        self.error_blocks()
            .into_iter()
            .filter(|b| b.contains(&with))
            .collect()
    }

    /// Terraform printed `Error: {summary}` about `address`, pointing at the source line of
    /// `attr` (`NN:   attr = …`). Returns that diagnostic, whitespace collapsed.
    #[track_caller]
    pub fn assert_error_on(&self, address: &str, summary: &str, attr: &str) -> String {
        self.assert_failed(summary);
        let block = self
            .error_block(summary)
            .unwrap_or_else(|| panic!("no `Error: {summary}` in the output:\n{}", self.all()));
        assert!(
            block.contains(&format!("with {address},")),
            "`Error: {summary}` is not about {address}:\n{}",
            self.all()
        );
        let line = regex::Regex::new(&format!(r"(?m)^[\s│]*\d+:\s+{attr}\s+=")).unwrap();
        assert!(
            line.is_match(&block),
            "`Error: {summary}` does not point at the line of `{attr}`:\n{}",
            self.all()
        );
        collapse(&block)
    }
}

/// The `resource_changes[]` entry of `address` in a plan from [`Workdir::plan_json`]: `change`
/// holds `actions` (`["update"]`, `["no-op"]`, …), `before` and `after`. `Null` when the plan
/// does not mention it.
pub fn planned_change(plan: &serde_json::Value, address: &str) -> serde_json::Value {
    plan["resource_changes"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["address"] == address))
        .map(|r| r["change"].clone())
        .unwrap_or(serde_json::Value::Null)
}

/// Whether `output` has an `Error: {summary}` block that quotes the source line of `attr`
/// (`NN:   attr = …`), whatever resource it is about.
pub fn has_error_on(output: &str, summary: &str, attr: &str) -> bool {
    output.split("Error: ").skip(1).any(|block| {
        block.starts_with(summary)
            && block.lines().any(|l| {
                let l = l.trim_start_matches(['│', ' ']);
                l.split_once(':').is_some_and(|(num, rest)| {
                    num.trim().parse::<u32>().is_ok()
                        && rest.trim_start().starts_with(attr)
                        && rest.trim_start()[attr.len()..]
                            .trim_start()
                            .starts_with('=')
                })
            })
    })
}

impl Workdir {
    pub fn new(tf: &Terraform) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("dev.tfrc"),
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"{SOURCE}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                tf.provider_dir.display()
            ),
        )
        .unwrap();
        Workdir {
            dir,
            bin: tf.bin.clone(),
            env: Vec::new(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Write `main.tf`, prefixed with the `required_providers` block.
    pub fn write_main(&self, body: &str) {
        let text = format!(
            "terraform {{\n  required_providers {{\n    conductorone = {{\n      source = \"{SOURCE}\"\n    }}\n  }}\n}}\n\n{body}"
        );
        std::fs::write(self.path().join("main.tf"), text).unwrap();
    }

    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
    }

    pub fn unset_env(&mut self, keys: &[&str]) {
        self.env.retain(|(k, _)| !keys.contains(&k.as_str()));
    }

    /// `terraform <args>` in this directory, with this environment only, not started yet.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.current_dir(self.path());
        cmd.args(args);
        for (k, _) in std::env::vars() {
            if k.starts_with("CONDUCTORONE_")
                || k.starts_with("TF_")
                || k.starts_with("TFC_")
                || k.starts_with("RUST_")
                || k.starts_with("SSL_CERT_")
                || k == "PLUGIN_LOG_FILE"
                || INHERITED_NETWORK_SETTINGS.contains(&k.to_ascii_uppercase().as_str())
            {
                cmd.env_remove(k);
            }
        }
        cmd.env("TF_CLI_CONFIG_FILE", self.path().join("dev.tfrc"))
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_INPUT", "0");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn apply(&self) -> Run {
        self.run(&["apply", "-auto-approve", "-input=false", "-no-color"])
    }

    pub fn plan(&self) -> Run {
        self.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"])
    }

    /// `plan -detailed-exitcode -out=…`, then `show -json` of that plan file: the plan's run (its
    /// exit code says whether anything changes) and the plan as JSON (`resource_changes[]` with
    /// `change.before`/`after`/`actions`; `before` is the refreshed state), the same on every
    /// Terraform version. Never print the JSON whole: it holds sensitive values in clear.
    pub fn plan_json(&self) -> (Run, serde_json::Value) {
        let run = self.run(&[
            "plan",
            "-input=false",
            "-no-color",
            "-detailed-exitcode",
            "-out=testkit.tfplan",
        ]);
        if run.code != 0 && run.code != 2 {
            return (run, serde_json::Value::Null);
        }
        let show = self.run(&["show", "-json", "testkit.tfplan"]);
        assert_eq!(show.code, 0, "terraform show -json of the plan failed");
        let json = serde_json::from_str(&show.stdout).expect("the plan is JSON");
        (run, json)
    }

    pub fn destroy(&self) -> Run {
        self.run(&["destroy", "-auto-approve", "-input=false", "-no-color"])
    }

    pub fn validate(&self) -> Run {
        self.run(&["validate", "-no-color"])
    }

    pub fn import(&self, address: &str, id: &str) -> Run {
        self.run(&["import", "-no-color", "-input=false", address, id])
    }

    /// `terraform output -json NAME`, parsed.
    #[track_caller]
    pub fn output(&self, name: &str) -> serde_json::Value {
        let run = self.run(&["output", "-json", name]);
        run.assert_ok("terraform output");
        serde_json::from_str(&run.stdout).expect("output is JSON")
    }

    /// The state as `terraform show -json` prints it. Never print it whole: Terraform 1.0.3
    /// writes sensitive values there in clear.
    #[track_caller]
    pub fn show(&self) -> serde_json::Value {
        let run = self.run(&["show", "-json"]);
        run.assert_ok("terraform show");
        serde_json::from_str(&run.stdout).expect("show is JSON")
    }

    /// The values of the resource `address` as `terraform show -json` prints them (root module);
    /// `Null` when it is not in the state. Never print it whole: sensitive values are in clear.
    #[track_caller]
    pub fn resource_values(&self, address: &str) -> serde_json::Value {
        self.show()["values"]["root_module"]["resources"]
            .as_array()
            .and_then(|rs| rs.iter().find(|r| r["address"] == address))
            .map(|r| r["values"].clone())
            .unwrap_or(serde_json::Value::Null)
    }

    /// `(address, id)` of every managed resource, as `terraform show -json` prints them.
    #[track_caller]
    pub fn shown_ids(&self) -> Vec<(String, String)> {
        self.show()["values"]["root_module"]["resources"]
            .as_array()
            .map(|rs| {
                rs.iter()
                    .filter(|r| r["mode"] == "managed")
                    .map(|r| {
                        (
                            r["address"].as_str().unwrap_or("").to_owned(),
                            r["values"]["id"].as_str().unwrap_or("").to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The attributes of the managed resource `address` in `terraform.tfstate`, read from the
    /// file (no Terraform run); `None` when it is not in the state.
    pub fn state_attributes(&self, address: &str) -> Option<serde_json::Value> {
        let (kind, name) = address.split_once('.')?;
        let text = std::fs::read_to_string(self.path().join("terraform.tfstate")).ok()?;
        let state: serde_json::Value = serde_json::from_str(&text).ok()?;
        state["resources"].as_array()?.iter().find_map(|r| {
            (r["mode"] == "managed" && r["type"] == kind && r["name"] == name)
                .then(|| r["instances"][0]["attributes"].clone())
        })
    }

    /// `(address, id)` of every managed resource in `terraform.tfstate`.
    pub fn state_ids(&self) -> Vec<(String, String)> {
        let Ok(text) = std::fs::read_to_string(self.path().join("terraform.tfstate")) else {
            return Vec::new();
        };
        let state: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        state["resources"]
            .as_array()
            .map(|rs| {
                rs.iter()
                    .filter(|r| r["mode"] == "managed")
                    .flat_map(|r| {
                        let address = format!(
                            "{}.{}",
                            r["type"].as_str().unwrap_or(""),
                            r["name"].as_str().unwrap_or("")
                        );
                        r["instances"]
                            .as_array()
                            .cloned()
                            .unwrap_or_default()
                            .into_iter()
                            .map(move |i| {
                                (
                                    address.clone(),
                                    i["attributes"]["id"].as_str().unwrap_or("").to_owned(),
                                )
                            })
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}
