//! `cargo xtask qemu`: builds the EL2 test image (tests/el2-image), boots it on QEMU's `virt`
//! machine at EL2 twice (with `-icount`, where instruction and cycle counts are exact and
//! INST_RETIRED exists, and on the host's clock), and judges its report:
//!
//! - every expected check must PASS (SKIP is accepted only without `-icount`, and only for
//!   the checks that need exact counts);
//! - a platform deviation is accepted only if it is one of QEMU's known departures from the
//!   architecture (listed below with the reason);
//! - the image's exit status must be 0 and its summary present;
//! - the benchmark must show the seeds' shape: no trap per sample in partitioned mode, and at
//!   least 50x fewer traps and (with `-icount`) EL2 instructions than with every access
//!   trapped.
//!
//! Before booting, it disassembles the image's interrupt fast path (`el2_irq_fast`, called
//! from the EL2 vector with only the guest's caller-saved registers saved): it must not touch
//! an FP/SIMD register (the guest's are live) and must call nothing.
//!
//! `--bench` prints only the benchmark table (README.md quotes it).

use crate::root;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The oldest QEMU with FEAT_HPMN0 in `-cpu max`.
const MIN_QEMU: (u32, u32) = (8, 2);
/// A run takes well under a second; anything near this is a hang.
const TIMEOUT: Duration = Duration::from_secs(120);

/// Every check the image reports (a check that disappears is a failure).
const CHECKS: &[&str] = &[
    "pmcr_n_is_hpmn",
    "guest_counts_cycles",
    "guest_counts_instructions",
    "direct_mode_traps_only_types_and_filters",
    "trapped_mode_traps_every_access",
    "guests_see_only_their_own_state",
    "guest_counters_are_exact_across_switches",
    "guest_counters_stop_while_others_run",
    "host_counters_undisturbed",
    "denied_event_does_not_count",
    "overflow_forwarded_once",
    "overflow_injected_once",
    "pending_overflow_survives_a_switch",
    "lazy_guest_causes_no_pmu_switching",
    "hpmn0_allowed",
    "hpmn0_guest_cycle_counter_and_host_counter_0",
    "bench_samples",
];

/// Checks that need INST_RETIRED or exact cycle counts: SKIP is accepted without `-icount`.
const NEED_ICOUNT: &[&str] = &[
    "guest_counts_instructions",
    "guest_counters_stop_while_others_run",
];

/// QEMU 10's known departures from the architecture (see ../shared/reference/qemu-el2.md and
/// README.md): each is a probe of the CPU, not of pmu-part, reported as a deviation.
const KNOWN_DEVIATIONS: &[(&str, &str)] = &[
    (
        "counters_above_hpmn_hidden_from_guest",
        "QEMU checks PMEVCNTR<n>/PMEVTYPER<n> accesses against PMCR_EL0.N only, not MDCR_EL2.HPMN, and shows the host's bits in the enable/overflow sets at EL1",
    ),
    (
        "guest_pmcr_p_spares_host_counters",
        "QEMU's PMCR_EL0.P resets every event counter whatever the EL and HPMN",
    ),
    (
        "host_overflow_interrupts_while_guest_pmu_disabled",
        "QEMU gates the PMU interrupt with PMCR_EL0.E for every counter, not MDCR_EL2.HPME for counters >= HPMN",
    ),
    ("feat_fgt2", "QEMU 10 -cpu max has FEAT_FGT but not FEAT_FGT2"),
    ("feat_pmuv3_icntr", "QEMU 10 -cpu max has no PMICNTR_EL0"),
];

/// One benchmark row of the image's report.
#[derive(Debug, Default, Clone)]
pub struct BenchRow {
    pub name: String,
    pub samples: u64,
    pub traps: u64,
    pub irq_exits: u64,
    pub steady_samples: u64,
    pub steady_traps: u64,
    pub el2_instructions: Option<u64>,
    pub steady_el2_instructions: Option<u64>,
}

/// A parsed report.
#[derive(Debug, Default)]
struct Report {
    checks: Vec<(String, String, String)>,
    deviations: Vec<(String, String)>,
    bench: Vec<BenchRow>,
    summary: Option<String>,
    fatal: Vec<String>,
}

