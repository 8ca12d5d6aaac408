//! Runs the real Terraform CLI (1.0.3) against the freshly built provider.
//!
//! Each test gets its own working directory with a CLI config whose `dev_overrides` point at the
//! directory of the built provider binary, so no `terraform init` and no registry are needed.
//! The environment is controlled: no `RUST_BACKTRACE`, our own `TF_CLI_CONFIG_FILE`, no inherited
//! `CONDUCTORONE_*` or `TF_*` variables, and none of the machine's trust (`SSL_CERT_FILE`,
//! `SSL_CERT_DIR`) or proxy (`HTTPS_PROXY`, `NO_PROXY`, …) settings: a test that wants them sets
//! them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The provider source address used by all test configurations.
pub const SOURCE: &str = "example.com/platform/conductorone";
/// The same address as `terraform providers schema -json` spells it.
pub const SOURCE_FQN: &str = "example.com/platform/conductorone";

/// Variables of the machine that would change how the provider reaches the stand-ins.
const INHERITED_NETWORK_SETTINGS: [&str; 6] = [
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
];

pub struct Terraform {
    pub bin: PathBuf,
}

impl Terraform {
    /// The Terraform binary from `TERRAFORM_BIN`, or `None` (the test then skips) unless
    /// `REQUIRE_TERRAFORM` is set, as `make test` does, in which case a missing binary fails.
    pub fn find() -> Option<Self> {
        match std::env::var_os("TERRAFORM_BIN").map(PathBuf::from) {
            Some(bin) if bin.is_file() => Some(Terraform { bin }),
            _ if std::env::var_os("REQUIRE_TERRAFORM").is_some() => {
                panic!("REQUIRE_TERRAFORM is set but TERRAFORM_BIN does not name a Terraform binary; run `make test`")
            }
            _ => {
                eprintln!("skipping: set TERRAFORM_BIN (or run `make test`) for end-to-end tests");
                None
            }
        }
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
}

impl Workdir {
    pub fn new(tf: &Terraform) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let provider_dir = Path::new(env!("CARGO_BIN_EXE_terraform-provider-conductorone"))
            .parent()
            .unwrap()
            .to_owned();
        std::fs::write(
            dir.path().join("dev.tfrc"),
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"{SOURCE}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                provider_dir.display()
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

    /// Run `terraform <args>` with `-no-color` added where Terraform accepts it.
    pub fn run(&self, args: &[&str]) -> Run {
        let mut cmd = Command::new(&self.bin);
        cmd.current_dir(self.path());
        cmd.args(args);
        for (k, _) in std::env::vars() {
            if k.starts_with("CONDUCTORONE_")
                || k.starts_with("TF_")
                || k.starts_with("TFC_")
                || k.starts_with("RUST_")
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
        let Output {
            status,
            stdout,
            stderr,
        } = cmd.output().expect("run terraform");
        Run {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }

    pub fn apply(&self) -> Run {
        self.run(&["apply", "-auto-approve", "-input=false", "-no-color"])
    }

    pub fn plan(&self) -> Run {
        self.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"])
    }

    pub fn destroy(&self) -> Run {
        self.run(&["destroy", "-auto-approve", "-input=false", "-no-color"])
    }

    pub fn validate(&self) -> Run {
        self.run(&["validate", "-no-color"])
    }

    /// `terraform output -json NAME`, parsed.
    pub fn output(&self, name: &str) -> serde_json::Value {
        let run = self.run(&["output", "-json", name]);
        run.assert_ok("terraform output");
        serde_json::from_str(&run.stdout).expect("output is JSON")
    }

    /// The state as `terraform show -json` prints it.
    pub fn show(&self) -> serde_json::Value {
        let run = self.run(&["show", "-json"]);
        run.assert_ok("terraform show");
        serde_json::from_str(&run.stdout).expect("show is JSON")
    }
}
