//! Which Terraform a test runs on, and the record `make test` counts.
//!
//! `make test` runs every end-to-end test on the two Terraform versions pinned in `.tools/`, the
//! oldest supported (1.0.3) and a current one (1.15.5), and on the machine's own Terraform when it
//! is a third version (`.ci/test.sh`). Tests learn the version from
//! [`Terraform::version`](crate::Terraform::version) and skip what their Terraform cannot do
//! with [`Terraform::at_least`](crate::Terraform::at_least), which says so. When
//! `E2E_RECORD_DIR` is set, every test that found Terraform leaves one file there (named after
//! its test binary and test), holding `ran` or `skipped: …`; `.ci/test.sh` counts them per
//! version.

use std::path::Path;
use std::process::Command;

/// A Terraform release, `major.minor.patch`, comparable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u32, pub u32, pub u32);

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

impl Version {
    /// `1.11.4` (pre-release suffixes such as `-beta1` are dropped).
    pub fn parse(text: &str) -> Option<Version> {
        let core = text.trim().trim_start_matches('v');
        let core = core.split(['-', '+']).next()?;
        let mut parts = core.split('.').map(|p| p.parse::<u32>().ok());
        let v = Version(parts.next()??, parts.next()??, parts.next()??);
        parts.next().is_none().then_some(v)
    }

    /// The version of the Terraform binary `bin`, from `terraform version -json` (Terraform
    /// ≥ 0.13 prints it), run outside any working directory and without the machine's CLI
    /// configuration.
    pub fn of_binary(bin: &Path) -> Version {
        let out = Command::new(bin)
            .args(["version", "-json"])
            .current_dir(std::env::temp_dir())
            .env("CHECKPOINT_DISABLE", "1")
            .env_remove("TF_CLI_CONFIG_FILE")
            .output()
            .unwrap_or_else(|e| panic!("run `{} version -json`: {e}", bin.display()));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "`{} version -json` is not JSON ({e}): {}",
                bin.display(),
                String::from_utf8_lossy(&out.stdout)
            )
        });
        json["terraform_version"]
            .as_str()
            .and_then(Version::parse)
            .unwrap_or_else(|| panic!("no terraform_version in {json}"))
    }
}

/// Write this test's line of the record, when `E2E_RECORD_DIR` asks for one.
pub(crate) fn record(outcome: &str) {
    let Some(dir) = std::env::var_os("E2E_RECORD_DIR") else {
        return;
    };
    let binary = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_default();
    // Cargo names test binaries `NAME-HASH`.
    let binary = binary
        .rsplit_once('-')
        .map_or(binary.as_str(), |(name, _)| name)
        .to_owned();
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("unnamed");
    let file = format!("{binary}__{test}").replace(['/', ':'], "_");
    let dir = Path::new(&dir);
    let _ = std::fs::create_dir_all(dir);
    std::fs::write(dir.join(file), format!("{outcome}\n"))
        .unwrap_or_else(|e| panic!("write the e2e record in {}: {e}", dir.display()));
}

#[cfg(test)]
mod tests {
    use super::Version;

    #[test]
    fn versions_parse_and_compare() {
        assert_eq!(Version::parse("1.11.4"), Some(Version(1, 11, 4)));
        assert_eq!(Version::parse("v1.5.0-beta1"), Some(Version(1, 5, 0)));
        assert_eq!(Version::parse("1.5"), None);
        assert_eq!(Version::parse("1.5.0.1"), None);
        assert!(Version(1, 0, 3) < Version(1, 5, 0));
        assert!(Version(1, 11, 4) > Version(1, 7, 0));
        assert_eq!(Version(1, 11, 4).to_string(), "1.11.4");
    }
}
