//! `sysreg-gen`: read the kernel's AArch64 sysreg database and emit code from it.
//!
//! ```text
//! sysreg-gen c-header [--lenient] [-o OUT] FILE...   the kernel's sysreg-defs.h
//! sysreg-gen check [--lenient] [--deny-warnings] FILE...   validate only
//! sysreg-gen dump [--lenient] [-o OUT] FILE...       the IR as JSON
//! ```
//! Diagnostics go to stderr; the exit status is 1 when the input has errors, 2 on usage or I/O
//! errors.

mod bump;

use clap::{Args, Parser, Subcommand};
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use sysreg_db::{Options, Strictness};

#[derive(Parser)]
#[command(
    name = "sysreg-gen",
    version,
    about = "Generate C and Rust from the kernel's AArch64 sysreg database"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write the kernel's sysreg-defs.h (byte-identical to gen-sysreg.awk)
    CHeader(Output),
    /// Validate the database and report every problem
    Check(Input),
    /// Write the IR as JSON, to see what was understood
    Dump(Output),
    /// Write a Rust register crate (Cargo.toml and sources) to a directory
    Rust(RustOutput),
}

#[derive(Args)]
struct RustOutput {
    #[command(flatten)]
    input: Input,
    /// The crate's directory (created; files in it are replaced)
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// The package name
    #[arg(long, default_value = "sysregs", value_name = "NAME")]
    crate_name: String,
}

#[derive(Args)]
struct Input {
    /// Input databases, read as one
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Make the checks the kernel's generator does not make (and the duplicate-enum-value
    /// check it added after 2023) warnings, so historical databases still convert
    #[arg(long)]
    lenient: bool,
    /// Treat warnings as errors (exit 1 if there are any)
    #[arg(long)]
    deny_warnings: bool,
    /// Show at most this many errors and this many warnings (0: all); the summary counts every one
    #[arg(long, default_value_t = 1000, value_name = "N")]
    max_diagnostics: usize,
}

#[derive(Args)]
struct Output {
    #[command(flatten)]
    input: Input,
    /// Write here instead of stdout
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
}

#[global_allocator]
static ALLOCATOR: bump::Bump = bump::Bump::new();

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (input, output) = match &cli.command {
        Command::CHeader(o) | Command::Dump(o) => (&o.input, o.output.as_ref()),
        Command::Check(i) => (i, None),
        Command::Rust(r) => (&r.input, None),
    };
    let options = Options {
        strictness: if input.lenient {
            Strictness::Lenient
        } else {
            Strictness::Strict
        },
        max_diagnostics: input.max_diagnostics,
    };
    let (sources, loaded) = match sysreg_db::load_paths(&input.files, &options) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sysreg-gen: error: {e}");
            return ExitCode::from(2);
        }
    };
    let report = loaded.diagnostics.render(&sources);
    if !report.is_empty() {
        let _ = std::io::stderr().write_all(report.as_bytes());
    }
    let Some(db) = loaded.database else {
        return ExitCode::from(1);
    };
    if input.deny_warnings && loaded.diagnostics.warning_count() > 0 {
        eprintln!("sysreg-gen: error: warnings denied by --deny-warnings");
        return ExitCode::from(1);
    }
    let written = match &cli.command {
        Command::CHeader(_) => write_output(output, |w| codegen::c_header::write(&db, w)),
        Command::Dump(_) => {
            let text = codegen::json::dump(&db, &sources);
            write_output(output, |w| w.write_all(text.as_bytes()))
        }
        Command::Rust(r) => {
            let options = codegen::rust::Options {
                crate_name: r.crate_name.clone(),
                ..Default::default()
            };
            write_crate(&r.output, &codegen::rust::generate(&db, &sources, &options))
        }
        Command::Check(_) => {
            eprintln!(
                "sysreg-gen: ok: {} registers, {} field sets",
                db.registers.len(),
                db.field_sets.len()
            );
            return ExitCode::SUCCESS;
        }
    };
    // The process is about to exit: freeing the IR piece by piece would only cost time.
    std::mem::forget((db, sources));
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sysreg-gen: error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Writes the generated crate's files under `dir`.
fn write_crate(dir: &std::path::Path, files: &[codegen::rust::File]) -> Result<(), String> {
    for file in files {
        let path = dir.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, &file.contents).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// Runs `emit` on `path` (created or truncated) or stdout, through a 64 KiB buffer; errors
/// name where the output was going.
fn write_output(
    path: Option<&PathBuf>,
    emit: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), String> {
    const BUFFER: usize = 64 * 1024;
    let (result, what) = match path {
        Some(path) => {
            let file =
                std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let mut out = BufWriter::with_capacity(BUFFER, file);
            (
                emit(&mut out).and_then(|()| out.flush()),
                path.display().to_string(),
            )
        }
        None => {
            let mut out = BufWriter::with_capacity(BUFFER, std::io::stdout().lock());
            (
                emit(&mut out).and_then(|()| out.flush()),
                "stdout".to_string(),
            )
        }
    };
    result.map_err(|e| format!("{what}: {e}"))
}
