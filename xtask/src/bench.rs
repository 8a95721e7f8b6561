//! `cargo xtask bench`: the benchmark figures quoted in README.md.
//!
//! On `linux-2025-v6.19/sysreg` of the kernel corpus (`../shared/sysreg-corpus`):
//! - (a), (b) in-process parse+validate and parse+validate+C header (and the C header alone),
//!   from `cargo bench -p codegen --bench c_header` (optimized, `std::time::Instant`, min and
//!   median);
//! - (c) the whole `sysreg-gen c-header FILE -o /dev/null` process of the static release build
//!   (see `dist`): wall time (spawn to reaped) best and median over `--runs` runs, and the
//!   child's peak RSS from `wait4`; for scale, the same for `sysreg-gen --version` (process
//!   start-up alone), and the `c-header` run of the default, dynamically linked build;
//! - (d) the kernel's own generator, `mawk -f gen-sysreg.awk FILE`, timed the same way when
//!   `mawk` is installed and `KERNEL_GEN_SYSREG_AWK` names a copy of the script (it is not part
//!   of this repository); otherwise the reference figure from the corpus README. With mawk, the
//!   static `c-header` run and mawk are also timed interleaved, run by run ("cold": caches as a
//!   kernel build leaves them, which runs the generator once among other processes).
//!
//! The register crates (`cargo xtask bench crates`, see [`crates`] for how each is measured):
//! - (e) the crate `sysreg-gen rust` makes of that database: its source size, and a cold
//!   `cargo build` and `cargo build --release` of it alone (wall time, peak memory of cargo and
//!   the compiler), best and median of `--build-runs` builds, each in a fresh target directory;
//! - (f) for comparison, the newest `aarch64-cpu` and the newest `arm-sysregs` 0.5.x (feature
//!   `el3`), fetched from the registry, built the same way with their dependencies built first;
//! - (g) regeneration: `codegen::project::generate` in-process (`cargo bench -p codegen --bench
//!   regen`) and the whole `sysreg-gen rust` process on the project database.
//!
//! The result is Markdown tables on stdout; progress and build output go to stderr.
//!
//! ```text
//! cargo xtask bench [c-header|crates] [--runs N] [--build-runs N] [--target TRIPLE] [--skip-anchors]
//! ```
//! With no mode, both tables. `--runs` (default 50) is the number of timed runs of each process
//! figure, `--build-runs` (default 3) of each cold build; `--target` builds the crates for
//! another target than the host (e.g. `aarch64-unknown-none`); `--skip-anchors` leaves out
//! aarch64-cpu and arm-sysregs (and so the network).

use std::path::PathBuf;
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
/// How many runs of a command are timed in a row before the next command's turn.
const BLOCK: usize = 10;

pub fn run(args: &[String]) -> Result<(), String> {
    const USAGE: &str = "usage: bench [c-header|crates] [--runs N] [--build-runs N] \
                         [--target TRIPLE] [--skip-anchors]";
    let mut mode = None;
    let mut options = crates::Options {
        runs: 50,
        build_runs: 3,
        target: None,
        anchors: true,
    };
    let positive = |n: Option<&String>, what: &str| {
        n.and_then(|n| n.parse().ok())
            .filter(|&n: &usize| n > 0)
            .ok_or(format!("{what} needs a positive number ({USAGE})"))
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "c-header" | "crates" if mode.is_none() => mode = Some(arg.as_str()),
            "--runs" => options.runs = positive(args.next(), "--runs")?,
            "--build-runs" => options.build_runs = positive(args.next(), "--build-runs")?,
            "--target" => {
                options.target = Some(
                    args.next()
                        .ok_or(format!("--target needs a target triple ({USAGE})"))?
                        .clone(),
                );
            }
            "--skip-anchors" => options.anchors = false,
            a => return Err(format!("bench: unknown argument {a} ({USAGE})")),
        }
    }
    match mode {
        Some("c-header") => c_header(options.runs),
        Some("crates") => crates::run(&options),
        _ => {
            c_header(options.runs)?;
            println!();
            crates::run(&options)
        }
    }
}

/// The C-header figures: in-process, whole process, and the kernel's script on mawk.
fn c_header(runs: usize) -> Result<(), String> {
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
    let static_exe = crate::dist::build()?;
    let file = input.to_str().ok_or("non-UTF-8 corpus path")?;
    let in_process = in_process("c_header", &["--tsv", file])?;

    let exe = static_exe.to_str().ok_or("non-UTF-8 workspace path")?;
    let default_exe = release_exe();
    let default_exe = default_exe.to_str().ok_or("non-UTF-8 workspace path")?;
    let script = match &awk {
        Some(script) => Some(script.to_str().ok_or("non-UTF-8 KERNEL_GEN_SYSREG_AWK")?),
        None => None,
    };
    let mut commands: Vec<(&str, Vec<&str>)> = vec![
        (exe, vec!["c-header", file, "-o", "/dev/null"]),
        (exe, vec!["--version"]),
        (default_exe, vec!["c-header", file, "-o", "/dev/null"]),
    ];
    if let Some(script) = script {
        commands.push(("mawk", vec!["-f", script, file]));
    }
    // Each command in turn, `BLOCK` runs at a time: back-to-back runs (as hyperfine times
    // them, caches warm), with a burst of load on the machine falling on every command alike.
    // These are the figures the target is judged by.
    for (program, args) in &commands {
        eprintln!("timing `{program} {}`, {runs} runs", args.join(" "));
    }
    let timed = time_processes(&commands, runs, BLOCK)?;
    // Then ours and mawk interleaved run by run: each run of ours follows a run of mawk, whose
    // 11 ms leave the caches cold (as in a kernel build, which runs the generator once).
    let cold = match script {
        Some(_) => {
            eprintln!("timing the static c-header run and mawk again, interleaved run by run");
            let pair = [commands[0].clone(), commands[3].clone()];
            Some(time_processes(&pair, runs, 1)?)
        }
        None => None,
    };
    let mut timed = timed.into_iter();
    let mut next = || timed.next().ok_or("a timing is missing");
    let (ours, floor, default) = (next()?, next()?, next()?);
    let mawk = match script {
        Some(script) => Some((script, next()?)),
        None => None,
    };
    // What was timed made the right output (checked after timing: holding the output here would
    // raise this process's peak memory, which the children's figures cannot go below).
    let expected = corpus.join(INPUT).with_file_name("sysreg-defs.h");
    let expected = std::fs::read(&expected).map_err(|e| format!("{}: {e}", expected.display()))?;
    for exe in [exe, default_exe] {
        if !same_output(exe, &["c-header", file], &expected)? {
            return Err(format!(
                "`{exe} c-header {file}` does not reproduce the corpus's sysreg-defs.h"
            ));
        }
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
        [&ours, &floor, &default],
        mawk.as_ref().map(|(_, m)| m),
        cold.as_deref(),
        runs,
    );
    Ok(())
}

