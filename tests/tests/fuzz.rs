//! A small, dependency-free mutation fuzzer for the loader and the C-header emitter.
//!
//! Starts from the real kernel databases in `../../shared/sysreg-corpus/*/sysreg` (the test fails
//! if that folder is missing) and a few synthetic seeds, crops them to a few blocks, and applies
//! random structure-aware mutations (delete/duplicate/swap/move lines and blocks, replace or
//! insert words — other directives, `99999999999999999999999`, `-1`, `64:0`, `0b0002`, ... —,
//! split fields, rename registers, CRLF, tabs, spaces-only lines, NUL and invalid UTF-8, huge
//! lines, splices of two files, several input files) and byte-level ones (flips, truncation).
//! Every mutant is loaded strict and lenient, and [`support::exercise`] checks that nothing
//! panics, every diagnostic (and note) points inside its file, a rejected input has an error,
//! rendering works, strict and lenient mode report the same things, and a returned database
//! covers bits 63..0 of every layout exactly once and renders as a C header.
//!
//! Environment:
//! - `FUZZ_SECONDS` (default 20): time budget; `FUZZ_ITERATIONS` (default 1,000,000): mutant cap.
//! - `FUZZ_SEED` (default fixed): the run's seed, decimal or `0x` hex; `random` picks one
//!   (printed). A given seed always produces the same sequence of mutants.
//! - `FUZZ_MUTANT=<seed>`: rebuild and check only the mutant with that seed (printed on failure).
//! - `FUZZ_REPLAY=<file>[,<file>...]`: check those files (as one multi-file input) instead;
//!   relative paths are relative to the `tests` crate (the test's working directory).
//!
//! A failing input is written to `target/fuzz-failures/` and its seeds are printed.
//! Run with `cargo test -p sysreg-tests --test fuzz -- --nocapture` to see the statistics.

mod support;

use std::collections::BTreeSet;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::{Outcome, Rng};

const DEFAULT_SEED: u64 = 0x5eed_0000_5157_5e6d;
const DEFAULT_SECONDS: f64 = 20.0;
const DEFAULT_ITERATIONS: u64 = 1_000_000;
/// Stop after this many distinct failures (see [`signature`]).
const MAX_FAILURES: usize = 5;

const DIRECTIVES: &[&str] = &[
    "Sysreg",
    "EndSysreg",
    "SysregFields",
    "EndSysregFields",
    "Fields",
    "Mapping",
    "Field",
    "Res0",
    "Res1",
    "Unkn",
    "Raz",
    "Enum",
    "SignedEnum",
    "UnsignedEnum",
    "EndEnum",
    "Prefix",
    "EndPrefix",
];

/// Words worth trying in any position.
const TOKENS: &[&str] = &[
    "99999999999999999999999",
    "18446744073709551615",
    "18446744073709551616",
    "-1",
    "64:0",
    "63:64",
    "0:63",
    "63:0",
    "1:2:3",
    "63-0",
    ":",
    "7:",
    ":7",
    "0b0002",
    "0b",
    "0b1",
    "0B1",
    "0x1",
    "0b11111111111111111111111111111111111111111111111111111111111111111",
    "0",
    "63",
    "64",
    "255",
    "256",
    "#",
    "#comment",
    "FOO_EL1",
    "ID_AA64PFR0_EL1",
    "SMCR_ELx",
    "FEAT_X",
    "NAME",
    "é",
    "\u{1f980}",
    "\u{feff}",
    "a\u{0}b",
    "Sysreg128",
    "FieldX",
    "sysreg",
];

const INVALID_UTF8: &[&[u8]] = &[
    &[0xff],
    &[0xfe, 0xfe, 0xff, 0xff],
    &[0x80],
    &[0xc3],
    &[0xc0, 0xaf],
    &[0xe2, 0x82],
    &[0xed, 0xa0, 0x80],
    &[0xf4, 0x90, 0x80, 0x80],
    &[0xf0, 0x9f, 0xa6],
];