fn parse(output: &str) -> Report {
    let mut r = Report::default();
    for line in output.lines().map(|l| l.trim_end_matches('\r')) {
        if let Some(rest) = line.strip_prefix("check ") {
            if let Some((name, tail)) = rest.split_once(": ") {
                let (verdict, detail) = tail.split_once(' ').unwrap_or((tail, ""));
                r.checks
                    .push((name.to_string(), verdict.to_string(), detail.to_string()));
            }
        } else if let Some(rest) = line.strip_prefix("deviation ") {
            if let Some((name, detail)) = rest.split_once(": ") {
                r.deviations.push((name.to_string(), detail.to_string()));
            }
        } else if let Some(rest) = line.strip_prefix("bench ") {
            if let Some((name, tail)) = rest.split_once(": ") {
                let mut row = BenchRow {
                    name: name.to_string(),
                    ..BenchRow::default()
                };
                for kv in tail.split_whitespace() {
                    let Some((k, v)) = kv.split_once('=') else {
                        continue;
                    };
                    let n = v.parse::<u64>().ok();
                    match k {
                        "samples" => row.samples = n.unwrap_or(0),
                        "traps" => row.traps = n.unwrap_or(0),
                        "irq_exits" => row.irq_exits = n.unwrap_or(0),
                        "steady_samples" => row.steady_samples = n.unwrap_or(0),
                        "steady_traps" => row.steady_traps = n.unwrap_or(0),
                        "el2_instructions" => row.el2_instructions = n,
                        "steady_el2_instructions" => row.steady_el2_instructions = n,
                        _ => {}
                    }
                }
                r.bench.push(row);
            }
        } else if let Some(rest) = line.strip_prefix("summary: ") {
            r.summary = Some(rest.to_string());
        } else if line.starts_with("fatal: ") {
            r.fatal.push(line.to_string());
        }
    }
    r
}

/// `qemu-system-aarch64`, checked to be there and new enough.
fn qemu() -> Result<String, String> {
    let program = "qemu-system-aarch64".to_string();
    let out = Command::new(&program)
        .arg("--version")
        .output()
        .map_err(|e| {
            format!(
                "{program} is not installed ({e}): install QEMU >= {}.{} (`.ci/run` does: package \
             qemu-system-arm from bookworm-backports)",
                MIN_QEMU.0, MIN_QEMU.1
            )
        })?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text
        .split_whitespace()
        .skip_while(|w| *w != "version")
        .nth(1)
        .unwrap_or("");
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if (major, minor) < MIN_QEMU {
        return Err(format!(
            "{program} {version} is too old: FEAT_HPMN0 needs QEMU >= {}.{}",
            MIN_QEMU.0, MIN_QEMU.1
        ));
    }
    Ok(program)
}

/// Builds the image (warnings are errors) and returns its path.
pub fn build_image() -> Result<PathBuf, String> {
    let manifest = root().join("tests/el2-image/Cargo.toml");
    let manifest = manifest.to_string_lossy().to_string();
    // Its own target directory, whatever CARGO_TARGET_DIR says: the path returned is known.
    let target_dir = root().join("tests/el2-image/target");
    let status = Command::new("cargo")
        .args([
            "build",
            "--quiet",
            "--release",
            "--target",
            "aarch64-unknown-none",
            "--manifest-path",
            &manifest,
            "--target-dir",
        ])
        .arg(&target_dir)
        .env("RUSTFLAGS", "-D warnings")
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("building tests/el2-image failed".into());
    }
    Ok(target_dir.join("aarch64-unknown-none/release/el2-image"))
}

