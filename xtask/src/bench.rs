//! `cargo xtask bench`: the benchmark figures quoted in README.md.
//!
//! On `linux-2025-v6.19/sysreg` of the kernel corpus (`../shared/sysreg-corpus`):
//! - (a), (b) in-process parse+validate and parse+validate+C header (and the C header alone),
//!   from `cargo bench -p codegen --bench c_header` (optimized, `std::time::Instant`, min and
//!   median);
//! - (c) the whole `sysreg-gen c-header FILE -o /dev/null` process of the release build: wall
//!   time (spawn to reaped) best and median over `--runs` runs, and the child's peak RSS from
//!   `wait4`; for scale, the same for `sysreg-gen --version` (process start-up alone);
//! - (d) the kernel's own generator, `mawk -f gen-sysreg.awk FILE`, timed the same way when
//!   `mawk` is installed and `KERNEL_GEN_SYSREG_AWK` names a copy of the script (it is not part
//!   of this repository); otherwise the reference figure from the corpus README.
//!
//! The result is a Markdown table on stdout; progress and build output go to stderr.
//!
//! ```text
//! cargo xtask bench [--runs N]
//! ```

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The database measured, inside the corpus.
const INPUT: &str = "linux-2025-v6.19/sysreg";
/// The kernel generator on mawk, on `INPUT`, whole process, best of 5: from the corpus README.
const MAWK_REFERENCE: Duration = Duration::from_millis(19);
/// Targets.
const TARGET_PROCESS: Duration = Duration::from_millis(2);
const TARGET_SPEEDUP: f64 = 10.0;
const TARGET_RSS_KB: u64 = 20 * 1024;
/// Untimed runs before the timed ones (page cache, CPU frequency).
const WARM_UP_RUNS: usize = 5;

pub fn run(args: &[String]) -> Result<(), String> {
    let mut runs = 50;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => {
                runs = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n: &usize| n > 0)
                    .ok_or("--runs needs a positive number")?;
            }
            a => {
                return Err(format!(
                    "bench: unknown argument {a} (usage: bench [--runs N])"
                ))
            }
        }
    }

    let corpus = crate::corpus();
    let input = corpus.join(INPUT);
    if !input.is_file() {
        return Err(format!(
            "benchmark input {} not found: `cargo xtask bench` needs the kernel sysreg corpus at \
             ../shared/sysreg-corpus relative to the workspace root ({})",
            input.display(),
            crate::root().display()
        ));
    }
    let input = input
        .canonicalize()
        .map_err(|e| format!("{}: {e}", input.display()))?;
    let awk = kernel_awk()?;

    crate::run("cargo", &["build", "--release", "-p", "codegen"])?;
    let in_process = in_process(&input)?;

    let exe = crate::root().join("target/release/sysreg-gen");
    let exe = exe.to_str().ok_or("non-UTF-8 workspace path")?;
    let file = input.to_str().ok_or("non-UTF-8 corpus path")?;
    eprintln!("timing `sysreg-gen c-header {file} -o /dev/null`, {runs} runs");
    let ours = time_process(exe, &["c-header", file, "-o", "/dev/null"], runs)?;
    let floor = time_process(exe, &["--version"], runs)?;
    let mawk = match &awk {
        Some(script) => {
            let script = script.to_str().ok_or("non-UTF-8 KERNEL_GEN_SYSREG_AWK")?;
            eprintln!("timing `mawk -f {script} {file}`, {runs} runs");
            Some((script, time_process("mawk", &["-f", script, file], runs)?))
        }
        None => None,
    };
    // What was timed made the right output (checked after timing: holding the output here would
    // raise this process's peak memory, which the children's figures cannot go below).
    let expected = corpus.join(INPUT).with_file_name("sysreg-defs.h");
    let expected = std::fs::read(&expected).map_err(|e| format!("{}: {e}", expected.display()))?;
    if !same_output(exe, &["c-header", file], &expected)? {
        return Err(format!(
            "`sysreg-gen c-header {file}` does not reproduce the corpus's sysreg-defs.h"
        ));
    }
    if let Some((script, _)) = mawk {
        if !same_output("mawk", &["-f", script, file], &expected)? {
            eprintln!(
                "warning: `mawk -f {script} {file}` does not reproduce the corpus's \
                 sysreg-defs.h (another version of the script?)"
            );
        }
    }

    print_table(
        &in_process,
        &ours,
        &floor,
        mawk.as_ref().map(|(_, m)| m),
        runs,
    );
    Ok(())
}

