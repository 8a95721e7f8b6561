//! `sysreg-gen`: read the kernel's AArch64 sysreg database and emit code from it.
//!
//! ```text
//! sysreg-gen c-header [--lenient] [-o OUT] FILE...   the kernel's sysreg-defs.h
//! sysreg-gen check [--lenient] [--deny-warnings] FILE...   validate only
//! sysreg-gen dump [--lenient] [-o OUT] FILE...       the IR as JSON
//! ```
//! Diagnostics go to stderr; the exit status is 1 when the input has errors, 2 on usage or I/O
//! errors.
//!
//! The kernel's build runs this once per build, so the whole process is what counts, and most
//! of a run is process start-up: hence `no_main` (below) and the bump allocator (`bump.rs`).

// Rust's own `main` wrapper (`std::rt::lang_start`) finds the main thread's stack bounds for its
// stack-overflow guard by reading and parsing `/proc/self/maps`, and installs an alternate signal
// stack: together about a tenth of this program's run on the kernel's database. The C `main`
// below does the one part of it that changes behaviour (SIGPIPE ignored, so a closed pipe is an
// `EPIPE` error reported like any other) and catches panics as `lang_start` does. (Unit tests
// keep the test harness's `main`.)
#![cfg_attr(not(test), no_main)]
#![cfg_attr(test, allow(dead_code))]

mod bump;

use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
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
    #[arg(long, default_value_t = MAX_DIAGNOSTICS, value_name = "N")]
    max_diagnostics: usize,
}

/// The default of `--max-diagnostics`.
const MAX_DIAGNOSTICS: usize = 1000;

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

/// The process entry point, called by the C runtime (see the note at the top).
#[cfg(not(test))]
#[no_mangle]
extern "C" fn main(argc: std::ffi::c_int, argv: *const *const std::ffi::c_char) -> std::ffi::c_int {
    ignore_sigpipe();
    // SAFETY: the C runtime passes `argc` valid NUL-terminated strings.
    let args = unsafe { arguments(argc, argv) };
    // After a panic (its message printed by the panic hook) 101, as for a Rust `main`.
    std::panic::catch_unwind(|| run(args)).map_or(101, std::ffi::c_int::from)
}

/// The command line, from `main`'s own arguments. (`std::env::args_os` is empty here on musl:
/// the standard library captures the arguments in its own start-up code, which glibc happens to
/// call with them and musl does not.)
///
/// # Safety
/// `argv` holds `argc` pointers to NUL-terminated strings.
#[cfg(all(unix, not(test)))]
unsafe fn arguments(
    argc: std::ffi::c_int,
    argv: *const *const std::ffi::c_char,
) -> Vec<std::ffi::OsString> {
    use std::os::unix::ffi::OsStrExt;
    let count = usize::try_from(argc).unwrap_or(0);
    (0..count)
        .map(|i| {
            // SAFETY: as the caller promises.
            let arg = unsafe { std::ffi::CStr::from_ptr(*argv.add(i)) };
            std::ffi::OsStr::from_bytes(arg.to_bytes()).to_os_string()
        })
        .collect()
}

