//! Running cargo, rustup and the LLVM tools from the tests that build generated crates
//! (`generated_builds.rs`, `zero_cost.rs`, `kernel_crate.rs`).
//!
//! Every build goes through rustup's `cargo` with an explicit `+toolchain`, in a clean
//! environment (nothing the outer `cargo test` or the user's shell set for its own build, such as
//! `RUSTFLAGS` or `RUSTUP_TOOLCHAIN`, leaks in), into a target directory of its own under the
//! workspace's, so it never waits for the lock the outer build holds. A missing tool, toolchain,
//! target or component fails the test with the command that installs it: these tests never skip.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

/// The bare-metal AArch64 target the generated crates are for.
pub const AARCH64: &str = "aarch64-unknown-none";
/// The oldest Rust the generated crates support: the Linux kernel's minimum.
pub const MSRV: &str = "1.78";

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package is inside the workspace")
        .to_path_buf()
}

/// The workspace's target directory: the one this test executable was built in (found by the
/// `CACHEDIR.TAG` cargo puts at its top), else `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.ancestors()
                .find(|dir| dir.join("CACHEDIR.TAG").is_file())
                .map(Path::to_path_buf)
        })
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// Environment variables that would change what a nested build does: the outer build's
/// settings, and cargo's per-crate variables.
fn leaks_into_builds(var: &str) -> bool {
    const EXACT: &[&str] = &[
        "RUSTUP_TOOLCHAIN",
        "RUSTC",
        "RUSTDOC",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_BOOTSTRAP",
        "RUSTFLAGS",
        "RUSTDOCFLAGS",
        "CARGO",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_BUILD_TARGET_DIR",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_BUILD_RUSTC",
        "CARGO_BUILD_RUSTC_WRAPPER",
        "CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_ENCODED_RUSTDOCFLAGS",
        "CARGO_INCREMENTAL",
        "CARGO_MAKEFLAGS",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_CRATE_NAME",
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
    ];
    const PREFIXES: &[&str] = &[
        "CARGO_PKG_",
        "CARGO_BIN_",
        "CARGO_PROFILE_",
        "CARGO_TARGET_",
    ];
    EXACT.contains(&var) || PREFIXES.iter().any(|p| var.starts_with(p))
}

/// `program`, in a clean environment (see the module doc).
fn clean(program: &str) -> Command {
    let mut command = Command::new(program);
    for (var, _) in std::env::vars_os() {
        if let Some(var) = var.to_str() {
            if leaks_into_builds(var) {
                command.env_remove(var);
            }
        }
    }
    command
}

/// A command's output, or a failure naming the command and what it printed.
fn output(command: &mut Command) -> Result<Output, String> {
    match command.output() {
        Ok(out) if out.status.success() => Ok(out),
        Ok(out) => Err(format!(
            "`{}` failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
            show(command),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )),
        Err(e) => Err(format!("cannot run `{}`: {e}", show(command))),
    }
}

/// A command line as it would be typed (with the environment variables it sets).
pub fn show(command: &Command) -> String {
    let mut s = String::new();
    for (var, value) in command.get_envs() {
        if let Some(value) = value {
            s.push_str(&format!(
                "{}={} ",
                var.to_string_lossy(),
                value.to_string_lossy()
            ));
        }
    }
    s.push_str(&command.get_program().to_string_lossy());
    for arg in command.get_args() {
        s.push(' ');
        s.push_str(&arg.to_string_lossy());
    }
    s
}

