//! The release assets of `make release` (`.ci/release.py`), and Terraform installing them.
//!
//! The tests package the debug binary of this build with the same script `make release` runs on
//! the release binary: the archive layout is what is under test, and a release build would add
//! minutes to every test run. The binary is copied first, because other builds sharing the target
//! directory may replace `target/debug` while the tests run.
//!
//! - `release_assets_have_the_registry_layout`: file names from Cargo.toml's version and the host
//!   platform, one executable entry in the zip, the manifest copied byte for byte, and
//!   `SHA256SUMS` checked here with an independent SHA-256;
//! - `release_script_signs_the_checksums_with_the_given_key`: with `GPG_FINGERPRINT` naming a
//!   throwaway key (made in a temporary `GNUPGHOME`), `SHA256SUMS.sig` is a detached binary
//!   signature that `gpg --verify` accepts, and rejects for altered checksums;
//! - `terraform_installs_the_zip_from_a_filesystem_mirror_offline`: the zip of the signed
//!   release, as is, in a packed filesystem mirror; `terraform init` with every network access
//!   blocked, then `terraform plan` of `examples/complete` against the stand-ins with the
//!   installed binary (`make test` runs it on each Terraform version).
//!
//! gpg is installed by `make tools`; without it (a plain `cargo test` elsewhere) the signing
//! test skips, saying so, unless `REQUIRE_TERRAFORM` is set, as `make test` does.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};
use tempfile::TempDir;
use testkit::{terraform, Rig};

const NAME: &str = "terraform-provider-conductorone";
/// Cargo.toml's version: the one in the user agent and the one the release must carry.
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Terraform's `OS_ARCH` for this machine.
fn platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{}_{arch}", std::env::consts::OS)
}

fn zip_name() -> String {
    format!("{NAME}_{VERSION}_{}.zip", platform())
}

struct Assets {
    dir: PathBuf,
    /// The binary that was packaged (a private copy of the debug build).
    binary: PathBuf,
    /// What the script said on stderr.
    stderr: String,
}

/// `.ci/release.py --binary … --out …`, signing with `key` when given (and never with a key of
/// the machine's: `GPG_FINGERPRINT` and `GNUPGHOME` come from `key` only).
fn release_script_signed(
    binary: &Path,
    out: &Path,
    key: Option<&ThrowawayKey>,
) -> std::process::Output {
    let mut cmd = Command::new("python3");
    cmd.arg(repo().join(".ci/release.py"))
        .arg("--binary")
        .arg(binary)
        .arg("--out")
        .arg(out)
        .env_remove("GPG_FINGERPRINT")
        .env_remove("GNUPGHOME");
    if let Some(key) = key {
        cmd.env("GPG_FINGERPRINT", &key.fingerprint)
            .env("GNUPGHOME", key.home.path());
    }
    cmd.output()
        .expect("run python3 .ci/release.py (python3 is required, see the README)")
}

fn release_script(binary: &Path, out: &Path) -> std::process::Output {
    release_script_signed(binary, out, None)
}