const INTERESTING_BYTES: &[u8] = &[
    b'\t', b' ', b'\n', b'\r', 0, b'#', b':', b'0', b'1', b'b', b'-', 0x0b, 0x0c, 0x7f, 0x80, 0xff,
];

/// Small hand-written inputs using every directive.
const SYNTHETIC_SEEDS: &[&str] = &[
    "Sysreg\tFOO_EL1\t3\t0\t1\t2\t3\nRes0\t63:1\nField\t0\tEN\nEndSysreg\n",
    "# comment\n\
     SysregFields\tZCR_ELx\n\
     Res0\t63:9\n\
     Raz\t8:4\n\
     Field\t3:0\tLEN\n\
     EndSysregFields\n\
     \n\
     Sysreg\tZCR_EL1\t3\t0\t1\t2\t0\n\
     Fields\tZCR_ELx\n\
     EndSysreg\n\
     \n\
     Sysreg\tZCR_EL12\t3\t5\t1\t2\t0\n\
     Mapping\tZCR_EL1\n\
     EndSysreg\n",
    "Sysreg\tICH_VMCR_EL2\t3\t4\t12\t11\t7\n\
     Prefix\tFEAT_GCIE\n\
     Res0\t63:32\n\
     Field\t31:27\tVPMR\n\
     Res0\t26:1\n\
     Field\t0\tEN\n\
     EndPrefix\n\
     Res0\t63:32\n\
     Field\t31:24\tVPMR\n\
     Res1\t23:10\n\
     Unkn\t9:1\n\
     Field\t0\tVENG0\n\
     EndSysreg\n",
    "Sysreg\tCTR_EL0\t3\t3\t0\t0\t1\n\
     Res0\t63:38\n\
     SignedEnum\t37:34\tDoubleLock\n\
     \t0b0000\tIMP\n\
     \t0b1111\tNI\n\
     EndEnum\n\
     UnsignedEnum\t33:32\tVer\n\
     \t# indented comment inside an Enum\n\
     \t0b00\tV0\n\
     \t0b01\tV1\n\
     EndEnum\n\
     Enum\t31:30\tL1Ip\n\
     \t0b00\tRESERVED_VPIPT\n\
     \t0b11\tPIPT\n\
     EndEnum\n\
     Field\t29:0\tREST\n\
     EndSysreg\n",
    "SysregFields\tPFX_ELx\n\
     Prefix\tFEAT_A\n\
     Field\t63:0\tALL\n\
     EndPrefix\n\
     Res0\t63:1\n\
     Raz\t0\n\
     EndSysregFields\n",
];

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a valid value")),
        _ => default,
    }
}

fn parse_seed(text: &str) -> u64 {
    let t = text.trim();
    let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => t.parse(),
    };
    parsed.unwrap_or_else(|_| panic!("seed {text:?} is neither decimal, 0x hex, nor `random`"))
}

/// `FUZZ_SEED`: fixed by default, `random` draws one from the clock.
fn run_seed() -> u64 {
    match std::env::var("FUZZ_SEED") {
        Ok(v) if v.trim() == "random" => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            Rng::new(nanos ^ u64::from(std::process::id()).rotate_left(32)).next_u64()
        }
        Ok(v) if !v.trim().is_empty() => parse_seed(&v),
        _ => DEFAULT_SEED,
    }
}

// ---- line and word helpers ------------------------------------------------------------------

fn split_lines(data: &[u8]) -> Vec<Vec<u8>> {
    data.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect()
}