/// Runs the image once; returns its UART output and exit status.
fn boot(qemu: &str, image: &Path, icount: bool) -> Result<(String, i32), String> {
    let mut cmd = Command::new(qemu);
    cmd.args([
        "-M",
        "virt,virtualization=on,gic-version=3",
        "-cpu",
        "max",
        "-m",
        "128M",
        "-smp",
        "1",
        "-nographic",
        "-monitor",
        "none",
        "-serial",
        "stdio",
        "-semihosting-config",
        "enable=on,target=native",
    ]);
    if icount {
        cmd.args(["-icount", "shift=0"]);
    }
    cmd.arg("-kernel").arg(image);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {qemu}: {e}"))?;
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            let partial = reader.join().unwrap_or_default();
            return Err(format!(
                "QEMU did not finish within {} s; output so far:\n{partial}",
                TIMEOUT.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = reader.join().unwrap_or_default();
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    if !stderr.trim().is_empty() {
        eprintln!("{stderr}");
    }
    Ok((output, status.code().unwrap_or(-1)))
}

/// Judges one run's report; returns the problems found.
fn judge(r: &Report, status: i32, icount: bool) -> Vec<String> {
    let mut problems = Vec::new();
    problems.extend(r.fatal.iter().cloned());
    if r.summary.is_none() {
        problems.push("the image printed no summary (it stopped early)".into());
    }
    if status != 0 {
        problems.push(format!("the image exited with status {status}"));
    }
    for (name, verdict, detail) in &r.checks {
        match verdict.as_str() {
            "PASS" => {}
            "SKIP" if !icount && NEED_ICOUNT.contains(&name.as_str()) => {}
            _ => problems.push(format!("check {name}: {verdict} {detail}")),
        }
    }
    for expected in CHECKS {
        if !r.checks.iter().any(|(n, _, _)| n == expected) {
            problems.push(format!("check {expected} was not reported"));
        }
    }
    for (name, detail) in &r.deviations {
        if !KNOWN_DEVIATIONS.iter().any(|(k, _)| k == name) {
            problems.push(format!("unknown platform deviation {name}: {detail}"));
        }
    }
    for (name, _) in KNOWN_DEVIATIONS {
        let probed = r.deviations.iter().any(|(n, _)| n == name)
            || r.checks.iter().any(|(n, _, _)| n == name);
        if !probed {
            problems.push(format!("probe {name} was not reported"));
        }
    }
    problems.extend(judge_bench(&r.bench));
    problems
}

/// The seeds' shape, as deterministic counts: partitioned mode takes no trap per sample in
/// steady state, and at least 50x fewer traps than fully trapped mode over the run.
fn judge_bench(rows: &[BenchRow]) -> Vec<String> {
    let mut problems = Vec::new();
    let find = |n: &str| rows.iter().find(|r| r.name == n);
    let (Some(trapped), Some(part)) = (find("trapped"), find("partitioned")) else {
        return vec!["the benchmark rows `trapped` and `partitioned` are missing".into()];
    };
    if part.steady_traps != 0 {
        problems.push(format!(
            "partitioned mode took {} traps over {} steady-state samples (target 0)",
            part.steady_traps, part.steady_samples
        ));
    }
    if trapped.traps < 50 * part.traps.max(1) {
        problems.push(format!(
            "trapped mode took {} traps, partitioned {}: less than 50x fewer",
            trapped.traps, part.traps
        ));
    }
    if let (Some(t), Some(p)) = (trapped.el2_instructions, part.el2_instructions) {
        if t < 50 * p.max(1) {
            problems.push(format!(
                "trapped mode ran {t} EL2 instructions, partitioned {p}: less than 50x fewer"
            ));
        }
    }
    problems
}

/// The function of the image that runs with the guest's FP/SIMD registers live.
const FAST_PATH: &str = "el2_irq_fast";

/// Disassembles [`FAST_PATH`] in `image` and checks it.
fn check_fast_path(image: &Path) -> Result<(), String> {
    let objdump = llvm_objdump()?;
    let out = Command::new(&objdump)
        .args(["-d", "--no-show-raw-insn"])
        .arg(format!("--disassemble-symbols={FAST_PATH}"))
        .arg(image)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", objdump.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed: {}",
            objdump.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let problems = fast_path_problems(&String::from_utf8_lossy(&out.stdout));
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the image's interrupt fast path `{FAST_PATH}` runs with the guest's FP/SIMD \
             registers live and only its caller-saved registers saved, but:\n  {}",
            problems.join("\n  ")
        ))
    }
}

/// What is wrong with [`FAST_PATH`]'s disassembly (`llvm-objdump -d --no-show-raw-insn`):
/// an instruction naming an FP/SIMD (or SVE) register or FPCR/FPSR, a call, or no
/// instructions at all.
fn fast_path_problems(disassembly: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut insns = 0;
    for line in disassembly.lines() {
        // `addr:  mnemonic operands  // comment`, `<sym+off>` in branch targets.
        let Some((addr, rest)) = line.split_once(':') else {
            continue;
        };
        if addr.trim().is_empty() || !addr.trim().bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let text = rest.split("//").next().unwrap_or("");
        let text = text.split('<').next().unwrap_or("").trim();
        let (mnemonic, operands) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        insns += 1;
        if matches!(
            mnemonic,
            "bl" | "blr" | "blraa" | "blrab" | "blraaz" | "blrabz"
        ) {
            problems.push(format!("a call: `{}`", text.trim()));
        }
        let fp = operands
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|tok| {
                let tok = tok.to_ascii_lowercase();
                if tok == "fpcr" || tok == "fpsr" {
                    return true;
                }
                let mut chars = tok.chars();
                matches!(chars.next(), Some('b' | 'h' | 's' | 'd' | 'q' | 'v' | 'z'))
                    && tok.len() > 1
                    && tok.len() <= 3
                    && chars.all(|c| c.is_ascii_digit())
                    && tok[1..].parse::<u32>().is_ok_and(|n| n < 32)
            });
        if fp {
            problems.push(format!("an FP/SIMD register: `{}`", text.trim()));
        }
    }
    if insns == 0 {
        problems.push(format!("`{FAST_PATH}` is not in the image"));
    }
    problems
}