/// The assets, written once per test process under Cargo's per-target scratch directory.
fn assets() -> &'static Assets {
    static ASSETS: OnceLock<Assets> = OnceLock::new();
    ASSETS.get_or_init(|| {
        let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("release-test");
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(&base).unwrap();
        let binary = base.join(NAME);
        std::fs::copy(
            env!("CARGO_BIN_EXE_terraform-provider-conductorone"),
            &binary,
        )
        .unwrap();
        let dir = base.join("dist");
        let run = release_script(&binary, &dir);
        assert!(
            run.status.success(),
            ".ci/release.py failed:\n{}{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
        let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
        Assets {
            dir,
            binary,
            stderr,
        }
    })
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One entry of a zip's central directory.
#[derive(Debug)]
struct ZipEntry {
    name: String,
    unix_mode: u32,
    uncompressed_size: u64,
}

/// The central directory of a zip (names, modes, sizes; no decompression: Terraform unpacks it
/// in the mirror test).
fn zip_entries(zip: &[u8]) -> Vec<ZipEntry> {
    let u16_at = |i: usize| u16::from_le_bytes([zip[i], zip[i + 1]]) as usize;
    let u32_at = |i: usize| u32::from_le_bytes(zip[i..i + 4].try_into().unwrap());
    let eocd = (0..=zip.len() - 22)
        .rev()
        .find(|&i| zip[i..i + 4] == [0x50, 0x4b, 0x05, 0x06])
        .expect("end of central directory");
    let count = u16_at(eocd + 10);
    let mut at = u32_at(eocd + 16) as usize;
    let mut entries = Vec::new();
    for _ in 0..count {
        assert_eq!(zip[at..at + 4], [0x50, 0x4b, 0x01, 0x02], "central header");
        let made_by_os = zip[at + 5];
        let name_len = u16_at(at + 28);
        let extra_len = u16_at(at + 30);
        let comment_len = u16_at(at + 32);
        let external = u32_at(at + 38);
        entries.push(ZipEntry {
            name: String::from_utf8(zip[at + 46..at + 46 + name_len].to_vec()).unwrap(),
            unix_mode: if made_by_os == 3 { external >> 16 } else { 0 },
            uncompressed_size: u64::from(u32_at(at + 24)),
        });
        at += 46 + name_len + extra_len + comment_len;
    }
    entries
}

#[test]
fn release_assets_have_the_registry_layout() {
    let assets = assets();
    let manifest_name = format!("{NAME}_{VERSION}_manifest.json");
    let sums_name = format!("{NAME}_{VERSION}_SHA256SUMS");
    let mut files: Vec<String> = std::fs::read_dir(&assets.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let mut expected = vec![zip_name(), manifest_name.clone(), sums_name.clone()];
    expected.sort();
    assert_eq!(files, expected, "no GPG_FINGERPRINT, no .sig");
    assert!(
        assets.stderr.contains("NOT SIGNED") && assets.stderr.contains("GPG_FINGERPRINT"),
        "the script says it did not sign: {}",
        assets.stderr
    );

    let manifest = std::fs::read(assets.dir.join(&manifest_name)).unwrap();
    assert_eq!(
        manifest,
        std::fs::read(repo().join("terraform-registry-manifest.json")).unwrap(),
        "the manifest asset is a copy of terraform-registry-manifest.json"
    );
    let parsed: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    assert_eq!(parsed["version"], 1);
    assert_eq!(
        parsed["metadata"]["protocol_versions"],
        serde_json::json!(["6.0"])
    );

    let zip = std::fs::read(assets.dir.join(zip_name())).unwrap();
    let entries = zip_entries(&zip);
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].name, format!("{NAME}_v{VERSION}"));
    assert_eq!(
        entries[0].unix_mode, 0o100755,
        "a regular executable file: {entries:?}"
    );
    assert_eq!(
        entries[0].uncompressed_size,
        std::fs::metadata(&assets.binary).unwrap().len()
    );

    let sums = std::fs::read_to_string(assets.dir.join(&sums_name)).unwrap();
    let mut want: Vec<String> = [zip_name(), manifest_name]
        .iter()
        .map(|n| {
            let bytes = std::fs::read(assets.dir.join(n)).unwrap();
            format!("{}  {n}\n", sha256_hex(&bytes))
        })
        .collect();
    want.sort_by(|a, b| a[66..].cmp(&b[66..]));
    assert_eq!(
        sums,
        want.concat(),
        "SHA256SUMS covers every zip and the manifest"
    );
}

#[test]
fn release_script_refuses_a_binary_of_another_version() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join(NAME);
    std::fs::write(&fake, b"terraform-provider-conductorone/0.0.0-other").unwrap();
    let run = release_script(&fake, &dir.path().join("dist"));
    assert!(!run.status.success(), "packaged a stale binary");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains(&format!("{NAME}/{VERSION}")),
        "the error names the expected user agent: {stderr}"
    );
    assert!(!dir.path().join("dist").join(zip_name()).exists());
}