fn join_lines(lines: &[Vec<u8>]) -> Vec<u8> {
    lines.join(&b'\n')
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Byte ranges of the blank-separated words of a line.
fn word_spans(line: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < line.len() {
        while i < line.len() && is_blank(line[i]) {
            i += 1;
        }
        let start = i;
        while i < line.len() && !is_blank(line[i]) {
            i += 1;
        }
        if i > start {
            spans.push((start, i));
        }
    }
    spans
}

fn first_word(line: &[u8]) -> &[u8] {
    match word_spans(line).first() {
        Some(&(s, e)) => &line[s..e],
        None => &[],
    }
}

/// `(first line, last line)` of every Sysreg/SysregFields block with its terminator.
fn blocks(lines: &[Vec<u8>]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut open: Option<usize> = None;
    for (i, l) in lines.iter().enumerate() {
        match first_word(l) {
            b"Sysreg" | b"SysregFields" => open = Some(i),
            b"EndSysreg" | b"EndSysregFields" => {
                if let Some(s) = open.take() {
                    out.push((s, i));
                }
            }
            _ => {}
        }
    }
    out
}

fn replace_word(line: &mut Vec<u8>, (s, e): (usize, usize), with: &[u8]) {
    line.splice(s..e, with.iter().copied());
}

/// A random bit-range-ish or number-ish word.
fn random_number(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => rng.below(70).to_string(),
        1 => format!("{}:{}", rng.below(70), rng.below(70)),
        2 => {
            let m = rng.below(64);
            format!("{m}:{}", rng.below(m + 1))
        }
        3 => format!(
            "0b{}",
            (0..1 + rng.below(8))
                .map(|_| if rng.one_in(2) { '1' } else { '0' })
                .collect::<String>()
        ),
        4 => rng.below(16).to_string(),
        _ => rng.pick(TOKENS).to_string(),
    }
}

fn random_word(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => rng.pick(DIRECTIVES).to_string(),
        1 => random_number(rng),
        2 => format!("N{}", rng.below(1000)),
        _ => rng.pick(TOKENS).to_string(),
    }
}

/// A random directive line with a plausible number of arguments.
fn random_line(rng: &mut Rng) -> Vec<u8> {
    let d = rng.pick(DIRECTIVES);
    let mut words = vec![d.to_string()];
    let args = match d {
        "Sysreg" => 6,
        "SysregFields" | "Fields" | "Mapping" | "Prefix" | "Res0" | "Res1" | "Unkn" | "Raz" => 1,
        "Field" | "Enum" | "SignedEnum" | "UnsignedEnum" => 2,
        _ => 0,
    };
    let args = if rng.one_in(4) { rng.below(8) } else { args };
    for i in 0..args {
        words.push(match (d, i) {
            ("Sysreg", 0) => format!("R{}_EL1", rng.below(100)),
            ("Sysreg", _) => rng.below(16).to_string(),
            (
                "Field" | "Enum" | "SignedEnum" | "UnsignedEnum" | "Res0" | "Res1" | "Unkn" | "Raz",
                0,
            ) => random_number(rng),
            _ => random_word(rng),
        });
    }
    let sep = if rng.one_in(3) { " " } else { "\t" };
    let mut line = words.join(sep);
    if rng.one_in(4) {
        line.insert(0, '\t');
    }
    line.into_bytes()
}

// ---- mutations ------------------------------------------------------------------------------

/// A window of whole blocks of `data` (with the lines between them), so most mutants are small
/// and many stay valid enough to reach the database and the emitter.
fn crop(rng: &mut Rng, data: &[u8]) -> Vec<u8> {
    let lines = split_lines(data);
    let bl = blocks(&lines);
    if bl.len() < 2 || rng.one_in(8) {
        return data.to_vec();
    }
    let first = rng.below(bl.len());
    let count = 1 + rng.below(12.min(bl.len() - first));
    let start = if first == 0 { 0 } else { bl[first - 1].1 + 1 };
    let end = bl[first + count - 1].1;
    let mut out = join_lines(&lines[start..=end]);
    out.push(b'\n');
    out
}