/// The kernel's script when it can be run: `KERNEL_GEN_SYSREG_AWK` is set and `mawk` exists.
fn kernel_awk() -> Result<Option<PathBuf>, String> {
    let Some(script) = std::env::var_os("KERNEL_GEN_SYSREG_AWK") else {
        eprintln!(
            "KERNEL_GEN_SYSREG_AWK is not set: comparing with the corpus README's mawk figure"
        );
        return Ok(None);
    };
    let script = PathBuf::from(script);
    if !script.is_file() {
        return Err(format!(
            "KERNEL_GEN_SYSREG_AWK={} is not a file (it should name a copy of the kernel's \
             arch/arm64/tools/gen-sysreg.awk)",
            script.display()
        ));
    }
    let mawk = Command::new("mawk")
        .args(["-W", "version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !mawk.is_ok_and(|s| s.success()) {
        eprintln!("mawk is not installed: comparing with the corpus README's mawk figure");
        return Ok(None);
    }
    Ok(Some(script))
}

/// Whether `program args` succeeds and writes `expected` to stdout.
fn same_output(program: &str, args: &[&str], expected: &[u8]) -> Result<bool, String> {
    let out = Command::new(program)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    Ok(out.status.success() && out.stdout == expected)
}

/// One row of the in-process benchmark.
struct Case {
    name: String,
    min: Duration,
    median: Duration,
    iterations: usize,
}

/// Runs the `c_header` bench binary (optimized) and reads its `--tsv` output.
fn in_process(input: &Path) -> Result<Vec<Case>, String> {
    let file = input.to_str().ok_or("non-UTF-8 corpus path")?;
    let args = [
        "bench", "-p", "codegen", "--bench", "c_header", "--", "--tsv", file,
    ];
    eprintln!("$ cargo {}", args.join(" "));
    let out = Command::new("cargo")
        .args(args)
        .current_dir(crate::root())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`cargo {}` failed ({})",
            args.join(" "),
            out.status
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let nanos = |s: &str| s.parse().map(Duration::from_nanos).ok();
    let cases: Vec<Case> = text
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            match cols[..] {
                [name, min, median, iterations] => Some(Case {
                    name: name.to_string(),
                    min: nanos(min)?,
                    median: nanos(median)?,
                    iterations: iterations.parse().ok()?,
                }),
                _ => None,
            }
        })
        .collect();
    if cases.len() < 2 {
        return Err(format!(
            "unexpected output from the c_header bench:\n{text}"
        ));
    }
    Ok(cases)
}

/// Whole-process timings of one command.
struct Process {
    best: Duration,
    median: Duration,
    /// Largest peak RSS of any run, in KiB (None where `wait4` is not available).
    max_rss_kb: Option<u64>,
    /// This process's own peak RSS after the runs, in KiB. Linux carries the spawning
    /// process's peak over into the child's (`ru_maxrss` survives `exec`, and the child is
    /// spawned sharing this process's memory map), so a child figure at or below this only
    /// says "at most this much".
    rss_floor_kb: Option<u64>,
}

/// Runs `program args` (stdout and stderr discarded) `WARM_UP_RUNS` times untimed, then `runs`
/// times timed, each from spawn to reaped.
fn time_process(program: &str, args: &[&str], runs: usize) -> Result<Process, String> {
    let mut times = Vec::with_capacity(runs);
    let mut max_rss_kb = None;
    for i in 0..WARM_UP_RUNS + runs {
        let start = Instant::now();
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run {program}: {e}"))?;
        let (success, rss_kb) = reap(child)?;
        let elapsed = start.elapsed();
        if !success {
            return Err(format!("`{program} {}` failed", args.join(" ")));
        }
        if i >= WARM_UP_RUNS {
            times.push(elapsed);
            max_rss_kb = max_rss_kb.max(rss_kb);
        }
    }
    times.sort_unstable();
    Ok(Process {
        best: times[0],
        median: times[times.len() / 2],
        max_rss_kb,
        rss_floor_kb: self_max_rss_kb(),
    })
}

/// `struct rusage` of Linux: two `struct timeval`, then 14 `long`s, `ru_maxrss` (KiB) first.
#[cfg(target_os = "linux")]
#[repr(C)]
#[derive(Default)]
struct Rusage {
    ru_utime: [std::os::raw::c_long; 2],
    ru_stime: [std::os::raw::c_long; 2],
    ru_maxrss: std::os::raw::c_long,
    _rest: [std::os::raw::c_long; 13],
}

