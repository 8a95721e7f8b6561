//! The committed `generated/` crate is exactly what the generator makes from the committed
//! database: regenerated in memory here, compared file by file.

use std::path::PathBuf;

#[test]
fn committed_generated_crate_is_fresh() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let files = codegen::project::generate(&root)
        .unwrap_or_else(|e| panic!("the project database does not load:\n{e}"));
    let dir = root.join(codegen::project::CRATE_DIR);
    let mut stale = Vec::new();
    for file in &files {
        let committed = std::fs::read_to_string(dir.join(&file.path)).unwrap_or_default();
        if committed != file.contents {
            stale.push(file.path.clone());
        }
    }
    for entry in std::fs::read_dir(dir.join("src")).expect("generated/src exists") {
        let rel = format!("src/{}", entry.unwrap().file_name().to_string_lossy());
        if !files.iter().any(|f| f.path == rel) {
            stale.push(format!("{rel} (no longer generated)"));
        }
    }
    assert!(
        stale.is_empty(),
        "generated/ is stale ({}): run `cargo xtask regen` and commit the result",
        stale.join(", ")
    );
}
