#!/usr/bin/env python3
"""Write the release assets the Terraform registry expects, for the host platform.

    .ci/release.py                      build the release binary, then package it (`make release`)
    .ci/release.py --binary PATH --out DIR
                                        package an existing binary (the release test does this)

Assets, in target/release-dist/ unless --out says otherwise:

    terraform-provider-conductorone_{VERSION}_{OS}_{ARCH}.zip
        holding one file, terraform-provider-conductorone_v{VERSION} (mode 0755)
    terraform-provider-conductorone_{VERSION}_manifest.json
        a byte copy of terraform-registry-manifest.json
    terraform-provider-conductorone_{VERSION}_SHA256SUMS
        `sha256  name` for every zip and the manifest, sorted by name

The version is Cargo.toml's, read through `cargo metadata`; the binary must contain the user
agent of that version (`terraform-provider-conductorone/{VERSION}`), which catches a stale
binary. Archives are reproducible: fixed timestamps and modes, so the same binary gives the same
zip and the same checksums.

    terraform-provider-conductorone_{VERSION}_SHA256SUMS.sig
        only when GPG_FINGERPRINT is set: the registry's detached binary (not armored) signature
        of SHA256SUMS, made with `gpg --batch --local-user "$GPG_FINGERPRINT" --detach-sign`
        from the key of that fingerprint in gpg's keyring (GNUPGHOME, if set, says which). The
        signature is checked with `gpg --verify` before the script ends.

Without GPG_FINGERPRINT the script says that it did not sign, and writes no .sig: the registry
refuses such a release, so sign it before publishing.
"""

import argparse
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import zipfile

NAME = "terraform-provider-conductorone"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The earliest timestamp a zip can hold; any fixed value makes the archive reproducible.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def fail(message):
    print(f"release: {message}", file=sys.stderr)
    sys.exit(1)


def cargo():
    return os.environ.get("CARGO", "cargo")


def version():
    out = subprocess.run(
        [cargo(), "metadata", "--no-deps", "--format-version", "1", "--offline"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for package in json.loads(out)["packages"]:
        if package["name"] == NAME:
            return package["version"]
    fail(f"Cargo.toml has no package {NAME}")


def host_target():
    os_name = platform.system().lower()
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine)
    if os_name not in ("linux", "darwin", "freebsd") or arch is None:
        fail(f"unsupported host platform {os_name}/{machine}")
    return os_name, arch


def check_changelog(ver):
    path = os.path.join(REPO, "CHANGELOG.md")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if not re.search(rf"^## {re.escape(ver)}( |$)", text, re.MULTILINE):
        fail(f"CHANGELOG.md has no `## {ver}` section; describe the release before packaging it")


def check_binary(path, ver):
    marker = f"{NAME}/{ver}".encode()
    with open(path, "rb") as f:
        if marker not in f.read():
            fail(f"{path} does not contain the user agent {marker.decode()}: rebuild it")


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_zip(binary, zip_path, member):
    entry = zipfile.ZipInfo(member, date_time=ZIP_TIME)
    entry.create_system = 3  # Unix, so that the mode below counts
    entry.external_attr = 0o100755 << 16
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.file_size = os.path.getsize(binary)  # lets zipfile decide whether Zip64 is needed
    tmp = zip_path + ".tmp"
    with zipfile.ZipFile(tmp, "w") as z, open(binary, "rb") as src:
        with z.open(entry, "w") as dst:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                dst.write(chunk)
    os.replace(tmp, zip_path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", help="package this binary instead of building one")
    parser.add_argument("--out", default=os.path.join(REPO, "target", "release-dist"))
    args = parser.parse_args()

    ver = version()
    check_changelog(ver)
    binary = args.binary
    if binary is None:
        subprocess.run(
            [cargo(), "build", "--release", "--locked", "--bin", NAME], cwd=REPO, check=True
        )
        binary = os.path.join(REPO, "target", "release", NAME)
    check_binary(binary, ver)

    os.makedirs(args.out, exist_ok=True)
    prefix = f"{NAME}_{ver}_"
    for old in os.listdir(args.out):
        if old.startswith(prefix):
            os.remove(os.path.join(args.out, old))

    os_name, arch = host_target()
    zip_name = f"{prefix}{os_name}_{arch}.zip"
    write_zip(binary, os.path.join(args.out, zip_name), f"{NAME}_v{ver}")

    manifest_name = f"{prefix}manifest.json"
    with open(os.path.join(REPO, "terraform-registry-manifest.json"), "rb") as f:
        manifest = f.read()
    if json.loads(manifest).get("metadata", {}).get("protocol_versions") != ["6.0"]:
        fail("terraform-registry-manifest.json must declare protocol_versions [\"6.0\"]")
    with open(os.path.join(args.out, manifest_name), "wb") as f:
        f.write(manifest)

    sums_name = f"{prefix}SHA256SUMS"
    covered = sorted(n for n in os.listdir(args.out) if n.startswith(prefix) and n != sums_name)
    with open(os.path.join(args.out, sums_name), "w", encoding="ascii", newline="\n") as f:
        for name in covered:
            f.write(f"{sha256(os.path.join(args.out, name))}  {name}\n")

    written = covered + [sums_name]
    signature = sign(os.path.join(args.out, sums_name))
    if signature:
        written.append(os.path.basename(signature))
    for name in written:
        print(os.path.join(args.out, name))


def gpg(*args):
    try:
        return subprocess.run(["gpg", "--batch", *args], capture_output=True, text=True)
    except FileNotFoundError:
        fail("GPG_FINGERPRINT is set but gpg is not installed (Debian: apt-get install gnupg; `make tools` does it)")


def sign(sums_path):
    """The detached signature of SHA256SUMS when GPG_FINGERPRINT names a key; None otherwise."""
    fingerprint = os.environ.get("GPG_FINGERPRINT", "").strip()
    if not fingerprint:
        print(
            f"release: NOT SIGNED: GPG_FINGERPRINT is not set, so {os.path.basename(sums_path)}.sig"
            " was not written. The registry needs it: set GPG_FINGERPRINT to the fingerprint of"
            " the release key in your keyring and run again.",
            file=sys.stderr,
        )
        return None
    listed = gpg("--list-secret-keys", fingerprint)
    if listed.returncode != 0:
        fail(
            f"GPG_FINGERPRINT={fingerprint} names no secret key in gpg's keyring"
            f" (GNUPGHOME={os.environ.get('GNUPGHOME', '~/.gnupg')}): {listed.stderr.strip()}"
        )
    sig_path = sums_path + ".sig"
    signed = gpg(
        "--yes", "--local-user", fingerprint, "--output", sig_path, "--detach-sign", sums_path
    )
    if signed.returncode != 0:
        fail(f"gpg could not sign {sums_path}: {signed.stderr.strip()}")
    verified = gpg("--verify", sig_path, sums_path)
    if verified.returncode != 0:
        os.remove(sig_path)
        fail(f"gpg does not verify the signature it just made: {verified.stderr.strip()}")
    print(f"release: signed {os.path.basename(sums_path)} with key {fingerprint}", file=sys.stderr)
    return sig_path


if __name__ == "__main__":
    main()
