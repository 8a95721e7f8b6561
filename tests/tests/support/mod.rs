//! Helpers shared by `fuzz.rs` and `robustness.rs`: the corpus, a small seeded PRNG, and the
//! invariants every load result must satisfy whatever the input.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use sysreg_db::{
    Database, Diagnostic, FileId, Item, Layout, Loaded, Options, RegisterBody, SourceFile,
    SourceMap, Span,
};

/// `../../shared/sysreg-corpus` relative to this crate: real kernel databases, one per folder.
pub fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/sysreg-corpus")
}

/// Every `<corpus>/*/sysreg`, sorted by folder name, as `(folder name, bytes)`.
/// Panics (fails the test) when the corpus is missing: these tests must never pass vacuously.
pub fn corpus_files() -> Vec<(String, Vec<u8>)> {
    let dir = corpus_dir();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
        panic!(
            "the sysreg corpus folder {} is missing or unreadable ({e}); \
             these tests need the real kernel databases in <folder>/sysreg",
            dir.display()
        )
    });
    let mut files: Vec<(String, Vec<u8>)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let path = e.path().join("sysreg");
            let bytes = std::fs::read(&path).ok()?;
            Some((e.file_name().to_string_lossy().into_owned(), bytes))
        })
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "the sysreg corpus folder {} holds no <folder>/sysreg file",
        dir.display()
    );
    files
}

/// The newest corpus database (the one with every directive: Prefix, Mapping, ...).
pub fn newest_corpus_file() -> (String, Vec<u8>) {
    corpus_files()
        .into_iter()
        .max_by(|a, b| a.0.cmp(&b.0))
        .expect("corpus_files never returns an empty list")
}

