//! Project automation, run as `cargo xtask <task>`:
//!
//! - `regen`: regenerate every committed generated file from the database.
//! - `test`:  every check CI runs (format, clippy, all tests, the bounded fuzz run, the static
//!   `sysreg-gen` on the corpus, the QEMU runs).
//! - `bench [c-header|crates]`: print the benchmark figures quoted in README.md (both tables, or
//!   one: the C header generator, or the register crates and their regeneration).
//! - `qemu [--bench]`: build the EL2 test image and run pmu-part end to end on QEMU (part of
//!   `test`); `--bench` prints only the seeds' benchmark table.
//! - `dist`: build the `sysreg-gen` for kernel builds (static, profile-optimised) and print its
//!   path.

mod bench;
mod dist;
mod qemu;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("regen") => regen(),
        Some("test") => test(),
        Some("bench") => bench::run(&args[1..]),
        Some("qemu") => qemu::run(&args[1..]),
        Some("dist") => dist::run(),
        _ => {
            eprintln!(
                "usage: cargo xtask <regen|test|bench [c-header|crates]|qemu [--bench]|dist>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of this crate's directory).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Where cargo puts what it builds: `CARGO_TARGET_DIR` when that is set, else `target/`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
}

/// `../shared/sysreg-corpus` next to the repository.
pub fn corpus() -> PathBuf {
    root().join("../shared/sysreg-corpus")
}

/// Runs a command from the workspace root, failing with its command line if it fails.
pub fn run(program: &str, args: &[&str]) -> Result<(), String> {
    eprintln!("$ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

/// Rewrites `generated/` from `sysreg-db/data/*.sysreg`, removing files it no longer makes.
fn regen() -> Result<(), String> {
    use codegen::project;
    let root = root();
    let started = std::time::Instant::now();
    let files = project::generate(&root)?;
    let elapsed = started.elapsed();
    let dir = root.join(project::CRATE_DIR);
    let mut written = 0;
    for file in &files {
        let path = dir.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        if std::fs::read_to_string(&path).ok().as_deref() != Some(file.contents.as_str()) {
            std::fs::write(&path, &file.contents)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            written += 1;
        }
    }
    let src = dir.join("src");
    for entry in std::fs::read_dir(&src).map_err(|e| format!("{}: {e}", src.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let rel = format!("src/{}", entry.file_name().to_string_lossy());
        if !files.iter().any(|f| f.path == rel) {
            std::fs::remove_file(entry.path()).map_err(|e| format!("{rel}: {e}"))?;
            eprintln!("removed {}/{rel}", project::CRATE_DIR);
        }
    }
    eprintln!(
        "regen: {} files from {} ({written} changed), generated in {:.1} ms",
        files.len(),
        project::DATABASE_DIR,
        elapsed.as_secs_f64() * 1000.0
    );
    Ok(())
}

fn test() -> Result<(), String> {
    run("cargo", &["fmt", "--all", "--check"])?;
    run(
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    // The EL2 test image is its own workspace (built only for aarch64-unknown-none): format
    // and lint it here too.
    let image = "tests/el2-image/Cargo.toml";
    run("cargo", &["fmt", "--manifest-path", image, "--check"])?;
    run(
        "cargo",
        &[
            "clippy",
            "--release",
            "--target",
            "aarch64-unknown-none",
            "--manifest-path",
            image,
            "--",
            "-D",
            "warnings",
        ],
    )?;
    run("cargo", &["test", "--workspace"])?;
    // The documentation too: a broken intra-doc link (in a generated crate, the runtime
    // template or the emitters' doc comments) fails the run.
    eprintln!("$ RUSTDOCFLAGS=\"-D warnings\" cargo doc --workspace --no-deps");
    let documented = Command::new("cargo")
        .args(["doc", "--workspace", "--no-deps"])
        .current_dir(root())
        .env("RUSTDOCFLAGS", "-D warnings")
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !documented.success() {
        return Err(format!(
            "`cargo doc --workspace --no-deps` failed ({documented})"
        ));
    }
    dist::check_corpus()?;
    qemu::run(&[])
}
