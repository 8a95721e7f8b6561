//! The `sysreg-gen` to put in a kernel build: a static executable linked against musl.
//!
//! The kernel's build runs `sysreg-gen c-header` once per build, on a small file, so most of a
//! run is the process itself: a dynamically linked Rust program spends about 0.3 ms in the
//! dynamic loader and glibc's start-up before `main`, as long as the C header's whole work. A
//! static musl executable starts in a third of that and runs the same code (`sysreg-gen`
//! brings its own allocator and reads its arguments from `main`'s). `cargo xtask bench` times
//! it, and `cargo xtask test` checks it reproduces the corpus headers byte for byte.

use std::path::PathBuf;

/// The musl target of this machine's architecture.
pub fn target() -> Result<String, String> {
    if !cfg!(target_os = "linux") {
        return Err("the static sysreg-gen is built on Linux only".into());
    }
    Ok(format!("{}-unknown-linux-musl", std::env::consts::ARCH))
}

/// Builds the static `sysreg-gen` (release) and returns its path.
pub fn build() -> Result<PathBuf, String> {
    let target = target()?;
    crate::run(
        "cargo",
        &[
            "build",
            "--release",
            "-p",
            "codegen",
            "--bin",
            "sysreg-gen",
            "--target",
            &target,
        ],
    )
    .map_err(|e| {
        format!("{e}\n(the static sysreg-gen needs the musl target: `rustup target add {target}`)")
    })?;
    Ok(crate::target_dir().join(target).join("release/sysreg-gen"))
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
