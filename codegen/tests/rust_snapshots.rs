//! Snapshots of the Rust the backend emits, one per shape: a SignedEnum ID register, a
//! register using `Fields`, a Mapping alias, a Prefix register, a write-only register, a
//! register with RES1 bits, the shared field set with its family accessors, and the crate root.

use codegen::rust::{generate, File, Options};
use sysreg_db::{load, SourceFile, SourceMap};

fn crate_files() -> Vec<File> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/registers.sysreg"
    );
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new(
        "fixtures/registers.sysreg",
        &std::fs::read(path).expect("fixture is readable"),
    ));
    let loaded = load(&sources, &sysreg_db::Options::default());
    assert_eq!(
        loaded.diagnostics.error_count(),
        0,
        "{}",
        loaded.diagnostics.render(&sources)
    );
    let db = loaded.database.expect("fixture loads");
    let options = Options {
        crate_name: "fixture-regs".into(),
        version: "0.1.0".into(),
    };
    generate(&db, &sources, &options)
}

/// The text of top-level module `name` in the registers file: its doc comment through its
/// closing brace (and the `pub use` re-exports after it).
fn module(name: &str) -> String {
    let files = crate_files();
    let file = files
        .iter()
        .find(|f| f.path == "src/registers.rs")
        .expect("a module file per input file");
    let lines: Vec<&str> = file.contents.lines().collect();
    let start = lines
        .iter()
        .position(|l| *l == format!("pub mod {name} {{"))
        .unwrap_or_else(|| panic!("no module {name}"));
    let doc_start = (0..start)
        .rev()
        .take_while(|&i| lines[i].starts_with("///"))
        .last()
        .unwrap_or(start);
    let end = (start..lines.len())
        .find(|&i| lines[i] == "}")
        .expect("module closes");
    let mut end = end + 1;
    while lines.get(end).is_some_and(|l| l.starts_with("pub use ")) {
        // A `pub use m::{..};` list wrapped over several lines.
        while !lines[end].ends_with(';') {
            end += 1;
        }
        end += 1;
    }
    lines[doc_start..end].join("\n")
}

#[test]
fn signed_and_unsigned_enum_id_register() {
    insta::assert_snapshot!(module("id_aa64dfr0_el1"));
}

#[test]
fn register_using_fields() {
    insta::assert_snapshot!(module("pmevtyper1_el0"));
}

#[test]
fn field_set_with_family_accessors() {
    insta::assert_snapshot!(module("pmevtypern_el0"));
}

#[test]
fn mapping_alias() {
    insta::assert_snapshot!(module("cpacr_el12"));
}

#[test]
fn prefix_register() {
    insta::assert_snapshot!(module("ich_vmcr_el2"));
}

#[test]
fn write_only_register() {
    insta::assert_snapshot!(module("pmswinc_el0"));
}

#[test]
fn register_with_res1_bits() {
    insta::assert_snapshot!(module("hstr_el2"));
}

#[test]
fn crate_root() {
    let files = crate_files();
    let lib = files
        .iter()
        .find(|f| f.path == "src/lib.rs")
        .expect("lib.rs");
    insta::assert_snapshot!(lib.contents);
    let cargo = files
        .iter()
        .find(|f| f.path == "Cargo.toml")
        .expect("Cargo.toml");
    insta::assert_snapshot!("cargo_toml", cargo.contents);
}
