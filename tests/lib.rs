//! Shared helpers for the integration tests.

pub mod toolchain;

use std::path::PathBuf;

/// `../shared/sysreg-corpus`, next to the repository. Panics, naming the path, if it is missing:
/// the conformance tests must never pass by skipping.
pub fn corpus_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/sysreg-corpus");
    assert!(
        dir.join("README.md").is_file(),
        "the kernel sysreg corpus is missing: expected {} (the ../shared folder next to the repository)",
        dir.display()
    );
    dir
}

/// Every corpus version folder (holding `sysreg` and `sysreg-defs.h`), sorted by name.
pub fn corpus_versions() -> Vec<(String, PathBuf)> {
    let mut versions: Vec<_> = std::fs::read_dir(corpus_dir())
        .expect("corpus folder is readable")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.join("sysreg").is_file() && p.join("sysreg-defs.h").is_file())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    versions.sort();
    assert!(!versions.is_empty(), "no version folders in the corpus");
    versions
}

/// A readable account of where two texts first differ: line number and a few lines of each.
pub fn first_difference(expected: &str, actual: &str) -> Option<String> {
    if expected == actual {
        return None;
    }
    let (e, a): (Vec<_>, Vec<_>) = (expected.split('\n').collect(), actual.split('\n').collect());
    let i = e
        .iter()
        .zip(&a)
        .position(|(x, y)| x != y)
        .unwrap_or(e.len().min(a.len()));
    let show = |lines: &[&str]| {
        lines[i.min(lines.len())..(i + 5).min(lines.len())]
            .iter()
            .map(|l| format!("    {l:?}\n"))
            .collect::<String>()
    };
    Some(format!(
        "first difference at line {} (expected {} lines, got {}):\n  expected:\n{}  actual:\n{}",
        i + 1,
        e.len(),
        a.len(),
        show(&e),
        show(&a)
    ))
}
