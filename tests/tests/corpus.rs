//! Conformance: for every version of the kernel's database in the corpus, the C header is
//! byte-identical to the one the kernel's generator made.

use sysreg_db::{load, Code, Options, SourceFile, SourceMap, Strictness};
use sysreg_tests::{corpus_versions, first_difference};

/// Versions that need `--lenient`, and the codes strict mode reports for them (anything else
/// must pass strict mode with no errors). The 2023 database has two duplicate enum values that
/// the 2023 kernel script accepted and today's rejects.
const NEEDS_LENIENT: &[(&str, &[Code])] = &[(
    "linux-2023-v6.5",
    &[Code::DuplicateEnumValue, Code::DuplicateEnumValue],
)];

fn sources(path: &std::path::Path) -> SourceMap {
    let mut s = SourceMap::new();
    s.add(SourceFile::new(
        "sysreg",
        &std::fs::read(path.join("sysreg")).expect("corpus sysreg is readable"),
    ));
    s
}

#[test]
fn c_header_is_byte_identical_to_the_kernels() {
    let mut checked = 0;
    for (version, path) in corpus_versions() {
        let sources = sources(&path);
        let strict = load(&sources, &Options::default());
        let errors: Vec<Code> = strict
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.code)
            .collect();
        let expected_errors = NEEDS_LENIENT
            .iter()
            .find(|(v, _)| *v == version)
            .map_or(&[][..], |(_, codes)| codes);
        assert_eq!(
            errors,
            expected_errors,
            "{version}: unexpected strict-mode errors:\n{}",
            strict.diagnostics.render(&sources)
        );
        let options = Options {
            strictness: if errors.is_empty() {
                Strictness::Strict
            } else {
                Strictness::Lenient
            },
            ..Options::default()
        };
        let loaded = load(&sources, &options);
        let db = loaded.database.unwrap_or_else(|| {
            panic!(
                "{version} does not load:\n{}",
                loaded.diagnostics.render(&sources)
            )
        });
        let expected = std::fs::read_to_string(path.join("sysreg-defs.h")).unwrap();
        let actual = codegen::c_header::generate(&db);
        if let Some(diff) = first_difference(&expected, &actual) {
            panic!("{version}: C header differs from the kernel's: {diff}");
        }
        checked += 1;
    }
    assert!(
        checked >= 3,
        "expected the three corpus versions, checked {checked}"
    );
}

#[test]
fn the_2025_database_has_one_dangling_fields_reference() {
    // MPAM1_EL12 says `Fields MPAM1_ELx`, which no SysregFields defines: reported as a warning.
    let (_, path) = corpus_versions()
        .into_iter()
        .find(|(v, _)| v == "linux-2025-v6.19")
        .expect("linux-2025-v6.19 is in the corpus");
    let sources = sources(&path);
    let loaded = load(&sources, &Options::default());
    let warnings: Vec<_> = loaded
        .diagnostics
        .iter()
        .filter(|d| !d.is_error())
        .collect();
    assert_eq!(warnings.len(), 1, "{}", loaded.diagnostics.render(&sources));
    assert_eq!(warnings[0].code, Code::UnknownFieldSet);
    assert!(warnings[0].message.contains("MPAM1_ELx"));
}

#[test]
fn corpus_figures_match_the_readme() {
    // The corpus README gives register and field-set counts; the IR must agree.
    let expected = [
        ("linux-2022-v6.1", 50),
        ("linux-2023-v6.5", 94),
        ("linux-2025-v6.19", 322),
    ];
    for (version, path) in corpus_versions() {
        let Some(&(_, regs)) = expected.iter().find(|(v, _)| *v == version) else {
            continue;
        };
        let loaded = load(&sources(&path), &Options::lenient());
        let db = loaded.database.expect("loads leniently");
        assert_eq!(db.registers.len(), regs, "{version}");
    }
}

#[test]
fn split_into_several_files_gives_the_same_header() {
    // Several input files are read as one database: cutting the newest database into three
    // files at block boundaries must not change the header.
    let (_, path) = corpus_versions()
        .into_iter()
        .find(|(v, _)| v == "linux-2025-v6.19")
        .expect("linux-2025-v6.19 is in the corpus");
    let text = std::fs::read_to_string(path.join("sysreg")).unwrap();
    let starts: Vec<usize> = text.match_indices("\nSysreg").map(|(i, _)| i + 1).collect();
    let (a, b) = (starts[starts.len() / 3], starts[2 * starts.len() / 3]);
    let mut split = SourceMap::new();
    for (i, part) in [&text[..a], &text[a..b], &text[b..]].iter().enumerate() {
        split.add(SourceFile::new(format!("part{i}"), part.as_bytes()));
    }
    let loaded = load(&split, &Options::default());
    let db = loaded.database.expect("the split database loads");
    let expected = std::fs::read_to_string(path.join("sysreg-defs.h")).unwrap();
    let actual = codegen::c_header::generate(&db);
    if let Some(diff) = first_difference(&expected, &actual) {
        panic!("split input: {diff}");
    }
    // Items keep the file they came from.
    let last = db.registers.last().unwrap();
    assert_eq!(split.file(last.loc.file).name, "part2");
}
