//! In-process benchmark of the sysreg pipeline on the newest kernel database in the corpus:
//! parse+validate (`sysreg_db::load`), parse+validate+C header (`codegen::c_header::generate`),
//! and the C header alone from the parsed database.
//!
//! ```text
//! cargo bench -p codegen                                          # human-readable
//! cargo bench -p codegen --bench c_header -- --tsv                # what `cargo xtask bench` reads
//! cargo bench -p codegen --bench c_header -- [--lenient] FILE     # another database
//! ```
//! No harness: each case is warmed up, then run many times with `std::time::Instant`, and the
//! minimum and median of the per-iteration times are reported. The parsing cases start from the
//! file's bytes already in memory (building the `SourceMap` is included, reading the file is not).

use std::hint::black_box;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use sysreg_db::{Options, SourceFile, SourceMap};

/// The database measured when no FILE is given, relative to the workspace root.
const DEFAULT_INPUT: &str = "../shared/sysreg-corpus/linux-2025-v6.19/sysreg";
/// How each case is timed.
const BUDGET: timing::Budget = timing::Budget {
    warm_up: Duration::from_millis(300),
    budget: Duration::from_secs(2),
    min_iters: 50,
    max_iters: 5_000,
};

#[path = "common/timing.rs"]
mod timing;
use timing::Stats;

fn measure(f: impl FnMut()) -> Stats {
    timing::measure(&BUDGET, f)
}

fn sources(name: &str, bytes: &[u8]) -> SourceMap {
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new(name, bytes));
    sources
}

fn main() -> ExitCode {
    let mut tsv = false;
    let mut options = Options::default();
    let mut input = None;
    // `cargo bench` passes `--bench`; anything else starting with `-` is rejected.
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--bench" => {}
            "--tsv" => tsv = true,
            "--lenient" => options = Options::lenient(),
            a if a.starts_with('-') => {
                eprintln!("c_header bench: unknown option {a} (usage: c_header [--tsv] [--lenient] [FILE])");
                return ExitCode::from(2);
            }
            _ => input = Some(PathBuf::from(arg)),
        }
    }
    let path = input.unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(DEFAULT_INPUT)
    });
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!(
                "c_header bench: cannot read the benchmark input {}: {e}\n\
                 (it is the kernel sysreg corpus, expected at {DEFAULT_INPUT} relative to the \
                 workspace root; or pass FILE)",
                path.display()
            );
            return ExitCode::FAILURE;
        }
    };
    let name = path.display().to_string();

    // Check once that the input converts, so the timings are of a successful run.
    let loaded = sysreg_db::load(&sources(&name, &bytes), &options);
    let Some(db) = loaded.database else {
        eprintln!(
            "c_header bench: {name} has errors (see `sysreg-gen check {name}`; --lenient \
             accepts historical databases)"
        );
        return ExitCode::FAILURE;
    };
    let header_bytes = codegen::c_header::generate(&db).len();

    let parse = measure(|| {
        let loaded = sysreg_db::load(&sources(&name, black_box(&bytes)), &options);
        black_box(loaded);
    });
    let header = measure(|| {
        let loaded = sysreg_db::load(&sources(&name, black_box(&bytes)), &options);
        let text = codegen::c_header::generate(loaded.database.as_ref().expect("checked above"));
        black_box(text);
    });
    let header_only = measure(|| {
        black_box(codegen::c_header::generate(black_box(&db)));
    });

    let cases = [
        ("parse+validate", parse),
        ("parse+validate+c-header", header),
        ("c-header alone", header_only),
    ];
    let heading = format!(
        "input: {name} ({} bytes in, {header_bytes} bytes of C header out)",
        bytes.len()
    );
    timing::report(&cases, tsv, &heading);
    ExitCode::SUCCESS
}