/// rustup's `llvm-objdump` (component `llvm-tools`) of the toolchain running xtask.
fn llvm_objdump() -> Result<PathBuf, String> {
    let rustc = |args: &[&str]| -> Result<String, String> {
        let out = Command::new("rustc")
            .args(args)
            .output()
            .map_err(|e| format!("cannot run rustc: {e}"))?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let sysroot = rustc(&["--print", "sysroot"])?;
    let vv = rustc(&["-vV"])?;
    let host = vv
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .ok_or("`rustc -vV` names no host")?;
    let path = Path::new(sysroot.trim())
        .join("lib/rustlib")
        .join(host.trim())
        .join("bin")
        .join(format!("llvm-objdump{}", std::env::consts::EXE_SUFFIX));
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} is missing: run `rustup component add llvm-tools`",
            path.display()
        ))
    }
}

fn ratio(a: u64, b: u64) -> String {
    if b == 0 {
        "-".into()
    } else {
        format!("{:.1}x", a as f64 / b as f64)
    }
}

/// The benchmark table (markdown), from the `-icount` run.
pub fn table(rows: &[BenchRow]) -> String {
    let trapped = rows.iter().find(|r| r.name == "trapped");
    let mut s = String::from(
        "| mode | samples | traps | traps/sample (steady) | IRQ exits | EL2 instructions | EL2 instructions/sample (steady) | fewer traps than trapped | fewer EL2 instructions than trapped |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let el2 = r.el2_instructions.map_or("n/a".into(), |v| v.to_string());
        let steady_el2 = r.steady_el2_instructions.map_or("n/a".into(), |v| {
            format!("{:.0}", v as f64 / r.steady_samples.max(1) as f64)
        });
        let (tr, er) = match trapped {
            Some(t) if t.name != r.name => (
                ratio(t.traps, r.traps),
                match (t.el2_instructions, r.el2_instructions) {
                    (Some(a), Some(b)) => ratio(a, b),
                    _ => "n/a".into(),
                },
            ),
            _ => ("-".into(), "-".into()),
        };
        s.push_str(&format!(
            "| {} | {} | {} | {:.2} | {} | {el2} | {steady_el2} | {tr} | {er} |\n",
            r.name,
            r.samples,
            r.traps,
            r.steady_traps as f64 / r.steady_samples.max(1) as f64,
            r.irq_exits,
        ));
    }
    s
}