fn mutate_once(rng: &mut Rng, seeds: &[Vec<u8>], data: &mut Vec<u8>) {
    let op = rng.below(30);
    // Byte-level mutations.
    match op {
        0 => {
            // Truncate at a random byte.
            let at = rng.below(data.len() + 1);
            data.truncate(at);
            return;
        }
        1 | 2 => {
            // Random byte flips.
            for _ in 0..1 + rng.below(8) {
                if data.is_empty() {
                    break;
                }
                let at = rng.below(data.len());
                data[at] = match rng.below(3) {
                    0 => data[at] ^ (1 << rng.below(8)),
                    1 => rng.pick(INTERESTING_BYTES),
                    _ => rng.next_u64() as u8,
                };
            }
            return;
        }
        3 => {
            // Insert a NUL or an invalid UTF-8 sequence anywhere (possibly inside a character).
            let at = rng.below(data.len() + 1);
            let bytes: &[u8] = if rng.one_in(3) {
                &[0]
            } else {
                rng.pick(INVALID_UTF8)
            };
            data.splice(at..at, bytes.iter().copied());
            return;
        }
        4 => {
            // Splice: a prefix of this input and a suffix of another seed.
            let other = &seeds[rng.below(seeds.len())];
            let at = rng.below(data.len() + 1);
            let from = rng.below(other.len() + 1);
            data.truncate(at);
            data.extend_from_slice(&other[from..]);
            return;
        }
        5 => {
            // CRLF: every line, or some.
            let all = rng.one_in(2);
            let mut out = Vec::with_capacity(data.len() + data.len() / 16);
            for &b in data.iter() {
                if b == b'\n' && (all || rng.one_in(10)) {
                    out.push(b'\r');
                }
                out.push(b);
            }
            *data = out;
            return;
        }
        6 => {
            // Delete or add the final newline, or add trailing empty lines.
            if data.last() == Some(&b'\n') && rng.one_in(2) {
                data.pop();
            } else {
                data.extend(std::iter::repeat_n(b'\n', 1 + rng.below(3)));
            }
            return;
        }
        _ => {}
    }

    let mut lines = split_lines(data);
    let n = lines.len();
    let i = rng.below(n);
    match op {
        7 | 8 => {
            lines.remove(i);
            if lines.is_empty() {
                lines.push(Vec::new());
            }
        }
        9 => {
            let l = lines[i].clone();
            lines.insert(i, l);
        }
        10 => {
            let j = rng.below(n);
            lines.swap(i, j);
        }
        11 => {
            // Move a run of lines elsewhere.
            let len = 1 + rng.below((n - i).min(20));
            let run: Vec<_> = lines.drain(i..i + len).collect();
            let at = rng.below(lines.len() + 1);
            lines.splice(at..at, run);
        }
        12 => {
            // Truncate at a line boundary.
            lines.truncate(i.max(1));
        }
        13..=15 => {
            // Replace a word with another directive, a huge number, -1, 64:0, 0b0002, ...
            let spans = word_spans(&lines[i]);
            if !spans.is_empty() {
                let s = rng.pick(&spans);
                let w = random_word(rng);
                replace_word(&mut lines[i], s, w.as_bytes());
            }
        }
        16 => {
            // Insert or delete a word.
            let spans = word_spans(&lines[i]);
            if !spans.is_empty() && rng.one_in(2) {
                let (s, e) = rng.pick(&spans);
                lines[i].drain(s..e);
            } else {
                let w = random_word(rng);
                let at = spans
                    .get(rng.below(spans.len() + 1))
                    .map_or(lines[i].len(), |s| s.0);
                let mut ins = w.into_bytes();
                ins.push(if rng.one_in(2) { b'\t' } else { b' ' });
                lines[i].splice(at..at, ins);
            }
        }
        17 => {
            // Tweak a number: off by one, or another small value.
            let digits: Vec<(usize, usize)> = {
                let l = &lines[i];
                let mut v = Vec::new();
                let mut k = 0;
                while k < l.len() {
                    if l[k].is_ascii_digit() {
                        let s = k;
                        while k < l.len() && l[k].is_ascii_digit() {
                            k += 1;
                        }
                        v.push((s, k));
                    } else {
                        k += 1;
                    }
                }
                v
            };
            if !digits.is_empty() {
                let (s, e) = rng.pick(&digits);
                let old: u64 = std::str::from_utf8(&lines[i][s..e])
                    .ok()
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0);
                let new = match rng.below(4) {
                    0 => old.wrapping_add(1).to_string(),
                    1 => old.wrapping_sub(1).to_string(),
                    2 => rng.below(65).to_string(),
                    _ => rng.pick(TOKENS).to_string(),
                };
                replace_word(&mut lines[i], (s, e), new.as_bytes());
            }
        }
        18 => {
            // Whitespace: indent, a spaces-only line, tabs <-> spaces, trailing blanks.
            match rng.below(4) {
                0 => lines[i].insert(0, b'\t'),
                1 => lines.insert(i, b" \t ".to_vec()),
                2 => {
                    for b in lines[i].iter_mut() {
                        if *b == b'\t' {
                            *b = b' ';
                        }
                    }
                }
                _ => lines[i].extend_from_slice(b" \t"),
            }
        }
        19 => {
            let l = random_line(rng);
            lines.insert(i, l);
        }
        20 => {
            // Split a slice in two, keeping the layout valid.
            let spans = word_spans(&lines[i]);
            if spans.len() >= 2 {
                let l = lines[i].clone();
                let dir = &l[spans[0].0..spans[0].1];
                let bits = std::str::from_utf8(&l[spans[1].0..spans[1].1]).unwrap_or("");
                let range = bits
                    .split_once(':')
                    .and_then(|(m, s)| Some((m.parse::<u32>().ok()?, s.parse::<u32>().ok()?)));
                let named = dir == b"Field";
                let unnamed = matches!(dir, b"Res0" | b"Res1" | b"Unkn" | b"Raz");
                if let (Some((msb, lsb)), true) = (range, named || unnamed) {
                    if msb > lsb && msb <= 63 {
                        let cut = lsb + 1 + rng.below((msb - lsb) as usize) as u32;
                        let d = String::from_utf8_lossy(dir).into_owned();
                        let name = spans
                            .get(2)
                            .map(|&(s, e)| String::from_utf8_lossy(&l[s..e]).into_owned());
                        let mk = |m: u32, s: u32, suffix: &str| match &name {
                            Some(n) if named => format!("{d}\t{m}:{s}\t{n}{suffix}"),
                            _ => format!("{d}\t{m}:{s}"),
                        };
                        lines[i] = mk(msb, cut, "").into_bytes();
                        lines.insert(i + 1, mk(cut - 1, lsb, "_LO").into_bytes());
                    }
                }
            }
        }
        21 => {
            // Rename: the second word of a line (register, field or value name).
            let spans = word_spans(&lines[i]);
            if spans.len() >= 2 {
                let k = if spans.len() == 3 { 2 } else { 1 };
                let (s, e) = spans[k];
                let mut name = lines[i][s..e].to_vec();
                match rng.below(4) {
                    0 => name.extend_from_slice("é".as_bytes()),
                    1 => name.extend_from_slice(format!("_{}", rng.below(100)).as_bytes()),
                    2 => name.insert(0, b'9'),
                    _ => name.extend_from_slice(b"_X"),
                }
                replace_word(&mut lines[i], (s, e), &name);
            }
        }
        22 | 23 => {
            // Block-level: delete, duplicate (renamed), or swap whole blocks.
            let bl = blocks(&lines);
            if !bl.is_empty() {
                let (s, e) = rng.pick(&bl);
                match rng.below(3) {
                    0 => {
                        lines.drain(s..=e);
                    }
                    1 => {
                        let mut copy: Vec<_> = lines[s..=e].to_vec();
                        if rng.below(4) != 0 {
                            let spans = word_spans(&copy[0]);
                            if let Some(&(_, we)) = spans.get(1) {
                                let suffix = format!("_DUP{}", rng.below(100));
                                copy[0].splice(we..we, suffix.bytes());
                            }
                        }
                        let at = e + 1;
                        lines.splice(at..at, copy);
                    }
                    _ => {
                        let (s2, e2) = rng.pick(&bl);
                        if e < s2 {
                            let second: Vec<_> = lines[s2..=e2].to_vec();
                            let first: Vec<_> = lines[s..=e].to_vec();
                            lines.splice(s2..=e2, first);
                            lines.splice(s..=e, second);
                        }
                    }
                }
            }
        }
        24 => {
            // Insert a long line (slow paths: column counting, snippets, suggestions).
            let len = 1000 + rng.below(20_000);
            let mut l = match rng.below(3) {
                0 => b"Field\t63:0\t".to_vec(),
                1 => Vec::new(),
                _ => b"\t0b1\t".to_vec(),
            };
            let unit: &[u8] = rng.pick(&[&b"A"[..], b"a ", "é".as_bytes(), b"\t", b"0b1 "]);
            while l.len() < len {
                l.extend_from_slice(unit);
            }
            lines.insert(i, l);
        }
        25 => {
            // Insert a NUL or invalid UTF-8 inside a word.
            let spans = word_spans(&lines[i]);
            if let Some(&(s, e)) = spans.get(rng.below(spans.len().max(1))) {
                let at = s + rng.below(e - s + 1);
                let bytes: &[u8] = if rng.one_in(2) {
                    &[0]
                } else {
                    rng.pick(INVALID_UTF8)
                };
                lines[i].splice(at..at, bytes.iter().copied());
            }
        }
        26 => {
            // Comment out a line, or un-comment one.
            if lines[i].first() == Some(&b'#') {
                lines[i].remove(0);
            } else {
                lines[i].insert(0, b'#');
            }
        }
        27 => {
            // Carriage return in the middle or at the end of one line.
            let at = if rng.one_in(2) {
                lines[i].len()
            } else {
                rng.below(lines[i].len() + 1)
            };
            lines[i].insert(at, b'\r');
        }
        28 => {
            // Line-level splice with another seed.
            let other = split_lines(&seeds[rng.below(seeds.len())]);
            let from = rng.below(other.len());
            let len = 1 + rng.below((other.len() - from).min(40));
            let at = rng.below(lines.len() + 1);
            lines.splice(at..at, other[from..from + len].iter().cloned());
        }
        _ => {
            // Drop the terminator of a block (unterminated blocks, at EOF or not).
            if let Some(pos) = lines[i..].iter().position(|l| {
                matches!(
                    first_word(l),
                    b"EndSysreg" | b"EndSysregFields" | b"EndEnum" | b"EndPrefix"
                )
            }) {
                lines.remove(i + pos);
            }
        }
    }
    *data = join_lines(&lines);
}

