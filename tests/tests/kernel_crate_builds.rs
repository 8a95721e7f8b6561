//! Scale: the crate `sysreg-gen rust` writes for the kernel's whole v6.19 database (322
//! registers, one file) builds with no warnings (`RUSTFLAGS="-D warnings"`) and is clippy-clean,
//! for `aarch64-unknown-none` and for the host, on stable, and its documentation builds with
//! rustdoc's warnings denied.
//!
//! The crate is generated the way `sysreg-gen rust -o DIR --crate-name linux-sysregs
//! linux-2025-v6.19/sysreg` does it (`sysreg_db::load_paths`, strict, then
//! `codegen::rust::generate`), into `<target>/generated-check/kernel-v6.19/linux-sysregs/`, and
//! built there with a target directory of its own. Files are only rewritten when they change, so
//! on a warm machine cargo finds the builds fresh.
//!
//! The database has one warning and no error: `MPAM1_EL12` says `Fields MPAM1_ELx`, which names
//! nothing, so that register's value is a raw `u64`.
//!
//! The same for `tests/fixtures/awkward-names.sysreg` (with `--lenient`): a small database of the
//! names and shapes that are hard on the Rust backend (collisions after case conversion,
//! keywords, prelude names, lenient-mode leftovers), so they stay handled whatever the kernel's
//! database happens to contain.

use sysreg_db::{Code, Options, Strictness};
use sysreg_tests::corpus_dir;
use sysreg_tests::toolchain::{
    cargo, require, run, target_dir, workspace_root, write_standalone_crate, AARCH64,
};

const DATABASE: &str = "linux-2025-v6.19/sysreg";
const REGISTERS: usize = 322;

#[test]
fn crate_for_the_kernel_database_builds_warning_free() {
    require("stable", &[AARCH64], &["clippy"]);
    let input = corpus_dir().join(DATABASE);
    assert!(
        input.is_file(),
        "the kernel's v6.19 database is missing: expected {} (the ../shared/sysreg-corpus folder \
         next to the repository)",
        input.display()
    );

    // What `sysreg-gen rust` does (strict, as without `--lenient`).
    let (sources, loaded) =
        sysreg_db::load_paths(&[&input], &Options::default()).unwrap_or_else(|e| panic!("{e}"));
    let report = loaded.diagnostics.render(&sources);
    let codes: Vec<Code> = loaded.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(
        (loaded.diagnostics.error_count(), codes.as_slice()),
        (0, &[Code::UnknownFieldSet][..]),
        "expected exactly the one warning about `Fields MPAM1_ELx`:\n{report}"
    );
    assert!(report.contains("MPAM1_ELx"), "{report}");
    let db = loaded.database.expect("no errors, so a database");
    assert_eq!(db.registers.len(), REGISTERS);
    let options = codegen::rust::Options {
        crate_name: "linux-sysregs".into(),
        ..Default::default()
    };
    let files: Vec<(String, Vec<u8>)> = codegen::rust::generate(&db, &sources, &options)
        .into_iter()
        .map(|f| (f.path, f.contents.into_bytes()))
        .collect();

    // The register whose Fields named nothing reads and writes a raw u64.
    let module = files
        .iter()
        .find(|(p, _)| p == "src/sysreg.rs")
        .map(|(_, c)| String::from_utf8_lossy(c).into_owned())
        .expect("the module for the input file `sysreg`");
    let mpam = module
        .split("pub mod mpam1_el12 {")
        .nth(1)
        .expect("a module for MPAM1_EL12");
    assert!(
        mpam.contains("type Value = u64;"),
        "MPAM1_EL12 should have a raw u64 value"
    );

    build_warning_free("kernel-v6.19", "linux-sysregs", &files);
}

#[test]
fn crate_for_awkward_names_builds_warning_free() {
    require("stable", &[AARCH64], &["clippy"]);
    let input = workspace_root().join("tests/fixtures/awkward-names.sysreg");
    let options = Options {
        strictness: Strictness::Lenient,
        ..Options::default()
    };
    let (sources, loaded) =
        sysreg_db::load_paths(&[&input], &options).unwrap_or_else(|e| panic!("{e}"));
    let db = loaded.database.unwrap_or_else(|| {
        panic!(
            "{} does not load with --lenient:\n{}",
            input.display(),
            loaded.diagnostics.render(&sources)
        )
    });
    let options = codegen::rust::Options {
        crate_name: "awkward-names".into(),
        ..Default::default()
    };
    let files: Vec<(String, Vec<u8>)> = codegen::rust::generate(&db, &sources, &options)
        .into_iter()
        .map(|f| (f.path, f.contents.into_bytes()))
        .collect();
    build_warning_free("awkward-names", "awkward-names", &files);
}

/// Writes `files` as a standalone crate under `<target>/generated-check/<name>/<package>/` and
/// builds it, and runs clippy on it, with warnings denied, for AArch64 and the host on stable;
/// then builds its documentation with rustdoc's warnings denied (broken intra-doc links).
fn build_warning_free(name: &str, package: &str, files: &[(String, Vec<u8>)]) {
    let root = target_dir().join("generated-check").join(name);
    let dir = root.join(package);
    write_standalone_crate(&dir, files);
    let target = root.join("target");
    for on in [Some(AARCH64), None] {
        for sub in ["build", "clippy"] {
            let mut command = cargo("stable", &target);
            command
                .arg(sub)
                .arg("--manifest-path")
                .arg(dir.join("Cargo.toml"))
                .env("RUSTFLAGS", "-D warnings");
            if let Some(t) = on {
                command.args(["--target", t]);
            }
            if sub == "clippy" {
                command.args(["--", "-D", "warnings"]);
            }
            run(&mut command);
        }
    }
    let mut command = cargo("stable", &target);
    command
        .args(["doc", "--no-deps", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("RUSTDOCFLAGS", "-D warnings");
    run(&mut command);
}