#[tokio::test]
async fn terraform_installs_the_zip_from_a_filesystem_mirror_offline() {
    let Some(mut rig) = Rig::start(terraform!()) else {
        return;
    };
    let assets = signed_assets().unwrap_or_else(assets);
    let standin = &rig.standin;
    let wd = &mut rig.wd;
    wd.set_env("TF_VAR_app_id", &standin.c1("app_id"));
    // Any attempt to reach a registry fails: Terraform's HTTPS goes to a closed port. The
    // stand-ins are plain http on loopback and unaffected.
    wd.set_env("HTTPS_PROXY", "http://127.0.0.1:9");
    wd.set_env("NO_PROXY", "");

    // The packed layout: HOSTNAME/NAMESPACE/TYPE/terraform-provider-TYPE_VERSION_TARGET.zip.
    let mirror = wd.path().join("mirror");
    let packed = mirror.join("example.com/platform/conductorone");
    std::fs::create_dir_all(&packed).unwrap();
    std::fs::copy(assets.dir.join(zip_name()), packed.join(zip_name())).unwrap();
    std::fs::write(
        wd.path().join("dev.tfrc"),
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"example.com/*/*\"]\n  }}\n  direct {{\n    exclude = [\"example.com/*/*\"]\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .unwrap();
    std::fs::copy(
        repo().join("examples/complete/main.tf"),
        wd.path().join("main.tf"),
    )
    .unwrap();

    let init = wd.run(&["init", "-input=false", "-no-color"]);
    init.assert_ok("terraform init from the filesystem mirror");
    assert!(
        init.stdout.contains(&format!(
            "Installed example.com/platform/conductorone v{VERSION}"
        )),
        "{}",
        init.all()
    );
    let installed = wd
        .path()
        .join(".terraform/providers/example.com/platform/conductorone")
        .join(VERSION)
        .join(platform())
        .join(format!("{NAME}_v{VERSION}"));
    let meta = std::fs::metadata(&installed)
        .unwrap_or_else(|e| panic!("{} not installed: {e}", installed.display()));
    assert_eq!(
        meta.permissions().mode() & 0o111,
        0o111,
        "installed binary is executable"
    );
    assert!(
        std::fs::read(&installed).unwrap() == std::fs::read(&assets.binary).unwrap(),
        "Terraform unpacked the packaged binary unchanged"
    );
    let lock = std::fs::read_to_string(wd.path().join(".terraform.lock.hcl")).unwrap();
    assert!(lock.contains(&format!("version = \"{VERSION}\"")), "{lock}");

    standin.clear_logs().await;
    let plan = wd.plan();
    assert_eq!(plan.code, 2, "plan with changes:\n{}", plan.all());
    assert!(
        plan.stdout
            .contains("conductorone_coupa_integration.coupa will be created"),
        "{}",
        plan.stdout
    );
    let coupa = standin.coupa_requests().await;
    assert!(
        !coupa.is_empty(),
        "the plan checked credentials and listed groups and roles"
    );
    for r in &coupa {
        let ua = r["headers"]["user-agent"].as_str().unwrap_or("");
        assert!(
            ua.starts_with(&format!("{NAME}/{VERSION} Terraform/")),
            "the installed binary reports the archive's version: {ua}"
        );
    }
}

/// A signing key that exists only for this test, in its own `GNUPGHOME` (removed with it).
struct ThrowawayKey {
    home: TempDir,
    fingerprint: String,
}

impl ThrowawayKey {
    fn gpg(&self, args: &[&str]) -> std::process::Output {
        Command::new("gpg")
            .arg("--batch")
            .args(args)
            .env("GNUPGHOME", self.home.path())
            .output()
            .expect("run gpg")
    }

    /// Stop the gpg-agent that key generation and signing started for this `GNUPGHOME`
    /// (verifying needs none).
    fn stop_agent(&self) {
        let _ = Command::new("gpgconf")
            .args(["--kill", "gpg-agent"])
            .env("GNUPGHOME", self.home.path())
            .output();
    }
}

impl Drop for ThrowawayKey {
    fn drop(&mut self) {
        self.stop_agent();
    }
}

/// A fresh ed25519 signing key with its home under `parent`, or `None` when gpg is missing (a
/// failure under `make test`).
fn throwaway_key(parent: &Path) -> Option<ThrowawayKey> {
    if Command::new("gpg").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("REQUIRE_TERRAFORM").is_none(),
            "gpg is missing; `make tools` installs it (Debian gnupg)"
        );
        eprintln!("skipping: gpg is not installed (`make tools` installs it)");
        return None;
    }
    let home = tempfile::Builder::new()
        .prefix("gnupg")
        .tempdir_in(parent)
        .unwrap();
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let key = ThrowawayKey {
        home,
        fingerprint: String::new(),
    };
    let made = key.gpg(&[
        "--passphrase",
        "",
        "--quick-gen-key",
        "Release Test <release-test@example.invalid>",
        "ed25519",
        "sign",
        "never",
    ]);
    assert!(
        made.status.success(),
        "gpg --quick-gen-key: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    let listed = key.gpg(&["--with-colons", "--list-secret-keys"]);
    let fingerprint = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("fpr:"))
        .map(|rest| rest.trim_matches(':').to_owned())
        .expect("the new key's fingerprint");
    let mut key = key;
    key.fingerprint = fingerprint;
    Some(key)
}