/// The input files of one mutant, derived only from `mutant_seed` (and the seeds).
fn make_mutant(mutant_seed: u64, seeds: &[Vec<u8>]) -> Vec<(String, Vec<u8>)> {
    let mut rng = Rng::new(mutant_seed);
    let first = rng.below(seeds.len());
    let mut data = crop(&mut rng, &seeds[first]);
    // Most mutants get a few mutations; a few get none (valid crops) or many.
    let count = match rng.below(16) {
        0 => 0,
        1 => 8 + rng.below(24),
        _ => 1 + rng.below(4),
    };
    for _ in 0..count {
        mutate_once(&mut rng, seeds, &mut data);
    }
    if rng.one_in(8) {
        // Two files: references and duplicates across files, diagnostics in file 1.
        let second = if rng.one_in(2) {
            let at = rng.below(data.len() + 1);
            data.split_off(at)
        } else {
            let k = rng.below(seeds.len());
            let mut other = crop(&mut rng, &seeds[k]);
            if rng.one_in(2) {
                mutate_once(&mut rng, seeds, &mut other);
            }
            other
        };
        return vec![("a.sysreg".into(), data), ("b.sysreg".into(), second)];
    }
    vec![("input.sysreg".into(), data)]
}

// ---- running --------------------------------------------------------------------------------

