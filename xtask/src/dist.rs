//! The `sysreg-gen` to put in a kernel build (`cargo xtask dist`): a static executable linked
//! against musl, optimised with a profile of its own runs.
//!
//! The kernel's build runs `sysreg-gen c-header` once per build, on a small file, so most of a
//! run is the process itself: a dynamically linked Rust program spends about 0.3 ms in the
//! dynamic loader and glibc's start-up before `main`, as long as the C header's whole work. A
//! static musl executable starts in a third of that and runs the same code (`sysreg-gen`
//! brings its own allocator and reads its arguments from `main`'s).
//!
//! The work itself is a parser and a template walk, branchy code whose layout the compiler
//! guesses at; profile-guided optimisation replaces the guesses with counts. The profile comes
//! from an instrumented build converting the project's own database (`sysreg-db/data`, in this
//! repository; not the kernel's databases the benchmark reads): about a sixth fewer
//! instructions on the kernel's v6.19 database. Each build has its own target directory under
//! `target/dist/`, so neither disturbs the ordinary builds' caches.
//!
//! `cargo xtask bench` times this executable, and `cargo xtask test` checks it reproduces the
//! corpus headers byte for byte.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The musl target of this machine's architecture.
pub fn target() -> Result<String, String> {
    if !cfg!(target_os = "linux") {
        return Err("the static sysreg-gen is built on Linux only".into());
    }
    Ok(format!("{}-unknown-linux-musl", std::env::consts::ARCH))
}

/// `cargo xtask dist`: builds the executable and prints its path.
pub fn run() -> Result<(), String> {
    let exe = build()?;
    println!("{}", exe.display());
    Ok(())
}

/// Builds the static, profile-optimised `sysreg-gen` and returns its path.
pub fn build() -> Result<PathBuf, String> {
    let target = target()?;
    let dist = crate::target_dir().join("dist");
    let profiles = dist.join("profiles");
    // A fresh profile every time: counts from an older build of the code would be stale.
    if profiles.exists() {
        std::fs::remove_dir_all(&profiles).map_err(|e| format!("{}: {e}", profiles.display()))?;
    }
    let raw = profiles.join("raw");
    let instrumented = cargo_build(
        &target,
        &dist.join("instrumented"),
        &format!("-Cprofile-generate={}", raw.display()),
    )?;
    train(&instrumented, &raw)?;
    let merged = profiles.join("sysreg-gen.profdata");
    merge(&raw, &merged)?;
    cargo_build(
        &target,
        &dist.join("optimised"),
        &format!("-Cprofile-use={}", merged.display()),
    )
}

/// `cargo build --release` of `sysreg-gen` for `target` in `target_dir` with `rustflags` (which
/// apply to the target's crates only: `--target` keeps them off build scripts and proc macros).
fn cargo_build(target: &str, target_dir: &Path, rustflags: &str) -> Result<PathBuf, String> {
    let args = [
        "build",
        "--release",
        "-p",
        "codegen",
        "--bin",
        "sysreg-gen",
        "--target",
        target,
    ];
    eprintln!(
        "$ RUSTFLAGS={rustflags} CARGO_TARGET_DIR={} cargo {}",
        target_dir.display(),
        args.join(" ")
    );
    let status = Command::new("cargo")
        .args(args)
        .current_dir(crate::root())
        .env("RUSTFLAGS", rustflags)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env("CARGO_TARGET_DIR", target_dir)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "`cargo {}` failed ({status}) (the static sysreg-gen needs the musl target: \
             `rustup target add {target}`)",
            args.join(" ")
        ));
    }
    Ok(target_dir.join(target).join("release/sysreg-gen"))
}

/// Runs the instrumented executable the way a kernel build does, on the project's database.
fn train(exe: &Path, raw: &Path) -> Result<(), String> {
    let data = crate::root().join("sysreg-db/data");
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&data)
        .map_err(|e| format!("{}: {e}", data.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sysreg"))
        .collect();
    inputs.sort();
    let out = Command::new(exe)
        .arg("c-header")
        .arg("-o")
        .arg("/dev/null")
        .args(&inputs)
        .env("LLVM_PROFILE_FILE", raw.join("%p.profraw"))
        .output()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    if !out.status.success() {
        return Err(format!(
            "the instrumented sysreg-gen failed on the project database ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

/// Merges the raw profiles with the toolchain's `llvm-profdata` (the `llvm-tools` component).
fn merge(raw: &Path, merged: &Path) -> Result<(), String> {
    let sysroot = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .map_err(|e| format!("cannot run rustc: {e}"))?;
    let sysroot = String::from_utf8_lossy(&sysroot.stdout).trim().to_string();
    let host = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
    let tool = Path::new(&sysroot)
        .join("lib/rustlib")
        .join(host)
        .join("bin/llvm-profdata");
    if !tool.is_file() {
        return Err(format!(
            "{} not found: the profile-optimised sysreg-gen needs the llvm-tools component \
             (`rustup component add llvm-tools`)",
            tool.display()
        ));
    }
    let status = Command::new(&tool)
        .arg("merge")
        .arg("-o")
        .arg(merged)
        .arg(raw)
        .status()
        .map_err(|e| format!("cannot run {}: {e}", tool.display()))?;
    if !status.success() {
        return Err(format!("`{} merge` failed ({status})", tool.display()));
    }
    Ok(())
}

/// Checks that the static `sysreg-gen` writes every corpus database's `sysreg-defs.h` byte for
/// byte (the library's conformance test runs in-process; this runs the shipped executable,
/// with its own entry point, argument reading and allocator).
pub fn check_corpus() -> Result<(), String> {
    let exe = build()?;
    let corpus = crate::corpus();
    for (dir, lenient) in [
        ("linux-2022-v6.1", false),
        ("linux-2023-v6.5", true),
        ("linux-2025-v6.19", false),
    ] {
        let input = corpus.join(dir).join("sysreg");
        let expected_path = corpus.join(dir).join("sysreg-defs.h");
        let expected = std::fs::read(&expected_path)
            .map_err(|e| format!("{}: {e}", expected_path.display()))?;
        let mut command = std::process::Command::new(&exe);
        command.arg("c-header");
        if lenient {
            command.arg("--lenient");
        }
        let out = command
            .arg(&input)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
        if !out.status.success() {
            return Err(format!(
                "static sysreg-gen failed on {dir} ({}):\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        if out.stdout != expected {
            let line = out
                .stdout
                .split(|&b| b == b'\n')
                .zip(expected.split(|&b| b == b'\n'))
                .position(|(a, b)| a != b)
                .map_or(0, |i| i + 1);
            return Err(format!(
                "static sysreg-gen: the header for {dir} differs from its sysreg-defs.h (first at line {line})"
            ));
        }
        eprintln!("static sysreg-gen: {dir}: sysreg-defs.h reproduced byte for byte");
    }
    Ok(())
}