struct Signed {
    assets: Assets,
    key: ThrowawayKey,
}

/// The release signed with a throwaway key, made once per test process; `None` without gpg.
fn signed() -> Option<&'static Signed> {
    static SIGNED: OnceLock<Option<Signed>> = OnceLock::new();
    SIGNED
        .get_or_init(|| {
            let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("release-test-signed");
            let _ = std::fs::remove_dir_all(&base);
            std::fs::create_dir_all(&base).unwrap();
            let key = throwaway_key(&base)?;
            let binary = base.join(NAME);
            std::fs::copy(
                env!("CARGO_BIN_EXE_terraform-provider-conductorone"),
                &binary,
            )
            .unwrap();
            let dir = base.join("dist");
            let run = release_script_signed(&binary, &dir, Some(&key));
            // A static is never dropped: stop the agent now, and keep the key's home under
            // the target directory, where the next run removes it (`base` above).
            key.stop_agent();
            let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
            assert!(
                run.status.success(),
                ".ci/release.py with a key failed:\n{stderr}"
            );
            Some(Signed {
                assets: Assets {
                    dir,
                    binary,
                    stderr,
                },
                key,
            })
        })
        .as_ref()
}

fn signed_assets() -> Option<&'static Assets> {
    signed().map(|s| &s.assets)
}

#[test]
fn release_script_signs_the_checksums_with_the_given_key() {
    let Some(Signed { assets, key }) = signed() else {
        return;
    };
    let sums_name = format!("{NAME}_{VERSION}_SHA256SUMS");
    let sums = assets.dir.join(&sums_name);
    let sig = assets.dir.join(format!("{sums_name}.sig"));
    assert!(
        assets.stderr.contains(&key.fingerprint) && !assets.stderr.contains("NOT SIGNED"),
        "{}",
        assets.stderr
    );
    let signature = std::fs::read(&sig).unwrap_or_else(|e| panic!("no {}: {e}", sig.display()));
    assert!(
        !signature.starts_with(b"-----BEGIN"),
        "a binary signature, not an armored one"
    );
    let listed = std::fs::read_to_string(&sums).unwrap();
    assert!(
        !listed.contains(".sig"),
        "SHA256SUMS does not list its own signature: {listed}"
    );

    let verify = key.gpg(&[
        "--status-fd",
        "1",
        "--verify",
        sig.to_str().unwrap(),
        sums.to_str().unwrap(),
    ]);
    let status = String::from_utf8_lossy(&verify.stdout);
    assert!(
        verify.status.success(),
        "gpg --verify: {status}{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(
        status.contains(&format!("VALIDSIG {}", key.fingerprint)),
        "signed by the key named in GPG_FINGERPRINT: {status}"
    );

    // The signature covers these exact bytes.
    let altered = assets.dir.parent().unwrap().join("altered_SHA256SUMS");
    std::fs::write(&altered, listed.replacen('0', "1", 1)).unwrap();
    let verify = key.gpg(&["--verify", sig.to_str().unwrap(), altered.to_str().unwrap()]);
    assert!(!verify.status.success(), "an altered SHA256SUMS verified");
}

#[test]
fn release_script_refuses_a_fingerprint_not_in_the_keyring() {
    let dir = tempfile::tempdir().unwrap();
    let Some(key) = throwaway_key(dir.path()) else {
        return;
    };
    let binary = dir.path().join(NAME);
    std::fs::copy(
        env!("CARGO_BIN_EXE_terraform-provider-conductorone"),
        &binary,
    )
    .unwrap();
    let other = ThrowawayKey {
        home: tempfile::tempdir_in(dir.path()).unwrap(),
        fingerprint: key.fingerprint.clone(),
    };
    let run = release_script_signed(&binary, &dir.path().join("dist"), Some(&other));
    assert!(!run.status.success(), "signed with a key that is not there");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains(&key.fingerprint), "{stderr}");
    assert!(!dir
        .path()
        .join("dist")
        .join(format!("{NAME}_{VERSION}_SHA256SUMS.sig"))
        .exists());
}