thread_local! {
    /// Set while a mutant runs: panics are recorded here instead of printed.
    static CAUGHT: std::cell::RefCell<Option<Option<String>>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f`, turning a panic into an error message with its location.
fn catching<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    CAUGHT.with(|c| *c.borrow_mut() = Some(None));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    let where_ = CAUGHT.with(|c| c.borrow_mut().take()).flatten();
    match result {
        Ok(r) => r,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "<non-string panic payload>".into());
            Err(format!(
                "PANIC: {msg} (at {})",
                where_.unwrap_or_else(|| "unknown location".into())
            ))
        }
    }
}

fn install_panic_hook() {
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        let recorded = CAUGHT.with(|c| match &mut *c.borrow_mut() {
            Some(slot) => {
                *slot = info.location().map(|l| l.to_string());
                true
            }
            None => false,
        });
        if !recorded {
            previous(info);
        }
    }));
}

/// What kind of failure a message describes, so the same bug found by many mutants is
/// reported once: a panic by its location, a violated check by the diagnostic code it concerns
/// and the check's complaint (the text after the last `: `), numbers blanked.
fn signature(error: &str) -> String {
    if let Some(panic) = error.strip_prefix("PANIC: ") {
        return panic.rsplit(" (at ").next().unwrap_or(panic).to_string();
    }
    let code = error
        .match_indices("SR")
        .map(|(i, _)| &error[i..])
        .find(|rest| rest.len() >= 6 && rest.as_bytes()[2..6].iter().all(u8::is_ascii_digit))
        .map_or("", |rest| &rest[..6]);
    let complaint = error.rsplit(": ").next().unwrap_or(error);
    let mut out = format!("{code} ");
    for c in complaint.chars() {
        if !c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('#') {
            out.push('#');
        }
    }
    out
}

fn failure_dir() -> PathBuf {
    // `CARGO_MANIFEST_DIR` is the `tests` crate; the workspace's `target` is next to it.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate is inside the workspace")
        .join("target/fuzz-failures")
}

/// Saves a failing input; returns the paths written.
fn save_failure(tag: &str, files: &[(String, Vec<u8>)]) -> Vec<PathBuf> {
    let dir = failure_dir();
    let _ = std::fs::create_dir_all(&dir);
    files
        .iter()
        .enumerate()
        .filter_map(|(k, (_, bytes))| {
            let path = dir.join(format!("{tag}-{k}.sysreg"));
            std::fs::write(&path, bytes).ok().map(|()| path)
        })
        .collect()
}

fn seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = support::corpus_files()
        .into_iter()
        .map(|(_, bytes)| bytes)
        .collect();
    seeds.extend(SYNTHETIC_SEEDS.iter().map(|s| s.as_bytes().to_vec()));
    seeds
}

#[test]
fn fuzz_loader_and_codegen() {
    install_panic_hook();
    let seeds = seeds();

    if let Ok(paths) = std::env::var("FUZZ_REPLAY") {
        let files: Vec<(String, Vec<u8>)> = paths
            .split(',')
            .map(|p| {
                let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("FUZZ_REPLAY {p}: {e}"));
                (p.to_string(), bytes)
            })
            .collect();
        if let Err(e) = catching(|| support::exercise(&files)) {
            panic!("FUZZ_REPLAY={paths}: {e}");
        }
        println!("FUZZ_REPLAY={paths}: every check passed");
        return;
    }
    if let Ok(text) = std::env::var("FUZZ_MUTANT") {
        let mutant_seed = parse_seed(&text);
        let files = make_mutant(mutant_seed, &seeds);
        let paths = save_failure(&format!("mutant-{mutant_seed:#018x}"), &files);
        println!("FUZZ_MUTANT={mutant_seed:#018x} written to {paths:?}");
        if let Err(e) = catching(|| support::exercise(&files)) {
            panic!("FUZZ_MUTANT={mutant_seed:#018x}: {e}");
        }
        println!("FUZZ_MUTANT={mutant_seed:#018x}: every check passed");
        return;
    }

    let seed = run_seed();
    let seconds: f64 = env_or("FUZZ_SECONDS", DEFAULT_SECONDS);
    let max_iterations: u64 = env_or("FUZZ_ITERATIONS", DEFAULT_ITERATIONS);
    let budget = Duration::from_secs_f64(seconds.max(0.0));
    println!(
        "fuzz: FUZZ_SEED={seed:#018x}, up to {seconds} s / {max_iterations} mutants, {} seeds",
        seeds.len()
    );

    let mut master = Rng::new(seed);
    let start = Instant::now();
    let (mut run, mut strict_ok, mut lenient_ok, mut bytes) = (0u64, 0u64, 0u64, 0u64);
    let mut codes = BTreeSet::new();
    let mut failures = Vec::new();
    let mut signatures = BTreeSet::new();
    let mut failing = 0u64;
    let mut slowest = (Duration::ZERO, 0u64);
    while run < max_iterations && start.elapsed() < budget && failures.len() < MAX_FAILURES {
        let mutant_seed = master.next_u64();
        let files = make_mutant(mutant_seed, &seeds);
        bytes += files.iter().map(|f| f.1.len() as u64).sum::<u64>();
        let t = Instant::now();
        let result = catching(|| support::exercise(&files));
        if t.elapsed() > slowest.0 {
            slowest = (t.elapsed(), mutant_seed);
        }
        run += 1;
        match result {
            Ok(Outcome {
                strict_accepted,
                lenient_accepted,
                codes: c,
            }) => {
                strict_ok += u64::from(strict_accepted);
                lenient_ok += u64::from(lenient_accepted);
                codes.extend(c);
            }
            Err(e) => {
                failing += 1;
                if !signatures.insert(signature(&e)) {
                    continue;
                }
                let paths = save_failure(&format!("{seed:#018x}-{mutant_seed:#018x}"), &files);
                failures.push(format!(
                    "mutant #{run} (FUZZ_SEED={seed:#018x}; reproduce alone with \
                     FUZZ_MUTANT={mutant_seed:#018x}): {e}\n    input: {paths:?}"
                ));
            }
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let all_codes: BTreeSet<u16> = sysreg_db::Code::ALL.iter().map(|c| c.number()).collect();
    let missing: Vec<_> = all_codes.difference(&codes).collect();
    println!(
        "fuzz: {run} mutants in {elapsed:.1} s ({:.0}/s, {:.1} MB), accepted strict {strict_ok}, \
         lenient {lenient_ok}; {} of {} diagnostic codes seen (not seen: {missing:?}); \
         slowest mutant {:.3} s (FUZZ_MUTANT={:#018x})",
        run as f64 / elapsed.max(1e-9),
        bytes as f64 / 1e6,
        codes.len(),
        all_codes.len(),
        slowest.0.as_secs_f64(),
        slowest.1,
    );
    assert!(
        failures.is_empty(),
        "fuzz: {failing} failing mutant(s), {} distinct failure(s), with FUZZ_SEED={seed:#018x} \
         (first mutant of each shown):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(run > 0, "fuzz: no mutant ran (FUZZ_SECONDS={seconds})");
}

/// The PRNG and mutant construction are deterministic: the same seed gives the same mutant.
#[test]
fn mutants_are_reproducible() {
    let seeds = seeds();
    for s in [0u64, 1, DEFAULT_SEED, u64::MAX] {
        assert_eq!(make_mutant(s, &seeds), make_mutant(s, &seeds), "seed {s}");
    }
    let mut a = Rng::new(42);
    let mut b = Rng::new(42);
    assert!((0..100).all(|_| a.next_u64() == b.next_u64()));
}