/// `rustup ARGS`, its stdout; fails the test if rustup is missing or fails.
fn rustup(args: &[&str]) -> String {
    let out = output(clean("rustup").args(args)).unwrap_or_else(|e| {
        panic!(
            "{e}\nThese tests build the generated crates with several toolchains through rustup: \
             install it from https://rustup.rs"
        )
    });
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What a test needs of a toolchain: fails naming the command that installs whatever is missing.
/// `components` as rustup names them (`clippy`, `rust-src`, `llvm-tools`).
pub fn require(toolchain: &str, targets: &[&str], components: &[&str]) {
    let installed = rustup(&["toolchain", "list"]);
    let has_toolchain = installed
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .any(|name| name == toolchain || name.starts_with(&format!("{toolchain}-")));
    assert!(
        has_toolchain,
        "the Rust {toolchain} toolchain is not installed (rustup has: {}): run \
         `rustup toolchain install {toolchain} --profile minimal --component {}` \
         (`.ci/run` does)",
        installed.split_whitespace().collect::<Vec<_>>().join(" "),
        if components.is_empty() {
            "clippy".to_string()
        } else {
            components.join(",")
        }
    );
    let have = rustup(&["target", "list", "--installed", "--toolchain", toolchain]);
    for target in targets {
        assert!(
            have.lines().any(|l| l.trim() == *target),
            "the {target} target is not installed for Rust {toolchain}: run \
             `rustup target add --toolchain {toolchain} {target}` (`.ci/run` does)"
        );
    }
    let have = rustup(&["component", "list", "--installed", "--toolchain", toolchain]);
    for component in components {
        assert!(
            have.lines()
                .any(|l| l.trim() == *component || l.starts_with(&format!("{component}-"))),
            "the {component} component is not installed for Rust {toolchain}: run \
             `rustup component add --toolchain {toolchain} {component}` (`.ci/run` does)"
        );
    }
}

/// `cargo +TOOLCHAIN`, through rustup's proxy, in a clean environment, building into
/// `target_dir`.
pub fn cargo(toolchain: &str, target_dir: &Path) -> Command {
    let mut command = clean("cargo");
    command
        .arg(format!("+{toolchain}"))
        .env("CARGO_TARGET_DIR", target_dir)
        .env("CARGO_TERM_COLOR", "never");
    command
}

/// Runs `command`, failing the test with its output if it fails; prints the command and how
/// long it took (shown with `--nocapture`, and for failing tests).
#[track_caller]
pub fn run(command: &mut Command) -> Output {
    let started = Instant::now();
    let out = match output(command) {
        Ok(out) => out,
        Err(e) => panic!("{e}"),
    };
    println!(
        "{:>6.1} s  {}",
        started.elapsed().as_secs_f64(),
        show(command)
    );
    out
}

/// The host's target triple, as `toolchain`'s rustc reports it.
pub fn host(toolchain: &str) -> String {
    let out = run(clean("rustc").arg(format!("+{toolchain}")).arg("-vV"));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("`rustc -vV` names the host")
        .trim()
        .to_string()
}

/// An LLVM tool (`llvm-objdump`) of `toolchain`'s `llvm-tools` component.
pub fn llvm_tool(toolchain: &str, tool: &str) -> PathBuf {
    require(toolchain, &[], &["llvm-tools"]);
    let out = run(clean("rustc")
        .arg(format!("+{toolchain}"))
        .args(["--print", "sysroot"]));
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let path = Path::new(&sysroot)
        .join("lib/rustlib")
        .join(host(toolchain))
        .join("bin")
        .join(format!("{tool}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} is missing: run `rustup component add --toolchain {toolchain} llvm-tools`",
        path.display()
    );
    path
}

/// Writes `contents` to `path` unless it already holds exactly that, so an unchanged file keeps
/// its modification time and cargo does not rebuild what it already checked.
pub fn write_if_changed(path: &Path, contents: &[u8]) {
    if std::fs::read(path).ok().as_deref() == Some(contents) {
        return;
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{}: {e}", parent.display()));
    }
    std::fs::write(path, contents).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Makes `dir` a standalone crate with exactly `files` (`(path in the crate, contents)`): a
/// `[workspace]` table is added to its `Cargo.toml`, so that cargo does not take it for a
/// member of the workspace it lies in, and files of `src/` not listed are removed.
pub fn write_standalone_crate(dir: &Path, files: &[(String, Vec<u8>)]) {
    for (path, contents) in files {
        let mut contents = contents.clone();
        if path == "Cargo.toml" {
            contents.extend_from_slice(b"\n[workspace]\n");
        }
        write_if_changed(&dir.join(path), &contents);
    }
    if let Ok(entries) = std::fs::read_dir(dir.join("src")) {
        for entry in entries.flatten() {
            let rel = format!("src/{}", entry.file_name().to_string_lossy());
            if !files.iter().any(|(p, _)| *p == rel) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}
