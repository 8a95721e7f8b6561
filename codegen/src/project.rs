//! The project's own database (`sysreg-db/data/*.sysreg`) and the crate generated from it
//! (`generated/`): one definition of both, used by `cargo xtask regen` to write the crate and by
//! the freshness test to check the committed one.

use crate::rust::{self, File};
use std::path::Path;
use sysreg_db::{Options, SourceFile, SourceMap};

/// Where the database files are, relative to the workspace root.
pub const DATABASE_DIR: &str = "sysreg-db/data";
/// Where the generated crate is, relative to the workspace root.
pub const CRATE_DIR: &str = "generated";
/// The generated crate's package name.
pub const CRATE_NAME: &str = "aarch64-sysregs";

/// The database files, sorted, as paths relative to `root` with `/` separators.
pub fn database_files(root: &Path) -> Result<Vec<String>, String> {
    let dir = root.join(DATABASE_DIR);
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".sysreg"))
        .map(|name| format!("{DATABASE_DIR}/{name}"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("no *.sysreg files in {}", dir.display()));
    }
    Ok(files)
}

/// Reads the database (strictly: any diagnostic, even a warning, is an error here) and
/// generates the crate's files. Paths in the generated text are relative to `root`, so the
/// output does not depend on where the repository is.
pub fn generate(root: &Path) -> Result<Vec<File>, String> {
    let mut sources = SourceMap::new();
    for name in database_files(root)? {
        let bytes = std::fs::read(root.join(&name)).map_err(|e| format!("{name}: {e}"))?;
        sources.add(SourceFile::from_bytes(name, bytes));
    }
    let loaded = sysreg_db::load(&sources, &Options::default());
    if loaded.diagnostics.error_count() + loaded.diagnostics.warning_count() > 0 {
        return Err(loaded.diagnostics.render(&sources));
    }
    let db = loaded.database.expect("no errors, so a database");
    let options = rust::Options {
        crate_name: CRATE_NAME.into(),
        version: "0.1.0".into(),
    };
    Ok(rust::generate(&db, &sources, &options))
}