/// SplitMix64: tiny, fast, good enough to drive mutations, and reproducible from one `u64`.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`; the modulo bias is irrelevant here).
    pub fn below(&mut self, n: usize) -> usize {
        debug_assert!(n > 0);
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `1 / n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

/// Builds a source map from `(name, bytes)` pairs.
pub fn source_map(files: &[(String, Vec<u8>)]) -> SourceMap {
    let mut sources = SourceMap::new();
    for (name, bytes) in files {
        sources.add(SourceFile::new(name.clone(), bytes));
    }
    sources
}

/// Loads one in-memory file.
pub fn load_bytes(bytes: &[u8], options: &Options) -> (SourceMap, Loaded) {
    let sources = source_map(&[("input".to_string(), bytes.to_vec())]);
    let loaded = sysreg_db::load(&sources, options);
    (sources, loaded)
}

/// The number of `\n` in every file of a source map, to bound line numbers.
pub fn newline_counts(sources: &SourceMap) -> Vec<usize> {
    sources
        .files()
        .map(|(_, f)| f.text.bytes().filter(|&b| b == b'\n').count())
        .collect()
}

/// Where `span` may legally point in `sources`: a valid file, a line of the file (or the one
/// just past its last newline), a column from 1 to one past the end of the line, and a width that
/// ends at most one character past the end of the line (a "missing word" caret sits right after
/// the last word). `newlines` is [`newline_counts`] of `sources`.
pub fn check_span(
    sources: &SourceMap,
    newlines: &[usize],
    span: Span,
    what: &str,
) -> Result<(), String> {
    let FileId(id) = span.loc.file;
    let Some(&newlines) = newlines.get(id as usize) else {
        return Err(format!(
            "{what}: file id {id} but only {} file(s) were loaded",
            newlines.len()
        ));
    };
    let file = sources.file(span.loc.file);
    let what = format!("{what} in {}", file.name);
    let (line, col) = (span.loc.line, span.loc.col);
    if line == 0 || line as usize > newlines + 1 {
        return Err(format!(
            "{what}: line {line} is outside {} (lines 1..={})",
            file.name,
            newlines + 1
        ));
    }
    let chars = file.line(line).chars().count();
    if col == 0 || col as usize > chars + 1 {
        return Err(format!(
            "{what}: column {col} is outside line {line} of {} ({chars} characters)",
            file.name
        ));
    }
    if col as usize + span.len as usize > chars + 2 {
        return Err(format!(
            "{what}: span {}:{} of width {} runs past the end of the line ({chars} characters)",
            line, col, span.len
        ));
    }
    Ok(())
}

/// Checks the location of a diagnostic and of its notes, and that it renders.
pub fn check_diagnostic(
    sources: &SourceMap,
    newlines: &[usize],
    d: &Diagnostic,
) -> Result<(), String> {
    let what = format!("{} {:?} `{}`", d.code.as_str(), d.severity, d.message);
    check_span(sources, newlines, d.span, &what)?;
    for note in &d.notes {
        if let Some(span) = note.span {
            check_span(
                sources,
                newlines,
                span,
                &format!("{what}, note `{}`", note.message),
            )?;
        }
    }
    let text = d.render(sources);
    if !text.contains(&d.code.as_str()) {
        return Err(format!("{what}: rendering lacks the code:\n{text}"));
    }
    Ok(())
}

/// Every invariant of one [`Loaded`] result: locations, rendering, the accept/reject contract,
/// and the IR's bit coverage. Returns a description of the first violation.
pub fn check_loaded(sources: &SourceMap, loaded: &Loaded) -> Result<(), String> {
    let diags = &loaded.diagnostics;
    let newlines = newline_counts(sources);
    for d in diags.iter() {
        check_diagnostic(sources, &newlines, d)?;
    }
    let _ = diags.render(sources);
    let kept_errors = diags.iter().filter(|d| d.is_error()).count();
    match &loaded.database {
        None => {
            if diags.error_count() == 0 {
                return Err("input rejected without any error counted".into());
            }
            if kept_errors == 0 {
                return Err(format!(
                    "input rejected but none of the {} kept diagnostics is an error \
                     ({} errors counted)",
                    diags.iter().count(),
                    diags.error_count()
                ));
            }
        }
        Some(db) => {
            if diags.error_count() != 0 || kept_errors != 0 {
                return Err(format!(
                    "database returned despite {} error(s)",
                    diags.error_count()
                ));
            }
            check_database(db)?;
        }
    }
    Ok(())
}

/// A layout must slice bits 63..0 exactly once, from the top down, each slice within 0..=63.
pub fn check_layout(owner: &str, layout: &Layout) -> Result<(), String> {
    let which = match &layout.prefix {
        Some(p) => format!("{owner} (prefix {})", p.name),
        None => owner.to_string(),
    };
    let mut next: i32 = 63;
    let mut covered = 0u64;
    for e in &layout.entries {
        let (msb, lsb) = (e.bits.msb, e.bits.lsb);
        if msb > 63 || lsb > msb {
            return Err(format!("{which}: invalid bit range {msb}:{lsb} in the IR"));
        }
        if i32::from(msb) != next {
            return Err(format!(
                "{which}: slice {msb}:{lsb} where bit {next} was expected"
            ));
        }
        if covered & e.bits.mask() != 0 {
            return Err(format!("{which}: slice {msb}:{lsb} overlaps"));
        }
        covered |= e.bits.mask();
        next = i32::from(lsb) - 1;
    }
    if next != -1 || covered != u64::MAX {
        return Err(format!(
            "{which}: layout stops at bit {} (covered {covered:#018x})",
            next + 1
        ));
    }
    Ok(())
}

/// The IR invariants of a database `load` returned.
pub fn check_database(db: &Database) -> Result<(), String> {
    for item in db.items() {
        match item {
            Item::Register(r) => {
                for l in &r.prefixed {
                    check_layout(&r.name, l)?;
                }
                if let RegisterBody::Layout(l) = &r.body {
                    if l.prefix.is_some() {
                        return Err(format!("{}: default layout has a prefix", r.name));
                    }
                    check_layout(&r.name, l)?;
                }
                if !std::ptr::eq(db.register(&r.name).expect("indexed"), r) {
                    return Err(format!("{}: name index points elsewhere", r.name));
                }
                let _ = db.effective_layout(r);
            }
            Item::FieldSet(s) => {
                for l in &s.prefixed {
                    check_layout(&s.name, l)?;
                }
                check_layout(&s.name, &s.layout)?;
                if !std::ptr::eq(db.field_set(&s.name).expect("indexed"), s) {
                    return Err(format!("{}: name index points elsewhere", s.name));
                }
            }
        }
    }
    if db.items().count() != db.registers.len() + db.field_sets.len() {
        return Err("items() does not list every register and field set once".into());
    }
    Ok(())
}

/// What [`exercise`] saw.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub strict_accepted: bool,
    pub lenient_accepted: bool,
    /// Numbers of the diagnostic codes reported.
    pub codes: BTreeSet<u16>,
}

/// Everything a caller may do with an input: load strict and lenient, check every invariant,
/// render, and generate the C header when a database comes back.
pub fn exercise(files: &[(String, Vec<u8>)]) -> Result<Outcome, String> {
    let sources = source_map(files);
    let strict = sysreg_db::load(&sources, &Options::default());
    check_loaded(&sources, &strict).map_err(|e| format!("strict: {e}"))?;
    let lenient = sysreg_db::load(&sources, &Options::lenient());
    check_loaded(&sources, &lenient).map_err(|e| format!("lenient: {e}"))?;

    // Lenient mode only lowers severities: the same checks fire at the same places. (When the
    // cap was reached the kept lists may differ: errors and warnings are capped separately.)
    let capped = |l: &Loaded| l.diagnostics.dropped() > 0;
    let key = |l: &Loaded| -> Vec<(sysreg_db::Code, Span, String)> {
        l.diagnostics
            .iter()
            .map(|d| (d.code, d.span, d.message.clone()))
            .collect()
    };
    if !capped(&strict) && !capped(&lenient) && key(&strict) != key(&lenient) {
        return Err("strict and lenient mode report different diagnostics".into());
    }
    if strict.database.is_some() && lenient.database.is_none() {
        return Err("accepted in strict mode but rejected in lenient mode".into());
    }
    for loaded in [&strict, &lenient] {
        if let Some(db) = &loaded.database {
            let header = codegen::c_header::generate(db);
            if !header.starts_with("#ifndef __ASM_SYSREG_DEFS_H\n")
                || !header.ends_with("#endif /* __ASM_SYSREG_DEFS_H */\n")
            {
                return Err("generated header lacks its include guard".into());
            }
        }
    }
    Ok(Outcome {
        strict_accepted: strict.database.is_some(),
        lenient_accepted: lenient.database.is_some(),
        codes: strict.diagnostics.iter().map(|d| d.code.number()).collect(),
    })
}
