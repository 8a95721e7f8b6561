//! The Linux kernel's AArch64 system-register database (`arch/arm64/tools/sysreg`): parser,
//! typed IR and validation.
//!
//! ```
//! use sysreg_db::{load, Options, SourceFile, SourceMap};
//!
//! let mut sources = SourceMap::new();
//! sources.add(SourceFile::new("sysreg", b"Sysreg\tMDCCINT_EL1\t2\t0\t0\t2\t0\nRes0\t63:31\nField\t30\tRX\nField\t29\tTX\nRes0\t28:0\nEndSysreg\n"));
//! let loaded = load(&sources, &Options::default());
//! let db = loaded.database.expect("valid input");
//! let reg = db.register("MDCCINT_EL1").unwrap();
//! assert_eq!(reg.encoding.to_string(), "S2_0_C0_C2_0");
//! ```
//!
//! The pipeline is `source` (files, locations) -> `lexer` (words, bit ranges, literals) ->
//! `parser` (blocks into [`ir`] items) -> `validate` (whole-database checks). Problems are
//! [`Diagnostic`]s with stable codes, `file:line:col` and a caret under the offending text.

pub mod diagnostic;
pub mod ir;
mod lexer;
mod parser;
pub mod source;
mod validate;

pub use diagnostic::{Code, Diagnostic, Diagnostics, Note, Severity, Strictness};
pub use ir::*;
pub use source::{FileId, Loc, SourceFile, SourceMap, Span};

/// How to read the input.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub strictness: Strictness,
    /// How many errors, and how many warnings, to keep (the rest are counted); 0 keeps all.
    pub max_diagnostics: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            strictness: Strictness::Strict,
            max_diagnostics: 1000,
        }
    }
}

impl Options {
    pub fn lenient() -> Options {
        Options {
            strictness: Strictness::Lenient,
            ..Options::default()
        }
    }
}

/// The result of reading a database.
#[derive(Debug)]
pub struct Loaded {
    /// The database, if no diagnostic is an error.
    pub database: Option<Database>,
    pub diagnostics: Diagnostics,
}

/// Reads every file of `sources` as one database, validates it and returns it unless an error
/// was found. Never panics, whatever the bytes.
pub fn load(sources: &SourceMap, options: &Options) -> Loaded {
    let mut builder = parser::Builder::new(Diagnostics::new(
        options.strictness,
        options.max_diagnostics,
    ));
    for (id, file) in sources.files() {
        builder.parse_file(id, file);
    }
    let parser::Builder {
        mut db, mut diags, ..
    } = builder;
    db.build_indexes();
    validate::resolve_references(&mut db, &mut diags);
    validate::check_encodings(&db, &mut diags);
    Loaded {
        database: (!diags.has_errors()).then_some(db),
        diagnostics: diags,
    }
}

/// Reads files from disk and loads them; I/O errors are returned as text naming the file.
pub fn load_paths<P: AsRef<std::path::Path>>(
    paths: &[P],
    options: &Options,
) -> Result<(SourceMap, Loaded), String> {
    let mut sources = SourceMap::new();
    for path in paths {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        sources.add(SourceFile::from_bytes(path.display().to_string(), bytes));
    }
    let loaded = load(&sources, options);
    Ok((sources, loaded))
}
