//! The `sysreg-gen` command line, run as a process.

use std::path::PathBuf;
use std::process::{Command, Output};

fn sysreg_gen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sysreg-gen"))
        .args(args)
        .output()
        .expect("sysreg-gen runs")
}

fn corpus(version: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/sysreg-corpus");
    assert!(
        dir.is_dir(),
        "the kernel sysreg corpus is missing: expected {}",
        dir.display()
    );
    dir.join(version)
}

fn temp(name: &str, contents: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn c_header_to_stdout_matches_the_kernel() {
    let dir = corpus("linux-2025-v6.19");
    let out = sysreg_gen(&["c-header", dir.join("sysreg").to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout == std::fs::read(dir.join("sysreg-defs.h")).unwrap());
}

#[test]
fn c_header_to_file_with_lenient() {
    let dir = corpus("linux-2023-v6.5");
    let out_path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("v6.5.h");
    let input = dir.join("sysreg");
    let strict = sysreg_gen(&["c-header", input.to_str().unwrap()]);
    assert_eq!(
        strict.status.code(),
        Some(1),
        "duplicate enum values are errors"
    );
    assert!(strict.stdout.is_empty(), "no partial header on error");
    let lenient = sysreg_gen(&[
        "c-header",
        "--lenient",
        "-o",
        out_path.to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    assert!(lenient.status.success());
    let stderr = String::from_utf8_lossy(&lenient.stderr);
    assert!(stderr.contains("warning[SR0023]"), "{stderr}");
    assert!(std::fs::read(&out_path).unwrap() == std::fs::read(dir.join("sysreg-defs.h")).unwrap());
}

#[test]
fn check_reports_errors_with_location_and_exit_status_1() {
    let bad = temp(
        "bad.sysreg",
        b"Sysreg\tFOO_EL1\t3\t0\t1\t2\t3\nField\t63:8\tA\nFeld\t7:0\tB\nEndSysreg\n",
    );
    let out = sysreg_gen(&["check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let name = bad.to_str().unwrap();
    assert!(
        stderr.contains(&format!("{name}:3:1: error[SR0001]")),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `Field`?"), "{stderr}");
    assert!(
        stderr.contains(&format!("{name}:4:1: error[SR0014]")),
        "{stderr}"
    );
    assert!(stderr.contains("2 errors, 0 warnings"), "{stderr}");
}

#[test]
fn check_succeeds_quietly_on_stdout() {
    let dir = corpus("linux-2022-v6.1");
    let out = sysreg_gen(&["check", dir.join("sysreg").to_str().unwrap()]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("ok: 50 registers, 5 field sets"));
}

#[test]
fn deny_warnings_fails_on_warnings() {
    let dir = corpus("linux-2025-v6.19");
    let input = dir.join("sysreg");
    let out = sysreg_gen(&["check", "--deny-warnings", input.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "MPAM1_EL12 names a missing field set"
    );
}

#[test]
fn missing_input_file_is_a_usage_error() {
    let out = sysreg_gen(&["check", "/nonexistent/sysreg"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/sysreg"));
}

#[test]
fn dump_is_json_describing_the_ir() {
    let input = temp(
        "dump.sysreg",
        b"Sysreg\tFOO_EL1\t3\t0\t1\t2\t3\nRes1\t63\nSignedEnum\t62:59\tVER\n\t0b0000\tNI\n\t0b1111\tMINUS\nEndEnum\nRes0\t58:0\nEndSysreg\n",
    );
    let out = sysreg_gen(&["dump", input.to_str().unwrap()]);
    assert!(out.status.success());
    let json = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "\"type\": \"register\"",
        "\"name\": \"S3_0_C1_C2_3\"",
        "\"kind\": \"signed_enum\"",
        "\"spelling\": \"0b1111\"",
        "\"value\": 15",
        "\"res1\": \"0x8000000000000000\"",
        "\"res0\": \"0x07ffffffffffffff\"",
        "dump.sysreg:3:1",
    ] {
        assert!(json.contains(needle), "missing {needle} in\n{json}");
    }
    assert_eq!(json.matches('{').count(), json.matches('}').count());
}