/// The `sysreg-gen` that `cargo build --release` made (for the host target, dynamically
/// linked).
fn release_exe() -> PathBuf {
    crate::target_dir().join("release/sysreg-gen")
}

/// The kernel's script when it can be run: `KERNEL_GEN_SYSREG_AWK` is set and `mawk` exists.
fn kernel_awk() -> Result<Option<PathBuf>, String> {
    let Some(script) = std::env::var_os("KERNEL_GEN_SYSREG_AWK") else {
        eprintln!(
            "KERNEL_GEN_SYSREG_AWK is not set: comparing with the corpus README's mawk figure"
        );
        return Ok(None);
    };
    // Absolute: the processes timed are spawned without changing directory.
    let script = std::path::absolute(PathBuf::from(script)).map_err(|e| e.to_string())?;
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

/// Runs the bench binary `bench` of `codegen` (optimized) with `bench_args` (which ask for
/// `--tsv` output) and reads its output.
fn in_process(bench: &str, bench_args: &[&str]) -> Result<Vec<Case>, String> {
    let mut args = vec!["bench", "-p", "codegen", "--bench", bench, "--"];
    args.extend_from_slice(bench_args);
    eprintln!("$ cargo {}", args.join(" "));
    let out = Command::new("cargo")
        .args(&args)
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
        return Err(format!("unexpected output from the {bench} bench:\n{text}"));
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

/// Runs `program args` (stdin, stdout and stderr on `/dev/null`) `WARM_UP_RUNS` times untimed,
/// then `runs` times timed, each from spawn to reaped. The paths given must be absolute: the
/// child runs in this process's directory.
///
/// On Linux the child is started with a bare `posix_spawnp`: `std::process::Command` adds about
/// 0.15 ms to every run (more with a `current_dir`, which makes it fork this process), a tenth
/// of the `c-header` run measured, and the same constant added to both sides would understate
/// the speed-up over mawk.
fn time_process(program: &str, args: &[&str], runs: usize) -> Result<Process, String> {
    let mut timed = time_processes(&[(program, args.to_vec())], runs, runs)?;
    Ok(timed.remove(0))
}

/// [`time_process`] for several commands at once, taking turns: each round runs every command
/// `block` times in a row (after `WARM_UP_RUNS` untimed runs of each), so a burst of load on
/// the machine (the benchmark machine is shared) falls on all of them alike rather than on
/// whichever was being timed, and their ratio stays fair. In a block all but the first run
/// find the caches warm from the run before, as back-to-back runs do; with `block` 1 every run
/// follows another command's.
fn time_processes(
    commands: &[(&str, Vec<&str>)],
    runs: usize,
    block: usize,
) -> Result<Vec<Process>, String> {
    let mut times = vec![Vec::with_capacity(runs); commands.len()];
    let mut max_rss_kb = vec![None; commands.len()];
    let mut run = |i: usize, timed: bool| -> Result<(), String> {
        let (program, args) = &commands[i];
        let start = Instant::now();
        let (success, rss_kb) = run_quiet(program, args)?;
        let elapsed = start.elapsed();
        if !success {
            return Err(format!("`{program} {}` failed", args.join(" ")));
        }
        if timed {
            times[i].push(elapsed);
            max_rss_kb[i] = max_rss_kb[i].max(rss_kb);
        }
        Ok(())
    };
    for i in 0..commands.len() {
        for _ in 0..WARM_UP_RUNS {
            run(i, false)?;
        }
    }
    let block = block.max(1);
    for round in 0..runs.div_ceil(block) {
        let in_round = block.min(runs - round * block);
        for i in 0..commands.len() {
            for _ in 0..in_round {
                run(i, true)?;
            }
        }
    }
    let rss_floor_kb = self_max_rss_kb();
    Ok(times
        .into_iter()
        .zip(max_rss_kb)
        .map(|(mut times, max_rss_kb)| {
            times.sort_unstable();
            Process {
                best: times[0],
                median: times[times.len() / 2],
                max_rss_kb,
                rss_floor_kb,
            }
        })
        .collect())
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

/// Runs `program args` with stdin, stdout and stderr on `/dev/null`, from `posix_spawnp` to
/// reaped; returns whether it succeeded and its peak RSS in KiB.
#[cfg(target_os = "linux")]
fn run_quiet(program: &str, args: &[&str]) -> Result<(bool, Option<u64>), String> {
    use std::ffi::{c_char, c_int, c_void, CString};
    /// `posix_spawn_file_actions_t`, opaque (80 bytes on glibc; room to spare here).
    #[repr(C, align(8))]
    struct FileActions([u8; 256]);
    extern "C" {
        fn posix_spawnp(
            pid: *mut c_int,
            file: *const c_char,
            actions: *const FileActions,
            attributes: *const c_void,
            argv: *const *const c_char,
            envp: *const *const c_char,
        ) -> c_int;
        fn posix_spawn_file_actions_init(actions: *mut FileActions) -> c_int;
        fn posix_spawn_file_actions_addopen(
            actions: *mut FileActions,
            fd: c_int,
            path: *const c_char,
            flags: c_int,
            mode: u32,
        ) -> c_int;
        fn posix_spawn_file_actions_destroy(actions: *mut FileActions) -> c_int;
        static environ: *const *const c_char;
    }
    const O_RDONLY: c_int = 0;
    const O_WRONLY: c_int = 1;
    let owned: Vec<CString> = std::iter::once(program)
        .chain(args.iter().copied())
        .map(|a| CString::new(a).map_err(|_| format!("NUL in argument {a:?}")))
        .collect::<Result<_, _>>()?;
    let argv: Vec<*const c_char> = owned
        .iter()
        .map(|a| a.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect();
    let null = c"/dev/null";
    let mut actions = FileActions([0; 256]);
    let mut pid = 0;
    // SAFETY: `actions` is initialised before use and destroyed after; every string is
    // NUL-terminated and `argv` ends with a null pointer; `environ` is this process's
    // environment.
    let spawned = unsafe {
        let mut set_up = posix_spawn_file_actions_init(&mut actions);
        for (fd, flags) in [(0, O_RDONLY), (1, O_WRONLY), (2, O_WRONLY)] {
            if set_up == 0 {
                set_up =
                    posix_spawn_file_actions_addopen(&mut actions, fd, null.as_ptr(), flags, 0);
            }
        }
        if set_up != 0 {
            return Err(format!(
                "posix_spawn_file_actions: {}",
                std::io::Error::from_raw_os_error(set_up)
            ));
        }
        let r = posix_spawnp(
            &mut pid,
            argv[0],
            &actions,
            std::ptr::null(),
            argv.as_ptr(),
            environ,
        );
        posix_spawn_file_actions_destroy(&mut actions);
        r
    };
    if spawned != 0 {
        let err = std::io::Error::from_raw_os_error(spawned);
        return Err(format!("cannot run {program}: {err}"));
    }
    wait_for(pid)
}

#[cfg(not(target_os = "linux"))]
fn run_quiet(program: &str, args: &[&str]) -> Result<(bool, Option<u64>), String> {
    let child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    reap(child)
}

/// Waits for `child` with `wait4`, returning whether it succeeded and its peak RSS in KiB.
/// (`getrusage(RUSAGE_CHILDREN)` would not do: it reports the largest child ever reaped,
/// which includes the compilers `cargo build` ran.)
#[cfg(target_os = "linux")]
fn reap(child: std::process::Child) -> Result<(bool, Option<u64>), String> {
    let pid = std::os::raw::c_int::try_from(child.id()).map_err(|_| "pid out of range")?;
    // `child` is dropped without being waited for; dropping a `Child` does not reap it.
    drop(child);
    wait_for(pid)
}

/// Reaps the child `pid` with `wait4`: whether it succeeded and its peak RSS in KiB.
#[cfg(target_os = "linux")]
fn wait_for(pid: std::os::raw::c_int) -> Result<(bool, Option<u64>), String> {
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

/// `ours`: the static `sysreg-gen` on the input, the same on `--version`, and the default
/// (dynamically linked) build on the input; `cold`: the static run and mawk interleaved.
fn print_table(
    in_process: &[Case],
    ours: [&Process; 3],
    mawk: Option<&Process>,
    cold: Option<&[Process]>,
    runs: usize,
) {
    let [ours, floor, default] = ours;
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
        "| `sysreg-gen c-header FILE -o /dev/null`, whole process, wall ({runs} runs, {BLOCK} at a time; static musl build) | {} | {} | < {} | {} |",
        ms(ours.best),
        ms(ours.median),
        ms(TARGET_PROCESS),
        verdict(ours.best < TARGET_PROCESS)
    );
    println!(
        "| for scale: `sysreg-gen --version`, process start-up alone ({runs} runs; static) | {} | {} | | |",
        ms(floor.best),
        ms(floor.median)
    );
    println!(
        "| the same `c-header` run, default build (glibc, dynamically linked) | {} | {} | | |",
        ms(default.best),
        ms(default.median)
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
                "| kernel `gen-sysreg.awk` on mawk, whole process, wall ({runs} runs, {BLOCK} at a time, in turn with the above) | {} | {} | | |",
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
    if let Some([ours, mawk]) = cold {
        println!(
            "| cold: the static `c-header` run right after each mawk run (interleaved, {runs} pairs) | {} | {} | | |",
            ms(ours.best),
            ms(ours.median)
        );
        println!(
            "| cold: mawk right after each `c-header` run | {} | {} | | |",
            ms(mawk.best),
            ms(mawk.median)
        );
        println!(
            "| cold speed-up, best vs best | {:.1}x | | | |",
            mawk.best.as_secs_f64() / ours.best.as_secs_f64()
        );
    }
}

/// `cargo xtask bench crates`: what the generated register crates cost their users (cold build
/// time and compiler memory) and what regenerating them costs, next to the two published AArch64
/// register crates.
///
/// Everything is made under `target/xtask-bench/` of the workspace:
/// - `kernel/`: a workspace of its own (so the repository's workspace does not claim it) holding
///   `linux-sysregs/`, the crate `sysreg-gen rust` (release) makes of `INPUT`, untouched. Each
///   measurement is `cargo build [--release]` in a fresh, empty target directory.
/// - `anchors/`: a scratch package depending on the newest `aarch64-cpu` and the newest
///   `arm-sysregs` 0.5.x with feature `el3` (what the reference measured), resolved and fetched
///   from the registry on every run. Their dependencies are built first, untimed; each
///   measurement is `cargo clean -p` of the anchor's own crates, then `cargo build -p` of it,
///   timed, and the `Compiling` lines of that build must name exactly the anchor's crates (so
///   nothing else was compiled in the time).
/// - `regen-out/`: the crate `sysreg-gen rust` makes of the project database, timed as a whole
///   process and checked against `codegen::project::generate`.
///
/// Times are wall times of the whole `cargo` process (spawn to reaped), so they include cargo's
/// own start-up and fingerprinting; the no-op build is printed for scale. Peak memory is the
/// `ru_maxrss` `wait4` reports for `cargo`, the largest of cargo and every compiler it ran. The
/// child `cargo`s run without `RUSTFLAGS`, `CARGO_INCREMENTAL`, wrappers, `CARGO_BUILD_*`,
/// `CARGO_PROFILE_*` and a parent's jobserver, so the figures are of cargo's defaults.
mod crates {
    use super::{in_process, ms, reap, time_process, verdict, Case, Process, INPUT};
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::{Path, PathBuf};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    pub struct Options {
        /// Timed runs of each process figure.
        pub runs: usize,
        /// Cold builds of each crate figure (the best and the median are printed).
        pub build_runs: usize,
        /// `--target` of every build (the host when `None`).
        pub target: Option<String>,
        /// Whether to build aarch64-cpu and arm-sysregs.
        pub anchors: bool,
    }

    /// Targets.
    const TARGET_BUILD: Duration = Duration::from_secs(2);
    const TARGET_BUILD_RSS_KB: u64 = 300 * 1024;
    const TARGET_REGEN: Duration = Duration::from_millis(50);
    /// Where everything is made, relative to the workspace root.
    const WORK_DIR: &str = "target/xtask-bench";
    /// The package name of the crate generated from `INPUT`.
    const KERNEL_CRATE: &str = "linux-sysregs";
    /// At most this many timed runs of `sysreg-gen rust` on `INPUT` (about 0.4 s each).
    const KERNEL_GENERATE_RUNS: usize = 10;

    /// A published crate measured for comparison.
    struct Anchor {
        /// The package `cargo build -p` builds.
        package: &'static str,
        /// Its line in the scratch package's `[dependencies]`.
        dependency: &'static str,
        /// The packages of the anchor itself, compiled in the timed build (dependencies such as
        /// `bitflags` or `syn` are built before).
        crates: &'static [&'static str],
        /// What this is, for the table.
        about: &'static str,
    }

    const ANCHORS: [Anchor; 2] = [
        Anchor {
            package: "aarch64-cpu",
            dependency: r#"aarch64-cpu = "*""#,
            crates: &["aarch64-cpu"],
            about: "hand-written, `tock-registers` macros",
        },
        Anchor {
            package: "arm-sysregs",
            dependency: r#"arm-sysregs = { version = "0.5", features = ["el3"] }"#,
            crates: &[
                "arm-sysregs",
                "arm-sysregs-aarch32",
                "arm-sysregs-common",
                "arm-sysregs-el0",
                "arm-sysregs-el1",
                "arm-sysregs-el2",
                "arm-sysregs-el3",
            ],
            about: "feature `el3`: generated from AARCHMRS, `bitflags` + impls; AArch64 EL0-EL3 + AArch32",
        },
    ];

    #[derive(Clone, Copy)]
    enum Profile {
        Debug,
        Release,
    }

    impl Profile {
        fn name(self) -> &'static str {
            match self {
                Profile::Debug => "debug",
                Profile::Release => "release",
            }
        }
        /// What `cargo build` is given for it, with a leading space.
        fn flag(self) -> &'static str {
            match self {
                Profile::Debug => "",
                Profile::Release => " --release",
            }
        }
    }

    /// Cold builds of one crate in one profile.
    struct Builds {
        /// Wall times, sorted.
        times: Vec<Duration>,
        /// The largest peak RSS of any run, KiB.
        max_rss_kb: Option<u64>,
        /// The same `cargo build` again with nothing to do: cargo's own share of the times.
        no_op: Duration,
    }

    impl Builds {
        fn best(&self) -> Duration {
            self.times[0]
        }
        fn median(&self) -> Duration {
            self.times[self.times.len() / 2]
        }
    }

    /// Lines and bytes of Rust source.
    #[derive(Default, Clone, Copy)]
    struct Size {
        files: usize,
        lines: usize,
        bytes: usize,
    }

    struct AnchorFigures {
        anchor: &'static Anchor,
        /// Each of `anchor.crates` with its resolved version.
        versions: Vec<(String, String)>,
        size: Size,
        debug: Builds,
        release: Builds,
    }

    impl AnchorFigures {
        fn builds(&self, profile: Profile) -> &Builds {
            match profile {
                Profile::Debug => &self.debug,
                Profile::Release => &self.release,
            }
        }
    }

    pub fn run(options: &Options) -> Result<(), String> {
        let root = crate::root();
        let input = crate::corpus().join(INPUT);
        if !input.is_file() {
            return Err(format!(
                "benchmark input {} not found: `cargo xtask bench crates` needs the kernel sysreg \
                 corpus at ../shared/sysreg-corpus relative to the workspace root ({})",
                input.display(),
                root.display()
            ));
        }
        let input = input
            .canonicalize()
            .map_err(|e| format!("{}: {e}", input.display()))?;
        let work = root.join(WORK_DIR);
        std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
        let load_before = load_average();

        crate::run("cargo", &["build", "--release", "-p", "codegen"])?;
        let exe = super::release_exe();
        let exe = exe.to_str().ok_or("non-UTF-8 workspace path")?;

        // Regeneration: in-process, then the whole process, checked after timing.
        let regen_cases = in_process("regen", &["--tsv"])?;
        let regen = regen_process(exe, &work, options.runs)?;

        // The kernel crate: generate, then build it cold.
        let kernel = kernel_crate(exe, &input, &work, options)?;

        let anchors = if options.anchors {
            anchors(&work, options)?
        } else {
            eprintln!("--skip-anchors: aarch64-cpu and arm-sysregs are not built");
            Vec::new()
        };

        let rustc = Command::new("rustc")
            .arg("-V")
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_else(|| "rustc (version unknown)".into());
        print_table(&Report {
            options,
            rustc: &rustc,
            load: (load_before, load_average()),
            regen_cases: &regen_cases,
            regen: &regen,
            kernel: &kernel,
            anchors: &anchors,
        });
        Ok(())
    }

    /// Times `sysreg-gen rust` on the project database (as `cargo xtask regen` reads it) and
    /// checks that it wrote what `codegen::project::generate` makes.
    fn regen_process(exe: &str, work: &Path, runs: usize) -> Result<Process, String> {
        let root = crate::root();
        let out = work.join("regen-out");
        let out_arg = out.to_str().ok_or("non-UTF-8 workspace path")?;
        let files = codegen::project::database_files(&root)?;
        let mut args = vec![
            "rust",
            "-o",
            out_arg,
            "--crate-name",
            codegen::project::CRATE_NAME,
        ];
        args.extend(files.iter().map(String::as_str));
        eprintln!("timing `sysreg-gen {}`, {runs} runs", args.join(" "));
        let process = time_process(exe, &args, runs)?;
        // Checked after timing (holding the crate here would raise this process's peak memory,
        // which the children's figures cannot go below).
        for file in codegen::project::generate(&root)? {
            let path = out.join(&file.path);
            if std::fs::read_to_string(&path).ok().as_deref() != Some(file.contents.as_str()) {
                return Err(format!(
                    "`sysreg-gen {}` did not write what `codegen::project::generate` makes ({} \
                     differs)",
                    args.join(" "),
                    path.display()
                ));
            }
        }
        Ok(process)
    }

    struct Kernel {
        registers: usize,
        generate: Process,
        generate_runs: usize,
        size: Size,
        debug: Builds,
        release: Builds,
    }

    impl Kernel {
        fn builds(&self, profile: Profile) -> &Builds {
            match profile {
                Profile::Debug => &self.debug,
                Profile::Release => &self.release,
            }
        }
    }

    fn kernel_crate(
        exe: &str,
        input: &Path,
        work: &Path,
        options: &Options,
    ) -> Result<Kernel, String> {
        let ws = work.join("kernel");
        let dir = ws.join(KERNEL_CRATE);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::create_dir_all(&ws).map_err(|e| format!("{}: {e}", ws.display()))?;
        write(
            &ws.join("Cargo.toml"),
            &format!(
                "# Made by `cargo xtask bench crates`: a workspace of its own for the generated \
                 crate,\n# so that the repository's workspace does not claim it.\n[workspace]\n\
                 members = [\"{KERNEL_CRATE}\"]\nresolver = \"2\"\n"
            ),
        )?;
        let text =
            std::fs::read_to_string(input).map_err(|e| format!("{}: {e}", input.display()))?;
        let registers = text
            .lines()
            .filter(|l| l.split_whitespace().next() == Some("Sysreg"))
            .count();

        let dir_arg = dir.to_str().ok_or("non-UTF-8 workspace path")?;
        let file = input.to_str().ok_or("non-UTF-8 corpus path")?;
        let args = ["rust", "-o", dir_arg, "--crate-name", KERNEL_CRATE, file];
        let generate_runs = options.runs.min(KERNEL_GENERATE_RUNS);
        eprintln!(
            "timing `sysreg-gen {}`, {generate_runs} runs",
            args.join(" ")
        );
        let generate = time_process(exe, &args, generate_runs)?;
        if !dir.join("Cargo.toml").is_file() {
            return Err(format!(
                "`sysreg-gen {}` wrote no Cargo.toml",
                args.join(" ")
            ));
        }
        let size = source_size(&dir.join("src"))?;

        let target_dir = ws.join("target");
        cargo(&ws, &target_dir, &["generate-lockfile", "--offline"])?;
        let expect = [KERNEL_CRATE];
        let mut builds = Vec::new();
        for profile in [Profile::Debug, Profile::Release] {
            let args = build_args(profile, options.target.as_deref(), &["--offline"]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            eprintln!(
                "{} cold builds of {KERNEL_CRATE} ({}): `cargo {}` in {}, each in a fresh target \
                 directory",
                options.build_runs,
                profile.name(),
                args.join(" "),
                ws.display()
            );
            let mut times = Vec::new();
            let mut max_rss_kb = None;
            for _ in 0..options.build_runs {
                remove_dir(&target_dir)?;
                let run = cargo(&ws, &target_dir, &args)?;
                check_compiled(&run, &expect, &args)?;
                eprintln!("  {}", seconds(run.wall));
                times.push(run.wall);
                max_rss_kb = max_rss_kb.max(run.max_rss_kb);
            }
            let no_op = cargo(&ws, &target_dir, &args)?;
            check_compiled(&no_op, &[], &args)?;
            times.sort_unstable();
            builds.push(Builds {
                times,
                max_rss_kb,
                no_op: no_op.wall,
            });
        }
        let release = builds.pop().expect("two profiles");
        let debug = builds.pop().expect("two profiles");
        Ok(Kernel {
            registers,
            generate,
            generate_runs,
            size,
            debug,
            release,
        })
    }

    fn anchors(work: &Path, options: &Options) -> Result<Vec<AnchorFigures>, String> {
        let dir = work.join("anchors");
        std::fs::create_dir_all(dir.join("src")).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut manifest = String::from(
            "# Made by `cargo xtask bench crates`: the published register crates it compares \
             with.\n[package]\nname = \"xtask-bench-anchors\"\nversion = \"0.0.0\"\n\
             edition = \"2021\"\npublish = false\n\n[dependencies]\n",
        );
        for anchor in &ANCHORS {
            manifest.push_str(anchor.dependency);
            manifest.push('\n');
        }
        manifest.push_str("\n[workspace]\nresolver = \"2\"\n");
        write(&dir.join("Cargo.toml"), &manifest)?;
        write(&dir.join("src/lib.rs"), "#![no_std]\n")?;
        let target_dir = dir.join("target");

        // Resolve the newest versions and download them: the only step that needs the network.
        remove_file(&dir.join("Cargo.lock"))?;
        for step in [&["generate-lockfile"][..], &["fetch", "--locked"]] {
            cargo(&dir, &target_dir, step).map_err(|e| {
                format!(
                    "cannot fetch the comparison crates ({}) from the registry: `cargo {}` \
                     failed (this needs the network; --skip-anchors leaves them out):\n{e}",
                    ANCHORS.map(|a| a.dependency).join(", "),
                    step.join(" ")
                )
            })?;
        }
        let lock = std::fs::read_to_string(dir.join("Cargo.lock"))
            .map_err(|e| format!("{}/Cargo.lock: {e}", dir.display()))?;
        let versions = lock_versions(&lock);
        let metadata = cargo(
            &dir,
            &target_dir,
            &["metadata", "--offline", "--locked", "--format-version", "1"],
        )?;
        let mut figures = Vec::new();
        for anchor in &ANCHORS {
            let mut size = Size::default();
            let mut crate_versions = Vec::new();
            for name in anchor.crates {
                let version = versions
                    .get(*name)
                    .ok_or_else(|| format!("{name} is not in {}/Cargo.lock", dir.display()))?;
                let package_dir =
                    package_dir(&metadata.stdout, name, version).ok_or_else(|| {
                        format!("cargo metadata does not say where {name} {version} is")
                    })?;
                let s = source_size(&package_dir.join("src"))?;
                size.files += s.files;
                size.lines += s.lines;
                size.bytes += s.bytes;
                crate_versions.push((name.to_string(), version.clone()));
            }
            figures.push((anchor, crate_versions, size, Vec::new()));
        }

        for profile in [Profile::Debug, Profile::Release] {
            // The dependencies (and everything else) first, untimed.
            let args = build_args(
                profile,
                options.target.as_deref(),
                &["--offline", "--locked"],
            );
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            eprintln!(
                "building the comparison crates' dependencies ({})",
                profile.name()
            );
            cargo(&dir, &target_dir, &args)?;
            for (anchor, _, _, builds) in &mut figures {
                let mut clean = build_args(profile, options.target.as_deref(), &["--offline"]);
                clean[0] = "clean".into();
                for name in anchor.crates {
                    clean.extend(["-p".to_string(), name.to_string()]);
                }
                let clean: Vec<&str> = clean.iter().map(String::as_str).collect();
                let mut build = args.clone();
                build.extend(["-p", anchor.package]);
                eprintln!(
                    "{} cold builds of {} ({}): `cargo {}` then `cargo {}` in {}",
                    options.build_runs,
                    anchor.package,
                    profile.name(),
                    clean.join(" "),
                    build.join(" "),
                    dir.display()
                );
                let mut times = Vec::new();
                let mut max_rss_kb = None;
                for _ in 0..options.build_runs {
                    cargo(&dir, &target_dir, &clean)?;
                    let run = cargo(&dir, &target_dir, &build)?;
                    check_compiled(&run, anchor.crates, &build)?;
                    eprintln!("  {}", seconds(run.wall));
                    times.push(run.wall);
                    max_rss_kb = max_rss_kb.max(run.max_rss_kb);
                }
                let no_op = cargo(&dir, &target_dir, &build)?;
                check_compiled(&no_op, &[], &build)?;
                times.sort_unstable();
                builds.push(Builds {
                    times,
                    max_rss_kb,
                    no_op: no_op.wall,
                });
            }
        }
        Ok(figures
            .into_iter()
            .map(|(anchor, versions, size, mut builds)| {
                let release = builds.pop().expect("two profiles");
                let debug = builds.pop().expect("two profiles");
                AnchorFigures {
                    anchor,
                    versions,
                    size,
                    debug,
                    release,
                }
            })
            .collect())
    }

    /// `build [--release] [--target T] extra...`.
    fn build_args(profile: Profile, target: Option<&str>, extra: &[&str]) -> Vec<String> {
        let mut args = vec!["build".to_string()];
        if let Profile::Release = profile {
            args.push("--release".into());
        }
        if let Some(target) = target {
            args.extend(["--target".into(), target.into()]);
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }

    /// One `cargo` run.
    struct CargoRun {
        wall: Duration,
        /// Peak RSS of cargo and every process it waited for (the compilers), KiB.
        max_rss_kb: Option<u64>,
        stdout: String,
        stderr: String,
    }

    /// What the child `cargo`s must not inherit: it would change what is built or how.
    fn inherited_build_setting(name: &str) -> bool {
        matches!(
            name,
            "RUSTFLAGS"
                | "CARGO_ENCODED_RUSTFLAGS"
                | "CARGO_INCREMENTAL"
                | "RUSTC_WRAPPER"
                | "RUSTC_WORKSPACE_WRAPPER"
                | "CARGO_MAKEFLAGS"
                | "MAKEFLAGS"
                | "MFLAGS"
        ) || name.starts_with("CARGO_BUILD_")
            || name.starts_with("CARGO_PROFILE_")
    }

    /// Runs `cargo args` in `dir` with `target_dir` as its target directory, timed from spawn
    /// to reaped; fails with its stderr if it fails.
    fn cargo(dir: &Path, target_dir: &Path, args: &[&str]) -> Result<CargoRun, String> {
        let out_path = dir.join("cargo-stdout.log");
        let err_path = dir.join("cargo-stderr.log");
        let create =
            |p: &Path| std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()));
        let mut command = Command::new("cargo");
        command
            .args(args)
            .current_dir(dir)
            // Set explicitly, so an inherited CARGO_TARGET_DIR does not apply.
            .env("CARGO_TARGET_DIR", target_dir)
            .stdin(Stdio::null())
            .stdout(create(&out_path)?)
            .stderr(create(&err_path)?);
        for (name, _) in std::env::vars_os() {
            if name.to_str().is_some_and(inherited_build_setting) {
                command.env_remove(name);
            }
        }
        // Every crate is built as it is when it is a dependency: not incrementally.
        command.env("CARGO_INCREMENTAL", "0");
        let start = Instant::now();
        let child = command
            .spawn()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        let (success, max_rss_kb) = reap(child)?;
        let wall = start.elapsed();
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        let stderr = read(&err_path);
        if !success {
            return Err(format!(
                "`cargo {}` in {} failed:\n{}",
                args.join(" "),
                dir.display(),
                stderr.trim_end()
            ));
        }
        Ok(CargoRun {
            wall,
            max_rss_kb,
            stdout: read(&out_path),
            stderr,
        })
    }

    /// Fails unless the packages cargo says it compiled are exactly `expect`.
    fn check_compiled(run: &CargoRun, expect: &[&str], args: &[&str]) -> Result<(), String> {
        let compiled: BTreeSet<&str> = run
            .stderr
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("Compiling "))
            .filter_map(|rest| rest.split_whitespace().next())
            .collect();
        let expect: BTreeSet<&str> = expect.iter().copied().collect();
        if compiled == expect {
            Ok(())
        } else {
            Err(format!(
                "`cargo {}` compiled {compiled:?}, not {expect:?}: the timing would not be of \
                 the crate alone",
                args.join(" ")
            ))
        }
    }

    /// Package name to version, from a `Cargo.lock`.
    fn lock_versions(lock: &str) -> BTreeMap<String, String> {
        let quoted = |line: &str, key: &str| {
            line.strip_prefix(key)?
                .trim_start()
                .strip_prefix('=')?
                .trim()
                .strip_prefix('"')?
                .strip_suffix('"')
                .map(str::to_string)
        };
        let mut versions = BTreeMap::new();
        let mut name = None;
        for line in lock.lines() {
            if let Some(n) = quoted(line, "name") {
                name = Some(n);
            } else if let Some(v) = quoted(line, "version") {
                if let Some(n) = name.take() {
                    versions.insert(n, v);
                }
            }
        }
        versions
    }

    /// The directory of package `name` `version`, from `cargo metadata` JSON: the parent of the
    /// `manifest_path` whose directory is `name-version` (as in cargo's registry source cache).
    fn package_dir(metadata: &str, name: &str, version: &str) -> Option<PathBuf> {
        let dir_name = format!("{name}-{version}");
        metadata
            .split("\"manifest_path\":\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .map(|p| PathBuf::from(p.replace("\\\\", "\\")))
            .filter_map(|p| p.parent().map(Path::to_path_buf))
            .find(|dir| dir.file_name().is_some_and(|n| n == dir_name.as_str()))
    }

    /// Files, lines and bytes of the `.rs` files under `dir`.
    fn source_size(dir: &Path) -> Result<Size, String> {
        let mut size = Size::default();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
                let path = entry.map_err(|e| e.to_string())?.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text =
                        std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                    size.files += 1;
                    size.lines += text.iter().filter(|&&b| b == b'\n').count();
                    size.bytes += text.len();
                }
            }
        }
        Ok(size)
    }

    fn write(path: &Path, text: &str) -> Result<(), String> {
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
    }

    fn remove_dir(path: &Path) -> Result<(), String> {
        match std::fs::remove_dir_all(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(format!("{}: {e}", path.display()))
            }
            _ => Ok(()),
        }
    }

    fn remove_file(path: &Path) -> Result<(), String> {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(format!("{}: {e}", path.display()))
            }
            _ => Ok(()),
        }
    }

    /// The 1-minute load average, to show how busy the machine was.
    fn load_average() -> String {
        std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|s| s.split_whitespace().next().map(str::to_string))
            .unwrap_or_else(|| "?".into())
    }

    fn seconds(d: Duration) -> String {
        format!("{:.2} s", d.as_secs_f64())
    }

    fn mb(kb: Option<u64>) -> String {
        kb.map_or("n/a (needs Linux wait4)".into(), |kb| {
            format!("{:.0} MB", kb as f64 / 1024.0)
        })
    }

    /// `82,684`.
    fn thousands(n: usize) -> String {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    }

    fn size_text(s: Size) -> String {
        format!(
            "{} files, {} lines, {:.2} MB",
            s.files,
            thousands(s.lines),
            s.bytes as f64 / 1e6
        )
    }

    struct Report<'a> {
        options: &'a Options,
        rustc: &'a str,
        load: (String, String),
        regen_cases: &'a [Case],
        regen: &'a Process,
        kernel: &'a Kernel,
        anchors: &'a [AnchorFigures],
    }

    fn print_table(r: &Report) {
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        let runs = r.options.runs;
        let n = r.options.build_runs;
        let target = r.options.target.as_deref().unwrap_or("the host");
        let k = r.kernel;
        println!(
            "Register crates: cold `cargo build` of each crate alone for {target}, {}; \
             {cores}-core machine shared with other builds (1-min load average {} at the start, \
             {} at the end), so best and median of {n} cold builds; `cargo xtask bench crates`.",
            r.rustc, r.load.0, r.load.1
        );
        println!();
        println!("| figure | best | median | peak memory | target | |");
        println!("|---|---|---|---|---|---|");
        for profile in [Profile::Debug, Profile::Release] {
            let b = k.builds(profile);
            let time_ok = b.best() < TARGET_BUILD;
            let rss_ok = b.max_rss_kb.map(|kb| kb < TARGET_BUILD_RSS_KB);
            println!(
                "| `{KERNEL_CRATE}` ({} registers of kernel v6.19), cold `cargo build{}` ({n} runs) | {} | {} | {} | < {} s, < {} MB | time {}, memory {} |",
                k.registers,
                profile.flag(),
                seconds(b.best()),
                seconds(b.median()),
                mb(b.max_rss_kb),
                TARGET_BUILD.as_secs(),
                TARGET_BUILD_RSS_KB / 1024,
                verdict(time_ok),
                rss_ok.map_or("n/a", verdict)
            );
            for a in r.anchors {
                let b = a.builds(profile);
                let version = &a.versions[0].1;
                let what = if a.anchor.crates.len() == 1 {
                    "the crate alone".to_string()
                } else {
                    format!("its {} crates alone", a.anchor.crates.len())
                };
                println!(
                    "| for comparison: {} {version}, {what}, cold `cargo build{}` ({n} runs) | {} | {} | {} | | |",
                    a.anchor.package,
                    profile.flag(),
                    seconds(b.best()),
                    seconds(b.median()),
                    mb(b.max_rss_kb),
                );
            }
        }
        println!(
            "| for scale: no-op `cargo build` of the `{KERNEL_CRATE}` workspace (cargo's own share of the times above) | {} | | | | |",
            seconds(k.debug.no_op.min(k.release.no_op))
        );
        if let Some(a) = r.anchors.first() {
            println!(
                "| for scale: no-op `cargo build -p {}` of the comparison package | {} | | | | |",
                a.anchor.package,
                seconds(a.debug.no_op.min(a.release.no_op))
            );
        }
        for case in r.regen_cases {
            let (target, met) = if case.name.starts_with("project::generate") {
                (
                    format!("< {} ms", TARGET_REGEN.as_millis()),
                    verdict(case.min < TARGET_REGEN),
                )
            } else {
                (String::new(), "")
            };
            println!(
                "| in-process {} ({} iterations) | {} | {} | | {target} | {met} |",
                case.name,
                case.iterations,
                ms(case.min),
                ms(case.median),
            );
        }
        println!(
            "| `sysreg-gen rust` on the project database (as `cargo xtask regen`), whole process ({runs} runs) | {} | {} | {} | < {} ms | {} |",
            ms(r.regen.best),
            ms(r.regen.median),
            super::peak_memory(r.regen),
            TARGET_REGEN.as_millis(),
            verdict(r.regen.best < TARGET_REGEN)
        );
        println!(
            "| `sysreg-gen rust` on kernel v6.19 (makes `{KERNEL_CRATE}`), whole process ({} runs) | {} | {} | {} | | |",
            k.generate_runs,
            ms(k.generate.best),
            ms(k.generate.median),
            super::peak_memory(&k.generate),
        );
        println!();
        println!("What was built:");
        println!();
        println!(
            "- `{KERNEL_CRATE}`: `sysreg-gen rust` (release) on `{INPUT}` of the kernel corpus, \
             {} registers; source {} (`src/*.rs`); no dependencies. Each build: `cargo build \
             [--release] --offline` in a fresh, empty target directory (`{WORK_DIR}/kernel`).",
            k.registers,
            size_text(k.size)
        );
        for a in r.anchors {
            let crates: Vec<String> = a.versions.iter().map(|(n, v)| format!("{n} {v}")).collect();
            println!(
                "- {} ({}): `{}`; compiled in the timed build: {}; source {} (`src/**/*.rs`). \
                 Dependencies built first; each build: `cargo clean -p` of these crates, then \
                 `cargo build [--release] -p {}`, whose `Compiling` lines must name exactly \
                 these crates (`{WORK_DIR}/anchors`).",
                a.anchor.package,
                a.anchor.about,
                a.anchor.dependency,
                crates.join(", "),
                size_text(a.size),
                a.anchor.package
            );
        }
        println!(
            "- Times: wall time of the whole `cargo` process, spawn to reaped (cargo's own \
             start-up included: see the no-op rows). Peak memory: `ru_maxrss` from `wait4` on \
             `cargo`, the largest of cargo and every compiler it ran, largest over the runs. \
             Every build is non-incremental (`CARGO_INCREMENTAL=0`), as a dependency is built."
        );
    }
}
