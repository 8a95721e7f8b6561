//! Hostile and degenerate inputs: each must give clear, located errors (or load cleanly), never
//! a panic, a flood of diagnostics, or unbounded time.
//!
//! Every input also goes through [`support::exercise`], which checks every diagnostic location,
//! rendering, the strict/lenient contract and, for an accepted input, the IR and the C header.
//! Timings are printed; run with `-- --nocapture` to see them. `ROBUSTNESS_MB` (default 100) sets
//! the size of the two big inputs.
//!
//! Two tests record library bugs found by this suite and fail until they are fixed:
//! `diagnostics_cap_never_hides_every_error` and
//! `second_mapping_note_underlines_the_first_target_name`.

mod support;

use std::time::Instant;
use support::{exercise, load_bytes, Rng};
use sysreg_db::{Code, Diagnostic, Loaded, Options, SourceMap};

/// `exercise` on one in-memory file, failing the test with the violation.
fn exercise_one(name: &str, bytes: &[u8]) -> support::Outcome {
    exercise(&[(name.to_string(), bytes.to_vec())]).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn strict(bytes: &[u8]) -> (SourceMap, Loaded) {
    load_bytes(bytes, &Options::default())
}

fn with_code(loaded: &Loaded, code: Code) -> Vec<&Diagnostic> {
    loaded
        .diagnostics
        .iter()
        .filter(|d| d.code == code)
        .collect()
}

fn dump(sources: &SourceMap, loaded: &Loaded) -> String {
    loaded.diagnostics.render(sources)
}

/// Asserts the input is rejected with an error `code` at `line:col`.
#[track_caller]
fn assert_error_at(bytes: &[u8], code: Code, line: u32, col: u32) {
    let text = String::from_utf8_lossy(bytes);
    exercise_one("input", bytes);
    let (sources, loaded) = strict(bytes);
    assert!(loaded.database.is_none(), "accepted:\n{text}");
    let found = loaded.diagnostics.iter().any(|d| {
        d.is_error() && d.code == code && d.span.loc.line == line && d.span.loc.col == col
    });
    assert!(
        found,
        "expected error {} at {line}:{col} for\n{text}\ngot:\n{}",
        code.as_str(),
        dump(&sources, &loaded)
    );
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let r = f();
    println!("{what}: {:.2} s", t.elapsed().as_secs_f64());
    r
}

const MINIMAL: &str = "Sysreg\tFOO_EL1\t3\t0\t1\t2\t3\nRes0\t63:1\nField\t0\tEN\nEndSysreg\n";

// ---- garbage ------------------------------------------------------------------------------

#[test]
fn binary_garbage_is_rejected_with_located_errors() {
    let mut rng = Rng::new(0xb1a5_fee1);
    let mut inputs: Vec<(String, Vec<u8>)> = (0..8)
        .map(|i| (format!("random-{i}"), rng.bytes(64 * 1024)))
        .collect();
    inputs.push(("all-bytes".into(), (0..=255u8).cycle().take(4096).collect()));
    inputs.push(("no-newline".into(), {
        let mut b = rng.bytes(64 * 1024);
        b.retain(|&c| c != b'\n');
        b
    }));
    // Printable garbage: words, blanks and newlines, but no directive.
    inputs.push(("printable".into(), {
        let alphabet = b"abcXYZ019:_# \t\n";
        (0..64 * 1024)
            .map(|_| alphabet[rng.below(alphabet.len())])
            .collect()
    }));
    for (name, bytes) in &inputs {
        let outcome = exercise_one(name, bytes);
        assert!(
            !outcome.strict_accepted && !outcome.lenient_accepted,
            "{name} accepted"
        );
        let (_, loaded) = strict(bytes);
        assert!(loaded.diagnostics.error_count() > 0, "{name}: no error");
    }
    // Invalid UTF-8 is reported once, where it first occurs.
    let (_, loaded) = strict(&inputs[0].1);
    let utf8 = with_code(&loaded, Code::InvalidUtf8);
    assert_eq!(utf8.len(), 1, "one InvalidUtf8 diagnostic per file");
}

#[test]
fn invalid_utf8_points_at_the_first_bad_byte() {
    let mut bytes = MINIMAL.as_bytes().to_vec();
    // Line 3 is `Field\t0\tEN`; put 0xff inside the name: column 10 (after `Field\t0\tE`).
    let at = MINIMAL.find("EN").unwrap() + 1;
    bytes.insert(at, 0xff);
    assert_error_at(&bytes, Code::InvalidUtf8, 3, 10);
    // A truncated multi-byte character at the very end of the file.
    let mut bytes = MINIMAL.as_bytes().to_vec();
    bytes.extend_from_slice(&[0xe2, 0x82]);
    assert_error_at(&bytes, Code::InvalidUtf8, 5, 1);
}

// ---- line endings, empty and degenerate files ------------------------------------------------

#[test]
fn crlf_corpus_file_gives_one_carriage_return_diagnostic() {
    let (name, bytes) = support::newest_corpus_file();
    let lines = bytes.iter().filter(|&&b| b == b'\n').count();
    let mut crlf = Vec::with_capacity(bytes.len() + lines);
    for &b in &bytes {
        if b == b'\n' {
            crlf.push(b'\r');
        }
        crlf.push(b);
    }
    let outcome = timed("CRLF corpus, strict + lenient + checks", || {
        exercise_one(&name, &crlf)
    });
    assert!(!outcome.strict_accepted);
    let (sources, loaded) = strict(&crlf);
    let cr = with_code(&loaded, Code::CarriageReturn);
    assert_eq!(cr.len(), 1, "{}", dump(&sources, &loaded));
    assert_eq!(
        loaded.diagnostics.error_count(),
        1,
        "only the line endings are wrong:\n{}",
        dump(&sources, &loaded)
    );
    let first_line = bytes.split(|&b| b == b'\n').next().unwrap();
    assert_eq!(cr[0].span.loc.line, 1);
    assert_eq!(
        cr[0].span.loc.col as usize,
        first_line.len() + 1,
        "caret on the \\r"
    );
    assert!(
        cr[0].message.contains(&lines.to_string()),
        "the message counts the {lines} CRLF lines: {}",
        cr[0].message
    );
}

#[test]
fn empty_and_blank_files_load_as_empty_databases() {
    for input in ["", "\n", "\n\n\n"] {
        let outcome = exercise_one("empty", input.as_bytes());
        assert!(outcome.strict_accepted, "{input:?}");
        let (_, loaded) = strict(input.as_bytes());
        assert_eq!(loaded.diagnostics.iter().count(), 0, "{input:?}");
        let db = loaded.database.unwrap();
        assert!(db.registers.is_empty() && db.field_sets.is_empty());
        let header = codegen::c_header::generate(&db);
        assert!(
            header.starts_with("#ifndef __ASM_SYSREG_DEFS_H\n"),
            "{header}"
        );
        assert!(!header.contains("#define REG_"), "{header}");
    }
}

#[test]
fn only_comments_load_as_an_empty_database() {
    let input = "# a comment\n\t# indented\n   #\n#\n\n# last, no newline";
    exercise_one("comments", input.as_bytes());
    let (_, loaded) = strict(input.as_bytes());
    assert_eq!(loaded.diagnostics.iter().count(), 0);
    assert!(loaded.database.unwrap().registers.is_empty());
}

#[test]
fn whitespace_only_line_is_one_located_error() {
    let input = format!("{MINIMAL} \t \n{MINIMAL}");
    assert_error_at(input.as_bytes(), Code::WhitespaceOnlyLine, 5, 1);
}

#[test]
fn missing_final_newline_changes_nothing() {
    let (name, bytes) = support::newest_corpus_file();
    assert_eq!(bytes.last(), Some(&b'\n'));
    let trimmed = &bytes[..bytes.len() - 1];
    exercise_one(&name, trimmed);
    let (_, with) = load_bytes(&bytes, &Options::lenient());
    let (_, without) = load_bytes(trimmed, &Options::lenient());
    let (with, without) = (with.database.unwrap(), without.database.unwrap());
    assert_eq!(
        codegen::c_header::generate(&with),
        codegen::c_header::generate(&without)
    );
    // A register ending right at EOF.
    let small = MINIMAL.trim_end_matches('\n');
    let (_, loaded) = strict(small.as_bytes());
    assert_eq!(loaded.diagnostics.iter().count(), 0);
    assert!(loaded.database.unwrap().register("FOO_EL1").is_some());
}

// ---- NUL bytes ------------------------------------------------------------------------------

#[test]
fn nul_bytes_are_located_errors() {
    // NUL is not a blank: `Sysreg\0FOO_EL1` is one unknown word.
    let input = MINIMAL.replacen('\t', "\0", 1);
    assert_error_at(input.as_bytes(), Code::UnknownDirective, 1, 1);
    // Inside a name (`E\0N` at line 3 column 9).
    let input = MINIMAL.replace("EN", "E\0N");
    assert_error_at(input.as_bytes(), Code::InvalidName, 3, 9);
    // A line of NULs inside a block.
    let input = MINIMAL.replace("Res0\t63:1\n", "\0\0\0\nRes0\t63:1\n");
    assert_error_at(input.as_bytes(), Code::UnknownDirective, 2, 1);
    // Only NULs.
    let input = vec![0u8; 4096];
    assert_error_at(&input, Code::UnknownDirective, 1, 1);
    // The snippet shows NUL as U+FFFD, never the raw byte.
    let input = MINIMAL.replace("EN", "E\0N");
    let (sources, loaded) = strict(input.as_bytes());
    let d = with_code(&loaded, Code::InvalidName)[0];
    let rendered = d.render(&sources);
    let snippet: String = rendered.lines().skip(1).collect();
    assert!(!snippet.contains('\0'), "{rendered:?}");
}

// ---- unterminated blocks --------------------------------------------------------------------

#[test]
fn unterminated_blocks_at_eof_point_at_their_opening_line() {
    // Sysreg without EndSysreg.
    let input = MINIMAL.replace("EndSysreg\n", "");
    assert_error_at(input.as_bytes(), Code::UnclosedBlock, 1, 1);
    // SysregFields without EndSysregFields, after a complete register.
    let input = format!("{MINIMAL}\nSysregFields\tX_ELx\nField\t63:0\tALL\n");
    assert_error_at(input.as_bytes(), Code::UnclosedBlock, 6, 1);
    // An Enum open at EOF (line 3), inside an open Sysreg (line 1).
    let input = "Sysreg\tFOO_EL1\t3\t0\t1\t2\t3\nRes0\t63:4\nEnum\t3:0\tE\n\t0b0000\tA\n";
    assert_error_at(input.as_bytes(), Code::UnclosedBlock, 3, 1);
    assert_error_at(input.as_bytes(), Code::UnclosedBlock, 1, 1);
    // A Prefix open at EOF (line 2).
    let input = "Sysreg\tFOO_EL1\t3\t0\t1\t2\t3\nPrefix\tFEAT_X\nField\t63:0\tALL\n";
    assert_error_at(input.as_bytes(), Code::UnclosedBlock, 2, 1);
    // The last line is the opening line itself, with no newline after it.
    let input = "Sysreg\tFOO_EL1\t3\t0\t1\t2\t3";
    assert_error_at(input.as_bytes(), Code::UnclosedBlock, 1, 1);
    // Every corpus file cut at every 97th line: never a panic, always located diagnostics.
    for (name, bytes) in support::corpus_files() {
        let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
        for cut in (1..lines.len()).step_by(97) {
            let head = lines[..cut].join(&b'\n');
            exercise_one(&format!("{name} cut at line {cut}"), &head);
        }
    }
}

// ---- numbers --------------------------------------------------------------------------------

#[test]
fn numbers_past_u64_in_bit_ranges_are_located_errors() {
    let reg = |field: &str| format!("Sysreg\tFOO_EL1\t3\t0\t1\t2\t3\n{field}\nEndSysreg\n");
    let cases = [
        ("Field\t99999999999999999999999:0\tX", Code::BitOutOfRange),
        ("Field\t63:99999999999999999999999\tX", Code::BitOutOfRange),
        ("Field\t18446744073709551616\tX", Code::BitOutOfRange),
        ("Res0\t18446744073709551615:0", Code::BitOutOfRange),
        (
            "Res0\t18446744073709551616:18446744073709551616",
            Code::BitOutOfRange,
        ),
        ("Res0\t64:0", Code::BitOutOfRange),
        ("Res0\t-1", Code::BitRangeSyntax),
        ("Res0\t63:-1", Code::BitRangeSyntax),
        ("Res0\t1:2:3", Code::BitRangeSyntax),
        ("Res0\t0:63", Code::BitRangeReversed),
        (
            "Unkn\t999999999999999999999999999999999999999999999999999999999999999999999999:0",
            Code::BitOutOfRange,
        ),
    ];
    for (line, code) in cases {
        let col = line.find('\t').unwrap() as u32 + 2;
        assert_error_at(reg(line).as_bytes(), code, 2, col);
    }
}

#[test]
fn numbers_past_u64_in_encodings_are_located_errors() {
    let huge = "99999999999999999999999";
    for (i, op) in ["op0", "op1", "CRn", "CRm", "op2"].iter().enumerate() {
        for bad in [huge, "18446744073709551616", "-1", "256", "0x3", ""] {
            let mut ops = ["3", "0", "1", "2", "3"];
            ops[i] = bad;
            let line = format!("Sysreg\tFOO_EL1\t{}", ops.join("\t"));
            let input = format!("{line}\nRes0\t63:0\nEndSysreg\n");
            if bad.is_empty() {
                // A missing operand: a word-count error right after the last word.
                exercise_one(op, input.as_bytes());
                let (_, loaded) = strict(input.as_bytes());
                assert!(
                    !with_code(&loaded, Code::WrongFieldCount).is_empty(),
                    "{op} missing"
                );
                continue;
            }
            // Column of the operand: after `Sysreg\tFOO_EL1\t` and the operands before it.
            let col = line.len() as u32 - ops[i..].join("\t").len() as u32 + 1;
            assert_error_at(input.as_bytes(), Code::EncodingNotNumber, 1, col);
        }
        // In range for a u8 but not for the operand: a (lenient-relaxable) range error.
        let mut ops = ["3", "0", "1", "2", "3"];
        ops[i] = "200";
        let input = format!(
            "Sysreg\tFOO_EL1\t{}\nRes0\t63:0\nEndSysreg\n",
            ops.join("\t")
        );
        let (_, loaded) = strict(input.as_bytes());
        assert_eq!(
            with_code(&loaded, Code::EncodingOutOfRange).len(),
            1,
            "{op}"
        );
        exercise_one(op, input.as_bytes());
    }
}

#[test]
fn enum_values_past_u64_are_located_errors() {
    let wide = format!("0b{}", "1".repeat(65));
    let input = format!(
        "Sysreg\tFOO_EL1\t3\t0\t1\t2\t3\nRes0\t63:4\nEnum\t3:0\tE\n\t{wide}\tBIG\n\t0b0002\tTWO\nEndEnum\nEndSysreg\n"
    );
    assert_error_at(input.as_bytes(), Code::EnumValueTooWide, 4, 2);
    assert_error_at(input.as_bytes(), Code::EnumValueNotBinary, 5, 2);
    // Lenient: both are warnings, the header pastes the spellings verbatim.
    let (_, loaded) = load_bytes(input.as_bytes(), &Options::lenient());
    let header = codegen::c_header::generate(loaded.database.as_ref().expect("lenient accepts"));
    assert!(header.contains(&format!("UL({wide})")), "{header}");
    assert!(header.contains("UL(0b0002)"), "{header}");
}

// ---- size -----------------------------------------------------------------------------------

#[test]
fn single_megabyte_lines() {
    let mb = 1 << 20;
    let cases: Vec<(&str, String, Code)> = vec![
        ("1 MB word", "A".repeat(mb), Code::UnknownDirective),
        (
            "1 MB of words in a Sysreg",
            format!(
                "Sysreg\tFOO_EL1\t3\t0\t1\t2\t3\n{}\n",
                "Res0 ".repeat(mb / 5)
            ),
            Code::WrongFieldCount,
        ),
        (
            "1 MB field name",
            format!(
                "Sysreg\tFOO_EL1\t3\t0\t1\t2\t3\nField\t63:0\t{}\nEndSysreg\n",
                "é".repeat(mb / 2)
            ),
            Code::InvalidName,
        ),
        (
            "1 MB enum value",
            format!(
                "Sysreg\tFOO_EL1\t3\t0\t1\t2\t3\nEnum\t63:0\tE\n\t0b{}\tX\nEndEnum\nEndSysreg\n",
                "1".repeat(mb)
            ),
            Code::EnumValueTooWide,
        ),
        (
            "1 MB bit range",
            format!(
                "Sysreg\tFOO_EL1\t3\t0\t1\t2\t3\nRes0\t{}:0\nEndSysreg\n",
                "9".repeat(mb)
            ),
            Code::BitOutOfRange,
        ),
        (
            "1 MB of blanks then a directive",
            format!("{}EndSysreg\n", " \t".repeat(mb / 2)),
            Code::MisplacedDirective,
        ),
    ];
    for (what, input, code) in cases {
        let t = Instant::now();
        exercise_one(what, input.as_bytes());
        let (sources, loaded) = strict(input.as_bytes());
        assert!(
            !with_code(&loaded, code).is_empty(),
            "{what}: no {}:\n{}",
            code.as_str(),
            dump(&sources, &loaded)
        );
        // The snippet is cut around the caret: no rendered source line is megabytes long.
        let rendered = dump(&sources, &loaded);
        let longest_snippet = rendered
            .lines()
            .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0);
        assert!(
            longest_snippet < 200,
            "{what}: snippet of {longest_snippet} chars"
        );
        println!(
            "{what}: {:.2} s, rendered diagnostics {} bytes",
            t.elapsed().as_secs_f64(),
            rendered.len()
        );
    }
}