#[cfg(all(not(unix), not(test)))]
unsafe fn arguments(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> Vec<std::ffi::OsString> {
    std::env::args_os().collect()
}

/// As the standard library's start-up does: writing to a closed pipe then fails with `EPIPE`
/// instead of killing the process.
#[cfg(unix)]
fn ignore_sigpipe() {
    extern "C" {
        fn signal(signum: std::ffi::c_int, handler: usize) -> usize;
    }
    const SIGPIPE: std::ffi::c_int = 13;
    const SIG_IGN: usize = 1;
    // SAFETY: setting a signal's disposition to "ignore" has no preconditions.
    unsafe {
        signal(SIGPIPE, SIG_IGN);
    }
}

#[cfg(not(unix))]
fn ignore_sigpipe() {}

/// The program, given its command line; returns the exit status.
fn run(args: Vec<std::ffi::OsString>) -> u8 {
    let cli = plain_c_header(&args).unwrap_or_else(|| Cli::parse_from(args));
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
    // The whole run's memory, faulted in at once: the input itself, the database (about five
    // and a half bytes per byte of input: the kernel's v6.19 takes 474 KB for 88 KB) and the
    // C header's 64 KiB output buffer. (Every page is zeroed by the kernel, used or not: the
    // margin is kept small. Past it, blocks come from lazily faulted chunks.)
    let input_bytes: u64 = input
        .files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let run_bytes = (input_bytes.saturating_mul(13) / 2).saturating_add(64 << 10);
    ALLOCATOR.prefault(usize::try_from(run_bytes).map_or(0, |b| b.min(64 << 20)));
    let (sources, loaded) = match sysreg_db::load_paths(&input.files, &options) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sysreg-gen: error: {e}");
            return 2;
        }
    };
    let report = loaded.diagnostics.render(&sources);
    if !report.is_empty() {
        let _ = std::io::stderr().write_all(report.as_bytes());
    }
    let Some(db) = loaded.database else {
        return 1;
    };
    if input.deny_warnings && loaded.diagnostics.warning_count() > 0 {
        eprintln!("sysreg-gen: error: warnings denied by --deny-warnings");
        return 1;
    }
    let written = match &cli.command {
        Command::CHeader(_) => {
            // The input is no longer needed: freeing it lets the output buffer reuse its
            // (already touched) memory instead of faulting in fresh pages.
            drop(sources);
            let written = write_output(output, |w| codegen::c_header::write(&db, w));
            std::mem::forget(db);
            return exit_status(written);
        }
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
            return 0;
        }
    };
    // The process is about to exit: freeing the IR piece by piece would only cost time.
    std::mem::forget((db, sources));
    exit_status(written)
}

fn exit_status(written: Result<(), String>) -> u8 {
    match written {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("sysreg-gen: error: {e}");
            2
        }
    }
}

/// The command line of the kernel's build, `c-header [--lenient] [-o OUT] FILE...`, read
/// without clap; `None` for anything else, which clap then reads.
///
/// Setting up clap's parser costs more than a tenth of a `c-header` run on the kernel's
/// database (its code is large and cold in a fresh process). This accepts only the plain
/// forms, each option at most once and no word starting with `-` other than the two options,
/// which clap reads the same way; everything else (`--help`, `--output=X`, `-oX`, `--`,
/// errors) goes to clap.
fn plain_c_header(args: &[std::ffi::OsString]) -> Option<Cli> {
    let mut args = args.iter().skip(1);
    if args.next()? != "c-header" {
        return None;
    }
    let (mut lenient, mut output, mut files) = (false, None, Vec::new());
    while let Some(arg) = args.next() {
        if arg == "--lenient" && !lenient {
            lenient = true;
        } else if arg == "-o" && output.is_none() {
            let path = args
                .next()
                .filter(|p| !p.as_encoded_bytes().starts_with(b"-"))?;
            output = Some(PathBuf::from(path));
        } else if arg.as_encoded_bytes().starts_with(b"-") {
            return None;
        } else {
            files.push(PathBuf::from(arg));
        }
    }
    if files.is_empty() {
        return None;
    }
    Some(Cli {
        command: Command::CHeader(Output {
            input: Input {
                files,
                lenient,
                deny_warnings: false,
                max_diagnostics: MAX_DIAGNOSTICS,
            },
            output,
        }),
    })
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

/// Runs `emit` on `path` (created or truncated) or stdout; errors name where the output was
/// going. No buffer here: every emitter writes large blocks (the C header in 64 KiB chunks, the
/// others whole).
fn write_output(
    path: Option<&PathBuf>,
    emit: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), String> {
    let (result, what) = match path {
        Some(path) => {
            let mut file =
                std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
            (emit(&mut file), path.display().to_string())
        }
        None => {
            let mut out = std::io::stdout().lock();
            (
                emit(&mut out).and_then(|()| out.flush()),
                "stdout".to_string(),
            )
        }
    };
    result.map_err(|e| format!("{what}: {e}"))
}
