//! Shared support for the integration tests: the stand-in process and the Terraform CLI.
//!
//! Each test file includes this with `mod support;`; not every file uses every helper.
#![allow(dead_code)]

pub mod standin;
pub mod terraform;

pub use standin::Standin;
pub use terraform::{Terraform, Workdir};

/// A workdir whose provider talks to `standin` with its JWT client credentials, and whose Coupa
/// requests go to the Coupa stand-in. Coupa credentials of the `read_only` client are available
/// as `var.coupa_client_id` / `var.coupa_client_secret` when the configuration declares them.
pub fn workdir_for(tf: &Terraform, standin: &Standin) -> Workdir {
    let mut wd = Workdir::new(tf);
    wd.set_env("CONDUCTORONE_SERVER_URL", &standin.c1_url());
    wd.set_env("CONDUCTORONE_CLIENT_ID", &standin.c1("client_id"));
    wd.set_env("CONDUCTORONE_CLIENT_SECRET", &standin.c1("client_secret"));
    wd.set_env("CONDUCTORONE_COUPA_ENDPOINT", &standin.coupa_url());
    wd.set_env(
        "TF_VAR_coupa_client_id",
        &standin.coupa_client("read_only", "client_id"),
    );
    wd.set_env(
        "TF_VAR_coupa_client_secret",
        &standin.coupa_client("read_only", "client_secret"),
    );
    wd
}

/// Variable declarations matching [`workdir_for`].
pub const COUPA_VARIABLES: &str = r#"
variable "coupa_client_id" {
  type = string
}

variable "coupa_client_secret" {
  type      = string
  sensitive = true
}
"#;

/// True when `output` has an error with `summary` whose block points at `attr` (Terraform prints
/// the source line of the offending attribute, `NN:   attr = …`, under the error).
pub fn has_attr_error(output: &str, summary: &str, attr: &str) -> bool {
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