#[cfg(target_os = "linux")]
extern "C" {
    fn wait4(
        pid: std::os::raw::c_int,
        status: *mut std::os::raw::c_int,
        options: std::os::raw::c_int,
        rusage: *mut Rusage,
    ) -> std::os::raw::c_int;
}

/// Waits for `child` with `wait4`, returning whether it succeeded and its peak RSS in KiB.
/// (`getrusage(RUSAGE_CHILDREN)` would not do: it reports the largest child ever reaped,
/// which includes the compilers `cargo build` ran.)
#[cfg(target_os = "linux")]
fn reap(child: std::process::Child) -> Result<(bool, Option<u64>), String> {
    let pid = std::os::raw::c_int::try_from(child.id()).map_err(|_| "pid out of range")?;
    // `child` is dropped without being waited for; dropping a `Child` does not reap it.
    drop(child);
    let mut status = 0;
    let mut usage = Rusage::default();
    loop {
        // SAFETY: `status` and `usage` are valid, writable and of the layout wait4 expects.
        let r = unsafe { wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait4: {err}"));
        }
    }
    // WIFEXITED && WEXITSTATUS == 0.
    let success = status & 0x7f == 0 && (status >> 8) & 0xff == 0;
    Ok((success, u64::try_from(usage.ru_maxrss).ok()))
}

/// This process's peak RSS in KiB: `VmHWM`, the high-water mark of its memory map, which is
/// what a child spawned from it starts from.
fn self_max_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

#[cfg(not(target_os = "linux"))]
fn reap(mut child: std::process::Child) -> Result<(bool, Option<u64>), String> {
    let status = child.wait().map_err(|e| format!("wait: {e}"))?;
    Ok((status.success(), None))
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

/// `3.7 MB`, or `<= 4.1 MB` when the child's figure is this process's own peak showing through.
fn peak_memory(p: &Process) -> String {
    let mb = |kb: u64| kb as f64 / 1024.0;
    match (p.max_rss_kb, p.rss_floor_kb) {
        (None, _) => "n/a (needs Linux wait4)".to_string(),
        (Some(kb), Some(floor)) if kb <= floor => format!("<= {:.1} MB", mb(floor)),
        (Some(kb), _) => format!("{:.1} MB", mb(kb)),
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "**missed**"
    }
}

fn print_table(
    in_process: &[Case],
    ours: &Process,
    floor: &Process,
    mawk: Option<&Process>,
    runs: usize,
) {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("Input `{INPUT}` of the kernel corpus; {cores}-core machine; `cargo xtask bench`.");
    println!();
    println!("| figure | best | median | target | |");
    println!("|---|---|---|---|---|");
    for case in in_process {
        println!(
            "| in-process {} ({} iterations) | {} | {} | | |",
            case.name,
            case.iterations,
            ms(case.min),
            ms(case.median)
        );
    }
    println!(
        "| `sysreg-gen c-header FILE -o /dev/null`, whole process, wall ({runs} runs) | {} | {} | < {} | {} |",
        ms(ours.best),
        ms(ours.median),
        ms(TARGET_PROCESS),
        verdict(ours.best < TARGET_PROCESS)
    );
    println!(
        "| for scale: `sysreg-gen --version`, process start-up alone ({runs} runs) | {} | {} | | |",
        ms(floor.best),
        ms(floor.median)
    );
    let rss_ok = ours.max_rss_kb.map(|kb| verdict(kb < TARGET_RSS_KB));
    println!(
        "| `sysreg-gen` peak memory (max RSS of the child, wait4) | {} | | < {} MB | {} |",
        peak_memory(ours),
        TARGET_RSS_KB / 1024,
        rss_ok.unwrap_or("")
    );
    let (mawk_best, label) = match mawk {
        Some(m) => {
            println!(
                "| kernel `gen-sysreg.awk` on mawk, whole process, wall ({runs} runs) | {} | {} | | |",
                ms(m.best),
                ms(m.median)
            );
            println!(
                "| mawk peak memory (max RSS of the child, wait4) | {} | | | |",
                peak_memory(m)
            );
            (m.best, "measured")
        }
        None => {
            println!(
                "| kernel `gen-sysreg.awk` on mawk: **reference figure** from the corpus README (best of 5, not measured here) | {} | | | |",
                ms(MAWK_REFERENCE)
            );
            (MAWK_REFERENCE, "reference")
        }
    };
    let speedup = mawk_best.as_secs_f64() / ours.best.as_secs_f64();
    println!(
        "| speed-up, best vs best (mawk {label}) | {speedup:.1}x | | >= {TARGET_SPEEDUP}x | {} |",
        verdict(speedup >= TARGET_SPEEDUP)
    );
}