pub fn run(args: &[String]) -> Result<(), String> {
    let bench_only = args.iter().any(|a| a == "--bench");
    let qemu = qemu()?;
    let image = build_image()?;
    check_fast_path(&image)?;
    let mut failures = Vec::new();
    for icount in [true, false] {
        let label = if icount {
            "-icount shift=0"
        } else {
            "host clock"
        };
        let started = Instant::now();
        let (output, status) = boot(&qemu, &image, icount)?;
        let report = parse(&output);
        if !bench_only {
            eprintln!(
                "== el2-image on QEMU ({label}), {:.2} s",
                started.elapsed().as_secs_f64()
            );
            for (name, verdict, detail) in &report.checks {
                eprintln!("  {verdict:4} {name}: {detail}");
            }
            if !report.deviations.is_empty() {
                eprintln!("  platform deviations (QEMU, known):");
                for (name, detail) in &report.deviations {
                    eprintln!("    {name}: {detail}");
                }
            }
        }
        if icount {
            eprintln!("seeds' benchmark (perf-record-style guest, QEMU -icount shift=0):");
            eprintln!("{}", table(&report.bench));
        }
        for p in judge(&report, status, icount) {
            failures.push(format!("[{label}] {p}"));
        }
        if !failures.is_empty() && report.summary.is_none() {
            eprintln!("{output}");
        }
    }
    if failures.is_empty() {
        eprintln!("qemu: every check passed in both runs");
        Ok(())
    } else {
        Err(format!("qemu:\n  {}", failures.join("\n  ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "check pmcr_n_is_hpmn: PASS ok\n\
        deviation feat_fgt2: missing\n\
        bench trapped: samples=100 traps=1000 irq_exits=100 steady_samples=90 steady_traps=900 el2_instructions=5000 steady_el2_instructions=4000\n\
        bench partitioned: samples=100 traps=5 irq_exits=100 steady_samples=90 steady_traps=0 el2_instructions=100 steady_el2_instructions=90\n\
        summary: checks=1 failed=0 deviations=1\n";

    #[test]
    fn a_missing_check_and_an_unknown_deviation_fail() {
        let mut out = GOOD.to_string();
        out.push_str("deviation something_new: oops\n");
        let problems = judge(&parse(&out), 0, true);
        assert!(problems.iter().any(|p| p.contains("something_new")));
        assert!(problems
            .iter()
            .any(|p| p.contains("hpmn0_allowed was not reported")));
        assert!(!problems.iter().any(|p| p.contains("feat_fgt2")));
    }

    #[test]
    fn skip_is_accepted_only_without_icount_and_only_where_allowed() {
        let out = "check guest_counts_instructions: SKIP no icount\ncheck pmcr_n_is_hpmn: SKIP x\n";
        let r = parse(out);
        let with = judge(&r, 0, true);
        assert!(with
            .iter()
            .any(|p| p.contains("guest_counts_instructions: SKIP")));
        let without = judge(&r, 0, false);
        assert!(!without
            .iter()
            .any(|p| p.contains("guest_counts_instructions: SKIP")));
        assert!(without.iter().any(|p| p.contains("pmcr_n_is_hpmn: SKIP")));
    }

    #[test]
    fn the_fast_path_may_not_touch_fp_simd_or_call() {
        let good = "0000000040001000 <el2_irq_fast>:\n\
            40001000:      \tmrs\tx8, ICC_IAR1_EL1\n\
            40001004:      \tb.ne\t0x40001034 <el2_irq_fast+0x34>\n\
            40001008:      \tmov\tx9, #-0xe00000000001    // =-246290604621825\n\
            4000100c:      \tbr\tx10\n\
            40001010:      \tstp\tx29, x30, [sp, #-0x10]!\n\
            40001014:      \tret\n";
        assert_eq!(fast_path_problems(good), Vec::<String>::new());
        for bad in [
            "\tstp\tq0, q1, [sp, #-0x20]!",
            "\tfmov\td8, x1",
            "\tmov\tv0.16b, v1.16b",
            "\tmrs\tx0, FPCR",
            "\tbl\t0x40002000 <memcpy>",
            "\tblr\tx8",
        ] {
            let text = format!("{good}40001018:      {bad}\n");
            assert_eq!(fast_path_problems(&text).len(), 1, "{bad}");
        }
        assert_eq!(fast_path_problems("").len(), 1, "missing function");
    }

    #[test]
    fn benchmark_shape_is_enforced() {
        assert!(judge_bench(&parse(GOOD).bench).is_empty());
        let bad = GOOD.replace("steady_traps=0", "steady_traps=180");
        assert!(judge_bench(&parse(&bad).bench)
            .iter()
            .any(|p| p.contains("180 traps")));
        let close = GOOD.replace("traps=5 ", "traps=50 ");
        assert!(judge_bench(&parse(&close).bench)
            .iter()
            .any(|p| p.contains("less than 50x")));
        let costly = GOOD.replace(" el2_instructions=100 ", " el2_instructions=101 ");
        assert!(judge_bench(&parse(&costly).bench)
            .iter()
            .any(|p| p.contains("EL2 instructions, partitioned 101")));
    }

    #[test]
    fn a_failed_check_or_status_or_missing_summary_fails() {
        let out = "check pmcr_n_is_hpmn: FAIL N = 6\n";
        let problems = judge(&parse(out), 3, true);
        assert!(problems.iter().any(|p| p.contains("FAIL N = 6")));
        assert!(problems.iter().any(|p| p.contains("status 3")));
        assert!(problems.iter().any(|p| p.contains("no summary")));
    }
}
