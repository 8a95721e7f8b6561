//! Project automation, run as `cargo xtask <task>`:
//!
//! - `regen`: regenerate every committed generated file from the database.
//! - `test`:  every check CI runs (format, clippy, all tests, the bounded fuzz run).
//! - `bench`: print the benchmark figures quoted in README.md.

mod bench;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("regen") => regen(),
        Some("test") => test(),
        Some("bench") => bench::run(&args[1..]),
        _ => {
            eprintln!("usage: cargo xtask <regen|test|bench>");
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

fn regen() -> Result<(), String> {
    // Until the project's own database and generated crate exist, the main job builds the
    // generator and checks it reproduces the kernel's headers.
    run("cargo", &["build", "--release", "-p", "codegen"])?;
    run(
        "cargo",
        &[
            "test",
            "--release",
            "-p",
            "sysreg-tests",
            "--test",
            "corpus",
        ],
    )
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
    run("cargo", &["test", "--workspace"])
}
