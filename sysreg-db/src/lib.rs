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
    load_with(sources, options, true)
}

/// [`load`], with the parser's fast path on or off (tests compare the two).
fn load_with(sources: &SourceMap, options: &Options, fast: bool) -> Loaded {
    let diags = Diagnostics::new(options.strictness, options.max_diagnostics);
    let mut builder = parser::Builder::new(diags, fast);
    for (id, file) in sources.files() {
        builder.parse_file(id, file);
    }
    let (mut db, mut diags, names) = builder.finish();
    validate::resolve_references(
        &mut db,
        &mut diags,
        |name| names.register(name),
        |name| names.field_set(name),
    );
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// The kernel's databases in the corpus (when it is there) and the project's own.
    fn databases() -> Vec<(String, Vec<u8>)> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        let corpus = root.join("../../shared/sysreg-corpus");
        for dir in ["linux-2022-v6.1", "linux-2023-v6.5", "linux-2025-v6.19"] {
            if let Ok(bytes) = std::fs::read(corpus.join(dir).join("sysreg")) {
                files.push((dir.to_string(), bytes));
            }
        }
        let data = std::fs::read_dir(root.join("data")).expect("sysreg-db/data");
        for entry in data.flatten() {
            let bytes = std::fs::read(entry.path()).expect("readable");
            files.push((entry.file_name().to_string_lossy().into_owned(), bytes));
        }
        files
    }

    /// Every `step`th line of `text` changed in turn: removed, doubled, swapped with the next,
    /// a bit number changed, an enum value's digit flipped, its last word a number out of some
    /// range, given the name of the line before, doubled with another value.
    fn mutations(text: &str, step: usize) -> Vec<String> {
        let lines: Vec<&str> = text.split('\n').collect();
        let mut out = Vec::new();
        for i in (0..lines.len()).step_by(step) {
            let mut edited = |f: &dyn Fn(&mut Vec<String>)| {
                let mut copy: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                f(&mut copy);
                out.push(copy.join("\n"));
            };
            edited(&|l| {
                l.remove(i);
            });
            edited(&|l| l.insert(i, l[i].clone()));
            edited(&|l| {
                if i + 1 < l.len() {
                    l.swap(i, i + 1);
                }
            });
            edited(&|l| l[i] = l[i].replacen("0:", "9:", 1).replacen("\t1", "\t2", 1));
            edited(&|l| l[i] = l[i].replacen("0b0", "0b1", 1).replacen("0b1", "0b0", 1));
            // The last word a number past the range of an encoding operand (or a bit).
            edited(&|l| {
                if let Some(at) = l[i].rfind(['\t', ' ']) {
                    let number = ["4", "8", "16", "64", "256"][i % 5];
                    l[i] = format!("{}{number}", &l[i][..=at]);
                }
            });
            // The name of the line before (a duplicate field or enum value name).
            edited(&|l| {
                if let (Some(prev), Some(at)) = (i.checked_sub(1), l[i].rfind(['\t', ' '])) {
                    let name = l[prev].rsplit(['\t', ' ']).next().unwrap_or("").to_string();
                    l[i] = format!("{}{name}", &l[i][..=at]);
                }
            });
            // The line again with its last binary digit flipped (the same name, another value).
            edited(&|l| {
                let flipped = match l[i].find("0b").map(|at| at + 2) {
                    Some(mut end) => {
                        let bytes = l[i].as_bytes();
                        while matches!(bytes.get(end), Some(b'0' | b'1')) {
                            end += 1;
                        }
                        let digit = if bytes[end - 1] == b'0' { "1" } else { "0" };
                        format!("{}{digit}{}", &l[i][..end - 1], &l[i][end..])
                    }
                    None => return,
                };
                l.insert(i, flipped);
            });
        }
        out
    }

    fn both_ways(name: &str, text: &[u8], options: &Options) {
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new(name, text));
        let fast = format!("{:?}", load_with(&sources, options, true));
        let general = format!("{:?}", load_with(&sources, options, false));
        if fast != general {
            let at = fast
                .bytes()
                .zip(general.bytes())
                .position(|(a, b)| a != b)
                .unwrap_or(fast.len().min(general.len()));
            let around = |s: &str| {
                s.get(at.saturating_sub(300)..(at + 100).min(s.len()))
                    .map(str::to_string)
            };
            panic!(
                "{name}: the fast path reads differently\nfast:    ...{:?}\ngeneral: ...{:?}",
                around(&fast),
                around(&general)
            );
        }
    }

    #[test]
    fn fast_path_reads_as_the_general_path() {
        let files = databases();
        assert!(!files.is_empty());
        for (name, text) in &files {
            for options in [Options::default(), Options::lenient()] {
                both_ways(name, text, &options);
            }
            // Mutations of the newest kernel database and of the project's (the older ones
            // add nothing but time).
            if name.starts_with("linux-20") && name != "linux-2025-v6.19" {
                continue;
            }
            let text = String::from_utf8_lossy(text);
            for mutated in mutations(&text, 1 + text.len() / 16 / 120) {
                both_ways(name, mutated.as_bytes(), &Options::default());
            }
        }
    }
}