/// The newest corpus file repeated `copies` times with every Sysreg and SysregFields renamed
/// (`_R<i>` appended, also in `Fields`/`Mapping` targets), so the result is a valid database in
/// which only the encodings repeat (a warning).
fn repeated_corpus(copies: usize) -> Vec<u8> {
    let (_, bytes) = support::newest_corpus_file();
    let text = String::from_utf8(bytes).expect("corpus is UTF-8");
    // The file as runs of text, each followed (or not) by a place where `_R<i>` goes.
    let mut pieces: Vec<(&str, bool)> = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let offset = line.as_ptr() as usize - text.as_ptr() as usize;
        let mut words = line.split([' ', '\t', '\n']).filter(|w| !w.is_empty());
        if let (Some("Sysreg" | "SysregFields" | "Fields" | "Mapping"), Some(name)) =
            (words.next(), words.next())
        {
            let name_at = name.as_ptr() as usize - text.as_ptr() as usize;
            let cut = name_at + name.len();
            debug_assert!(cut > offset);
            pieces.push((&text[start..cut], true));
            start = cut;
        }
    }
    pieces.push((&text[start..], false));
    let mut out = Vec::with_capacity(text.len() * copies + copies * 8000);
    for i in 0..copies {
        let suffix = format!("_R{i}");
        for &(piece, rename) in &pieces {
            out.extend_from_slice(piece.as_bytes());
            if rename {
                out.extend_from_slice(suffix.as_bytes());
            }
        }
    }
    out
}

