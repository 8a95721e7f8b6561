//! The committed generated crate (`generated/`, package `aarch64-sysregs`) builds with no
//! warnings (`RUSTFLAGS="-D warnings"`) and is clippy-clean (`cargo clippy -- -D warnings`) for
//! `aarch64-unknown-none` and for the host, on stable and on Rust 1.78 (the Linux kernel's
//! minimum, and the crate's `rust-version`).
//!
//! The crate is built on its own, as a user of it would: its files are copied byte for byte into
//! `<target>/generated-check/<toolchain>/aarch64-sysregs/` with a `[workspace]` table added to
//! its `Cargo.toml` (so neither the workspace's other members nor its profiles are involved),
//! and built there with a target directory per toolchain beside it. Files are only rewritten
//! when they change, so on a warm machine cargo finds the builds fresh (a build that warned
//! would have failed, so a fresh one is a warning-free one) and this takes a second or two.
//!
//! Rust 1.78 ships no prebuilt standard library for `aarch64-unknown-none` (its release manifest
//! says `available = false` for that target's `rust-std`; 1.79 neither), so for that target the
//! 1.78 builds compile `core` from the toolchain's own `rust-src` with `-Zbuild-std=core`
//! (`RUSTC_BOOTSTRAP=1`), which is how the kernel itself builds `core` for its Rust code. The
//! first such build takes about 20 s (it also fetches `core`'s build dependencies, such as
//! `compiler_builtins`, from crates.io).

use std::path::PathBuf;
use std::process::Command;
use sysreg_tests::toolchain::{
    cargo, require, run, target_dir, workspace_root, write_standalone_crate, AARCH64, MSRV,
};

/// The committed crate, copied for `toolchain`: its directory and the target directory beside it.
fn standalone_copy(toolchain: &str) -> (PathBuf, PathBuf) {
    let source = workspace_root().join(codegen::project::CRATE_DIR);
    let mut files = vec![(
        "Cargo.toml".to_string(),
        std::fs::read(source.join("Cargo.toml")).expect("generated/Cargo.toml is readable"),
    )];
    for entry in std::fs::read_dir(source.join("src")).expect("generated/src is readable") {
        let entry = entry.expect("generated/src is readable");
        files.push((
            format!("src/{}", entry.file_name().to_string_lossy()),
            std::fs::read(entry.path()).expect("generated sources are readable"),
        ));
    }
    assert!(
        files.iter().any(|(p, _)| p == "src/lib.rs"),
        "{} has no src/lib.rs",
        source.display()
    );
    let root = target_dir().join("generated-check").join(toolchain);
    let dir = root.join(codegen::project::CRATE_NAME);
    write_standalone_crate(&dir, &files);
    (dir, root.join("target"))
}

/// `cargo +TOOLCHAIN SUBCOMMAND` on the copy, with `RUSTFLAGS="-D warnings"`.
fn cargo_on(
    toolchain: &str,
    dir: &std::path::Path,
    target: &std::path::Path,
    sub: &str,
) -> Command {
    let mut command = cargo(toolchain, target);
    command
        .arg(sub)
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .env("RUSTFLAGS", "-D warnings");
    command
}

#[test]
fn builds_warning_free_and_clippy_clean_on_stable() {
    require("stable", &[AARCH64], &["clippy"]);
    let (dir, target) = standalone_copy("stable");
    for on in [Some(AARCH64), None] {
        let with_target = |c: &mut Command| {
            if let Some(t) = on {
                c.args(["--target", t]);
            }
        };
        let mut build = cargo_on("stable", &dir, &target, "build");
        with_target(&mut build);
        run(&mut build);
        let mut clippy = cargo_on("stable", &dir, &target, "clippy");
        with_target(&mut clippy);
        run(clippy.args(["--", "-D", "warnings"]));
    }
}

#[test]
fn builds_warning_free_and_clippy_clean_on_rust_1_78() {
    // No `aarch64-unknown-none` target to require: 1.78 has none (see the module doc); `core`
    // is built from `rust-src` instead.
    require(MSRV, &[], &["clippy", "rust-src"]);
    let (dir, target) = standalone_copy(MSRV);
    for on_aarch64 in [true, false] {
        let with_target = |c: &mut Command| {
            if on_aarch64 {
                c.args(["--target", AARCH64, "-Zbuild-std=core"])
                    .env("RUSTC_BOOTSTRAP", "1");
            }
        };
        let mut build = cargo_on(MSRV, &dir, &target, "build");
        with_target(&mut build);
        run(&mut build);
        let mut clippy = cargo_on(MSRV, &dir, &target, "clippy");
        with_target(&mut clippy);
        run(clippy.args(["--", "-D", "warnings"]));
    }
}
