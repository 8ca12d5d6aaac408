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
//! - `terraform_installs_the_zip_from_a_filesystem_mirror_offline`: the zip, as is, in a packed
//!   filesystem mirror; `terraform init` with every network access blocked, then `terraform plan`
//!   of `examples/complete` against the stand-ins with the installed binary.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};
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
}

fn release_script(binary: &Path, out: &Path) -> std::process::Output {
    Command::new("python3")
        .arg(repo().join(".ci/release.py"))
        .arg("--binary")
        .arg(binary)
        .arg("--out")
        .arg(out)
        .output()
        .expect("run python3 .ci/release.py (python3 is required, see the README)")
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
        Assets { dir, binary }
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
    assert_eq!(files, expected);

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
    let assets = assets();
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
