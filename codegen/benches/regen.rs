//! In-process benchmark of the Rust backend: what `cargo xtask regen` spends in
//! `codegen::project::generate` (read `sysreg-db/data/*.sysreg`, parse, validate, generate the
//! `generated/` crate's text), split into loading and generating, and for scale the crate of the
//! newest kernel database in the corpus (what `sysreg-gen rust` makes of it).
//!
//! ```text
//! cargo bench -p codegen --bench regen              # human-readable
//! cargo bench -p codegen --bench regen -- --tsv     # what `cargo xtask bench` reads
//! ```
//! No harness: each case is warmed up, then run many times with `std::time::Instant`, and the
//! minimum and median of the per-iteration times are reported. Writing the files is not timed
//! (`cargo xtask bench` times the whole `sysreg-gen rust` process for that).

use codegen::{project, rust};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use sysreg_db::{Database, Options, SourceFile, SourceMap};

/// The kernel database, relative to the workspace root.
const KERNEL_INPUT: &str = "../shared/sysreg-corpus/linux-2025-v6.19/sysreg";
/// How each case is timed.
const BUDGET: timing::Budget = timing::Budget {
    warm_up: Duration::from_millis(500),
    budget: Duration::from_secs(3),
    min_iters: 20,
    max_iters: 5_000,
};

#[path = "common/timing.rs"]
mod timing;
use timing::Stats;

fn measure(f: impl FnMut()) -> Stats {
    timing::measure(&BUDGET, f)
}

/// The files of a database, as `project::generate` reads them (names relative to `root`).
fn read_sources(root: &Path, names: &[String]) -> Result<SourceMap, String> {
    let mut sources = SourceMap::new();
    for name in names {
        let bytes = std::fs::read(root.join(name)).map_err(|e| format!("{name}: {e}"))?;
        sources.add(SourceFile::from_bytes(name.clone(), bytes));
    }
    Ok(sources)
}

fn load(sources: &SourceMap, options: &Options) -> Option<Database> {
    sysreg_db::load(sources, options).database
}

fn main() -> ExitCode {
    let mut tsv = false;
    // `cargo bench` passes `--bench`.
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--bench" => {}
            "--tsv" => tsv = true,
            a => {
                eprintln!("regen bench: unknown argument {a} (usage: regen [--tsv])");
                return ExitCode::from(2);
            }
        }
    }
    match run(tsv) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("regen bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(tsv: bool) -> Result<(), String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("codegen has no parent directory")?
        .to_path_buf();

    // The project database, as `cargo xtask regen` does it.
    let files = project::generate(&root)?;
    let out_bytes: usize = files.iter().map(|f| f.contents.len()).sum();
    let names = project::database_files(&root)?;
    let sources = read_sources(&root, &names)?;
    let db = load(&sources, &Options::default()).ok_or("the project database has errors")?;
    let options = rust::Options {
        crate_name: project::CRATE_NAME.into(),
        version: "0.1.0".into(),
    };

    // The kernel database (the warning about `MPAM1_EL12` does not stop it, as in the CLI).
    let kernel_name = KERNEL_INPUT.to_string();
    let kernel_sources = read_sources(&root, std::slice::from_ref(&kernel_name)).map_err(|e| {
        format!(
            "{e} (the kernel sysreg corpus is expected at {KERNEL_INPUT} relative to the \
             workspace root)"
        )
    })?;
    let kernel_db =
        load(&kernel_sources, &Options::default()).ok_or("the kernel database has errors")?;
    let kernel_options = rust::Options::default();
    let kernel_bytes: usize = rust::generate(&kernel_db, &kernel_sources, &kernel_options)
        .iter()
        .map(|f| f.contents.len())
        .sum();

    let whole = measure(|| {
        black_box(project::generate(black_box(&root)).expect("generated once above"));
    });
    let loading = measure(|| {
        let sources = read_sources(&root, &names).expect("read once above");
        black_box(load(&sources, &Options::default()));
    });
    let generating = measure(|| {
        black_box(rust::generate(black_box(&db), &sources, &options));
    });
    let kernel = measure(|| {
        black_box(rust::generate(
            black_box(&kernel_db),
            &kernel_sources,
            &kernel_options,
        ));
    });

    let cases = [
        ("project::generate, what `cargo xtask regen` runs", whole),
        ("project database: read+parse+validate", loading),
        ("project database: rust::generate alone", generating),
        ("kernel v6.19: rust::generate alone", kernel),
    ];
    let heading = format!(
        "project database: {} files, {} registers, {out_bytes} bytes of crate out; kernel \
         database: {} registers, {kernel_bytes} bytes of crate out",
        names.len(),
        db.registers_by_name().count(),
        kernel_db.registers_by_name().count(),
    );
    timing::report(&cases, tsv, &heading);
    Ok(())
}