/// Size of the big inputs, in MB: `ROBUSTNESS_MB` (default 100).
fn big_mb() -> usize {
    std::env::var("ROBUSTNESS_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
}

#[test]
fn hundred_megabyte_valid_input() {
    let (_, one) = support::newest_corpus_file();
    let copies = big_mb() * 1_000_000 / one.len() + 1;
    let input = timed("building the big input", || repeated_corpus(copies));
    assert!(input.len() >= big_mb() * 1_000_000, "{} bytes", input.len());
    let (sources, loaded) = timed(
        &format!(
            "loading {:.0} MB ({copies} renamed copies of the newest corpus file), strict",
            input.len() as f64 / 1e6
        ),
        || load_bytes(&input, &Options::default()),
    );
    let newlines = support::newline_counts(&sources);
    for d in loaded.diagnostics.iter() {
        support::check_diagnostic(&sources, &newlines, d).unwrap();
    }
    let db = loaded.database.as_ref().unwrap_or_else(|| {
        panic!(
            "rejected: {} errors\n{}",
            loaded.diagnostics.error_count(),
            loaded
                .diagnostics
                .iter()
                .take(5)
                .map(|d| d.render(&sources))
                .collect::<String>()
        )
    });
    let (_, single) = strict(&support::newest_corpus_file().1);
    let per_copy = single.database.unwrap().registers.len();
    assert_eq!(db.registers.len(), per_copy * copies);
    // Every repeated encoding is a warning; only max_diagnostics of them are kept.
    assert!(loaded.diagnostics.warning_count() >= per_copy * (copies - 1));
    assert_eq!(loaded.diagnostics.iter().count(), 1000);
    timed("checking the IR of the big input", || {
        support::check_database(db).unwrap()
    });
    drop(loaded);
    // The C header of a tenth of it (the whole one would be over 1 GB): its size is linear in
    // the number of copies.
    let tenth = (copies / 10).max(1);
    let (_, loaded) = load_bytes(&repeated_corpus(tenth), &Options::default());
    let db = loaded.database.expect("a part of a valid input is valid");
    let header = timed(
        &format!("generating the C header for {tenth} copies"),
        || codegen::c_header::generate(&db),
    );
    let one_header = {
        let (_, loaded) = load_bytes(&repeated_corpus(1), &Options::default());
        codegen::c_header::generate(&loaded.database.unwrap())
    };
    let frame = codegen::c_header::generate(&Default::default()).len();
    let per_copy = one_header.len() - frame;
    println!("header: {:.0} MB", header.len() as f64 / 1e6);
    // Each copy's macros are as long as the first copy's, plus its longer `_R<i>` suffixes.
    assert!(
        header.len() >= frame + tenth * per_copy,
        "{} bytes",
        header.len()
    );
    assert!(
        header.len() <= frame + tenth * per_copy * 11 / 10,
        "{} bytes",
        header.len()
    );
}

#[test]
fn hundred_megabyte_garbage_keeps_max_diagnostics() {
    // Lines that are each wrong in a different way, cycled to 100 MB.
    let lines = [
        "Field\t63:0\tOUTSIDE",
        "garbage words here",
        "EndEnum",
        " \t ",
        "Sysreg\tR\t3\t0\t1\t2\t3",
        "Res0\t99999999999999999999999",
        "\t0b0002\tX",
        "EndSysreg\textra",
    ];
    let size = big_mb() * 1_000_000;
    let mut input = Vec::with_capacity(size + 100);
    let mut count = 0usize;
    while input.len() < size {
        input.extend_from_slice(lines[count % lines.len()].as_bytes());
        input.push(b'\n');
        count += 1;
    }
    let options = Options {
        max_diagnostics: 1000,
        ..Options::default()
    };
    let (sources, loaded) = timed(
        &format!(
            "loading {:.0} MB of garbage ({count} lines)",
            input.len() as f64 / 1e6
        ),
        || load_bytes(&input, &options),
    );
    let diags = &loaded.diagnostics;
    assert!(loaded.database.is_none());
    assert_eq!(diags.iter().count(), 1000, "at most max_diagnostics kept");
    assert!(
        diags.error_count() >= count / 2,
        "every error is counted: {} for {count} lines",
        diags.error_count()
    );
    assert_eq!(
        diags.dropped(),
        diags.error_count() + diags.warning_count() - 1000
    );
    let rendered = timed("rendering the kept diagnostics", || diags.render(&sources));
    assert!(
        rendered.contains(&format!("... and {} more diagnostics", diags.dropped())),
        "{}",
        &rendered[rendered.len().saturating_sub(300)..]
    );
    let newlines = support::newline_counts(&sources);
    for d in diags.iter() {
        support::check_diagnostic(&sources, &newlines, d).unwrap();
    }
    println!(
        "{} errors, {} warnings counted, {} kept",
        diags.error_count(),
        diags.warning_count(),
        diags.iter().count()
    );
}

#[test]
fn diagnostics_cap_counts_everything() {
    let input = "nonsense\n".repeat(5000);
    for (cap, kept) in [(1, 1), (7, 7), (1000, 1000), (0, 5000), (10_000, 5000)] {
        let options = Options {
            max_diagnostics: cap,
            ..Options::default()
        };
        let (sources, loaded) = load_bytes(input.as_bytes(), &options);
        let diags = &loaded.diagnostics;
        assert_eq!(diags.iter().count(), kept, "cap {cap}");
        assert_eq!(diags.error_count(), 5000, "cap {cap}");
        assert_eq!(diags.dropped(), 5000 - kept, "cap {cap}");
        let summary = diags.render(&sources);
        assert!(summary.ends_with("5000 errors, 0 warnings\n"), "cap {cap}");
    }
}

/// Found by this suite: when warnings fill the cap first, a rejected input shows no error at
/// all (the summary says "1 error" but none is printed). Fails until the cap keeps room for
/// errors (or errors replace kept warnings).
#[test]
fn diagnostics_cap_never_hides_every_error() {
    // Lenient: invalid names are warnings. Three of them, then one error.
    let input = "Sysreg\tFOO-1\t3\t0\t1\t2\t3\nField\t63:1\tA-B\nField\t0\tC-D\nEndSysreg\n\
                 Sysreg\tBAR_EL1\t3\t0\t1\t2\t4\nEndSysreg\n";
    let options = Options {
        max_diagnostics: 3,
        ..Options::lenient()
    };
    let (sources, loaded) = load_bytes(input.as_bytes(), &options);
    assert!(loaded.database.is_none());
    assert_eq!(loaded.diagnostics.error_count(), 1);
    assert!(
        loaded.diagnostics.iter().any(|d| d.is_error()),
        "rejected, but the {} kept diagnostics are all warnings:\n{}",
        loaded.diagnostics.iter().count(),
        dump(&sources, &loaded)
    );
}

// ---- regressions found by the fuzzer ---------------------------------------------------------

/// Found by `fuzz.rs` (FUZZ_MUTANT=0x49b846ec0d6f2ace with the default seed): since
/// `Reference::loc` points at the target name (f51fed9), the "the first one is here" note of a
/// second `Fields`/`Mapping` line still uses the width of the directive word, so it underlines
/// past the name, and past the end of the line when the name is shorter than `Mapping`/`Fields`.
/// Fails until the note's width is the name's (`r.name.chars().count()`).
#[test]
fn second_mapping_note_underlines_the_first_target_name() {
    let input = "Sysreg\tFOO_EL12\t3\t5\t1\t0\t2\nMapping\tX\nMapping\tFOO_EL1\nEndSysreg\n";
    let (sources, loaded) = strict(input.as_bytes());
    let d = with_code(&loaded, Code::FieldsNotFirst);
    assert_eq!(d.len(), 1, "{}", dump(&sources, &loaded));
    let note = d[0].notes[0]
        .span
        .expect("the note points at the first line");
    assert_eq!((note.loc.line, note.loc.col), (2, 9), "at the name `X`");
    assert_eq!(
        note.len,
        1,
        "the note underlines the name `X` only:\n{}",
        d[0].render(&sources)
    );
    exercise_one("second Mapping", input.as_bytes());
}

// ---- time: large single blocks ----------------------------------------------------------------

/// Builds one Sysreg whose layout has `n` Field lines (all but the first misplaced), or one Enum
/// with `n` values.
fn big_block(kind: &str, n: usize) -> Vec<u8> {
    let mut s = String::from("Sysreg\tFOO_EL1\t3\t0\t1\t2\t3\n");
    match kind {
        "fields" => {
            for i in 0..n {
                s.push_str(&format!("Field\t0\tF{i}\n"));
            }
        }
        _ => {
            s.push_str("Enum\t63:0\tE\n");
            for i in 0..n {
                s.push_str(&format!("\t0b{i:b}\tV{i}\n"));
            }
            s.push_str("EndEnum\n");
        }
    }
    s.push_str("EndSysreg\n");
    s.into_bytes()
}

/// One block with many lines must load in time linear in its size (an earlier parser scanned
/// every previous field / enum value for duplicates, so one 100 MB block would take days).
/// Compares the best of three runs of `n` and `8n` lines: linear is about 8x, quadratic 64x.
#[test]
fn large_blocks_load_in_linear_time() {
    let n = 4_000;
    for kind in ["fields", "enum values"] {
        let best = |lines: usize| {
            let input = big_block(kind, lines);
            (0..3)
                .map(|_| {
                    let t = Instant::now();
                    let (sources, loaded) = strict(&input);
                    let elapsed = t.elapsed().as_secs_f64();
                    let newlines = support::newline_counts(&sources);
                    for d in loaded.diagnostics.iter() {
                        support::check_diagnostic(&sources, &newlines, d).unwrap();
                    }
                    elapsed
                })
                .fold(f64::MAX, f64::min)
        };
        let (small, large) = (best(n), best(8 * n));
        println!(
            "one Sysreg with {n} / {} {kind}: {small:.3} s / {large:.3} s (x{:.1})",
            8 * n,
            large / small
        );
        assert!(
            large < 24.0 * small + 0.05,
            "8x the {kind} took {:.1}x the time ({small:.3} s -> {large:.3} s): quadratic?",
            large / small
        );
    }
}
