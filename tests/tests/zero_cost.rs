//! Zero cost, shown by disassembly: the probe crate (`tests/zero-cost-probe/`, one
//! `extern "C"` function per way of using the generated crate) is built for
//! `aarch64-unknown-none` in release and its object disassembled with `llvm-objdump` (rustup's
//! `llvm-tools` component); each function must be the code a hand-written accessor would be:
//!
//! - a register read: `mrs`, `ret`;
//! - a write of a runtime value (plain, and through the generic `Backend` API on `Hardware`):
//!   bit operations (the RES0 mask), `msr`, `ret`: no branch, no call;
//! - a two-field `modify`: one `mrs`, bit operations, one `msr`, `ret`: no branch, no call;
//! - a family read with a runtime index: a jump table (one bounds check, one indirect `br`), each
//!   of the 31 registers read by its own `mrs`, no chain of compares, no call;
//! - a family read with a compile-time index (`Nth<3>`): `mrs`, `ret`.
//!
//! The probe's object references no symbol outside itself (so calls nothing, and no panic path
//! is linked in) and no symbol in it mentions `panic`.
//!
//! pmu-part's context switch, on the `Hardware` backend (`VcpuPmu::load`, `VcpuPmu::put`) and
//! its interrupt fast-path test (`ForwardedOverflow::guests_alone`): each is straight-line
//! code over the PMU's registers: no call (nothing out of line, no panic path), no trap
//! instruction, no system register outside the PMU; the fast-path test is exactly three reads
//! (PMOVSSET_EL0, PMINTENSET_EL1, PMCR_EL0) and writes nothing, to memory or register.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use sysreg_tests::toolchain::{
    cargo, llvm_tool, require, run, target_dir, workspace_root, AARCH64,
};

/// One disassembled instruction: mnemonic and operands (`mrs`, `x0, PMCR_EL0`).
#[derive(Debug)]
struct Insn {
    mnemonic: String,
    operands: String,
}

/// The probe's object: its functions' instructions, its disassembly and its symbol table.
struct Probe {
    functions: BTreeMap<String, Vec<Insn>>,
    disassembly: String,
    symbols: String,
}

/// Builds the probe and disassembles the object holding its code.
fn probe() -> Probe {
    require("stable", &[AARCH64], &["llvm-tools"]);
    let objdump = llvm_tool("stable", "llvm-objdump");
    let ar = llvm_tool("stable", "llvm-ar");
    let manifest = workspace_root().join("tests/zero-cost-probe/Cargo.toml");
    let target = target_dir().join("zero-cost-probe");
    run(cargo("stable", &target)
        .args(["build", "--release", "--target", AARCH64, "--manifest-path"])
        .arg(&manifest));
    let archive = target.join(AARCH64).join("release/libzero_cost_probe.a");
    // The static library also holds `core` and `compiler_builtins`: take the probe's own object.
    let members = String::from_utf8(run(Command::new(&ar).arg("t").arg(&archive)).stdout)
        .expect("member names are UTF-8");
    let ours: Vec<&str> = members
        .lines()
        .filter(|m| m.starts_with("zero_cost_probe-"))
        .collect();
    assert_eq!(
        ours.len(),
        1,
        "expected one object of the probe's own in {} (codegen-units = 1), found: {ours:?}",
        archive.display()
    );
    let object = target.join("zero_cost_probe.o");
    let bytes = run(Command::new(&ar).arg("p").arg(&archive).arg(ours[0])).stdout;
    std::fs::write(&object, bytes).expect("the probe object is writable");
    let text = |args: &[&str], object: &Path| {
        String::from_utf8(run(Command::new(&objdump).args(args).arg(object)).stdout)
            .expect("llvm-objdump writes UTF-8")
    };
    let disassembly = text(&["-d", "--no-show-raw-insn"], &object);
    let symbols = text(&["-t"], &object);
    Probe {
        functions: parse(&disassembly),
        disassembly,
        symbols,
    }
}

/// `llvm-objdump -d` output, by function: `0000000000000000 <probe_read>:` starts one, then
/// `       0:      \tmrs\tx0, PMCR_EL0` lines.
fn parse(disassembly: &str) -> BTreeMap<String, Vec<Insn>> {
    let mut functions = BTreeMap::new();
    let mut current: Option<(String, Vec<Insn>)> = None;
    for line in disassembly.lines() {
        if let Some(name) = line
            .strip_suffix(">:")
            .and_then(|l| l.split_once(" <"))
            .map(|(_, name)| name.to_string())
        {
            functions.extend(current.take());
            current = Some((name, Vec::new()));
        } else if let (Some((_, insns)), Some((_, insn))) = (&mut current, line.split_once(':')) {
            let insn = insn.trim();
            if insn.is_empty() {
                continue;
            }
            let (mnemonic, operands) = insn.split_once(char::is_whitespace).unwrap_or((insn, ""));
            insns.push(Insn {
                mnemonic: mnemonic.to_string(),
                // Drop objdump's `// =10241` comments.
                operands: operands.split("//").next().unwrap_or("").trim().to_string(),
            });
        } else if line.trim().is_empty() {
            functions.extend(current.take());
        }
    }
    functions.extend(current);
    functions
}

/// Instructions that only move or combine bits in registers: no memory, no flags, no control.
const BIT_OPS: &[&str] = &[
    "and", "orr", "orn", "eor", "eon", "bic", "mov", "movz", "movk", "movn", "bfi", "bfxil", "bfm",
    "ubfx", "ubfiz", "ubfm", "sbfx", "sbfiz", "sbfm", "lsl", "lsr", "asr", "ror", "extr",
];

fn is_call(m: &str) -> bool {
    m.starts_with("bl")
}

fn is_compare(m: &str) -> bool {
    matches!(
        m,
        "cmp" | "cmn" | "ccmp" | "ccmn" | "tst" | "subs" | "adds" | "ands" | "cbz" | "cbnz"
    ) || m.starts_with("tb")
}

/// The system register an `mrs`/`msr` accesses, by name: objdump prints the name it knows
/// (`PMCR_EL0`) or the generic spelling (`S3_3_C9_C12_0`).
fn sysreg_operand(insn: &Insn) -> &str {
    let parts: Vec<&str> = insn.operands.split(',').map(str::trim).collect();
    match insn.mnemonic.as_str() {
        "mrs" => parts.get(1).copied().unwrap_or(""),
        _ => parts.first().copied().unwrap_or(""),
    }
}

fn is_register(operand: &str, name: &str, generic: &str) -> bool {
    operand.eq_ignore_ascii_case(name) || operand.eq_ignore_ascii_case(generic)
}

/// Checks every probe function; all failures are reported together, with the disassembly.
#[test]
fn accessors_compile_to_the_bare_instructions() {
    let probe = probe();
    let mut failures = Vec::new();
    let mut check = |function: &str, rule: &dyn Fn(&[Insn]) -> Result<(), String>| match probe
        .functions
        .get(function)
    {
        None => failures.push(format!("{function}: not in the probe's object")),
        Some(insns) => {
            if let Err(e) = rule(insns) {
                let listing: Vec<String> = insns
                    .iter()
                    .map(|i| format!("    {:<8}{}", i.mnemonic, i.operands))
                    .collect();
                failures.push(format!("{function}: {e}\n{}", listing.join("\n")));
            }
        }
    };
    let mnemonics =
        |insns: &[Insn]| -> Vec<String> { insns.iter().map(|i| i.mnemonic.clone()).collect() };

    // A plain read: exactly `mrs` of the register, `ret`.
    let single_read = |name: &'static str, generic: &'static str| {
        move |insns: &[Insn]| -> Result<(), String> {
            let m: Vec<String> = insns.iter().map(|i| i.mnemonic.clone()).collect();
            if m != ["mrs", "ret"] {
                return Err(format!("expected exactly `mrs`, `ret`; got {m:?}"));
            }
            if !is_register(sysreg_operand(&insns[0]), name, generic) {
                return Err(format!("the `mrs` does not read {name}"));
            }
            Ok(())
        }
    };
    check("probe_read", &single_read("PMCR_EL0", "S3_3_C9_C12_0"));
    check(
        "probe_nth_read",
        &single_read("PMEVCNTR3_EL0", "S3_3_C14_C8_3"),
    );

    // A write: bit operations (the RES0 mask), one `msr` of the register, `ret`.
    let single_write = |name: &'static str, generic: &'static str| {
        move |insns: &[Insn]| -> Result<(), String> {
            let m = mnemonics(insns);
            if m.last().map(String::as_str) != Some("ret") {
                return Err("does not end in `ret`".into());
            }
            let msrs: Vec<&Insn> = insns.iter().filter(|i| i.mnemonic == "msr").collect();
            if msrs.len() != 1 || !is_register(sysreg_operand(msrs[0]), name, generic) {
                return Err(format!("expected one `msr` of {name}"));
            }
            if let Some(i) = insns[..insns.len() - 1]
                .iter()
                .find(|i| i.mnemonic != "msr" && !BIT_OPS.contains(&i.mnemonic.as_str()))
            {
                return Err(format!(
                    "`{}` is not a bit operation (a branch, call, load or compare?)",
                    i.mnemonic
                ));
            }
            Ok(())
        }
    };
    check("probe_write", &single_write("PMCR_EL0", "S3_3_C9_C12_0"));
    check(
        "probe_backend_write",
        &single_write("PMCNTENSET_EL0", "S3_3_C9_C12_1"),
    );

    // A read-modify-write of two fields: one `mrs`, then bit operations, one `msr`, `ret`.
    check("probe_modify", &|insns| {
        let m = mnemonics(insns);
        let at = |name: &str| m.iter().position(|x| x == name);
        let count = |name: &str| m.iter().filter(|x| *x == name).count();
        if count("mrs") != 1 || count("msr") != 1 {
            return Err("expected exactly one `mrs` and one `msr`".into());
        }
        let (mrs, msr) = (at("mrs").unwrap(), at("msr").unwrap());
        if !(mrs < msr && msr + 2 == m.len() && m[msr + 1] == "ret") {
            return Err("expected `mrs` .. `msr`, `ret`".into());
        }
        for i in [mrs, msr] {
            if !is_register(sysreg_operand(&insns[i]), "PMCR_EL0", "S3_3_C9_C12_0") {
                return Err(format!("`{}` is not of PMCR_EL0", m[i]));
            }
        }
        match m
            .iter()
            .enumerate()
            .find(|(k, x)| *k != mrs && *k < msr && !BIT_OPS.contains(&x.as_str()))
        {
            Some((_, x)) => Err(format!(
                "`{x}` is not a bit operation (a branch, call, load or compare?)"
            )),
            None => Ok(()),
        }
    });

    // A runtime index: one bounds check, a jump table (`br`), and 31 single `mrs` reads.
    check("probe_family_read", &|insns| {
        let m = mnemonics(insns);
        if let Some(call) = m.iter().find(|x| is_call(x)) {
            return Err(format!("calls something (`{call}`)"));
        }
        let compares = m.iter().filter(|x| is_compare(x)).count();
        let conditional = m
            .iter()
            .filter(|x| x.starts_with("b.") || x.starts_with("bc."))
            .count();
        if compares > 1 || conditional > 1 {
            return Err(format!(
                "{compares} compares and {conditional} conditional branches: a chain of \
                 compares, not one bounds check before a jump table"
            ));
        }
        if m.iter().filter(|x| *x == "br").count() != 1 {
            return Err("no indirect `br`: not a jump table".into());
        }
        let mut read: Vec<String> = insns
            .iter()
            .filter(|i| i.mnemonic == "mrs")
            .map(|i| sysreg_operand(i).to_ascii_uppercase())
            .collect();
        read.sort();
        read.dedup();
        let expected: Vec<String> = (0..31)
            .flat_map(|n| {
                [
                    format!("PMEVCNTR{n}_EL0"),
                    format!("S3_3_C14_C{}_{}", 8 + n / 8, n % 8),
                ]
            })
            .collect();
        if read.len() != 31 || !read.iter().all(|r| expected.contains(r)) {
            return Err(format!(
                "expected one `mrs` of each of PMEVCNTR0_EL0 .. PMEVCNTR30_EL0, got {read:?}"
            ));
        }
        if m.iter().filter(|x| *x == "mrs").count() != 31 || m.contains(&"msr".to_string()) {
            return Err("expected exactly 31 `mrs` and no `msr`".into());
        }
        if let Some(x) = m.iter().find(|x| {
            !matches!(
                x.as_str(),
                "mrs" | "ret" | "br" | "adr" | "adrp" | "add" | "ldrsw" | "ldrh" | "ldrb" | "ldr"
            ) && !is_compare(x)
                && !x.starts_with("b.")
                && !BIT_OPS.contains(&x.as_str())
        }) {
            return Err(format!("unexpected `{x}` in a jump-table dispatch"));
        }
        Ok(())
    });

    // Nothing outside the probe is referenced (no call, no panic path linked in), and nothing
    // mentions panic.
    let undefined: Vec<&str> = probe
        .symbols
        .lines()
        .filter(|l| l.contains("*UND*"))
        .collect();
    if !undefined.is_empty() {
        failures.push(format!(
            "the probe references symbols outside itself (calls into another object):\n{}",
            undefined.join("\n")
        ));
    }
    let panics: Vec<&str> = probe
        .symbols
        .lines()
        .filter(|l| l.to_ascii_lowercase().contains("panic"))
        .collect();
    if !panics.is_empty() {
        failures.push(format!(
            "symbols mentioning panic in the probe's object:\n{}",
            panics.join("\n")
        ));
    }

    assert!(
        failures.is_empty(),
        "the generated accessors are not zero-cost:\n\n{}\n\nthe probe's whole disassembly:\n{}\nits symbols:\n{}",
        failures.join("\n\n"),
        probe.disassembly,
        probe.symbols
    );
    // Shown with `--nocapture`: what was checked.
    println!("{}", probe.disassembly);
}

/// A PMU register, by objdump's name (`PMEVCNTR3_EL0`, `PMINTENSET_EL1`) or generic spelling
/// (`S3_3_C9_C12_0`, `S3_3_C14_C8_3`: op0 3, CRn 9 or 14, op1 0 or 3).
fn is_pmu_register(operand: &str) -> bool {
    let upper = operand.to_ascii_uppercase();
    upper.starts_with("PM")
        || ["S3_0_C9_", "S3_3_C9_", "S3_0_C14_", "S3_3_C14_"]
            .iter()
            .any(|p| upper.starts_with(p))
}

#[test]
fn the_context_switch_is_pmu_register_accesses_only() {
    let probe = probe();
    let mut failures = Vec::new();
    for function in [
        "probe_switch_load",
        "probe_switch_put",
        "probe_overflow_fast",
    ] {
        let Some(insns) = probe.functions.get(function) else {
            failures.push(format!("{function}: not in the probe's object"));
            continue;
        };
        let mut accesses = 0;
        for insn in insns {
            let m = insn.mnemonic.as_str();
            if is_call(m) {
                failures.push(format!("{function}: a call: {m} {}", insn.operands));
            }
            if matches!(m, "brk" | "udf" | "hlt" | "hvc" | "smc" | "svc") {
                failures.push(format!("{function}: a trap: {m} {}", insn.operands));
            }
            if m == "mrs" || m == "msr" {
                accesses += 1;
                let reg = sysreg_operand(insn);
                if !is_pmu_register(reg) {
                    failures.push(format!("{function}: touches {reg}, not a PMU register"));
                }
            }
        }
        if accesses == 0 {
            failures.push(format!("{function}: no PMU register access at all"));
        }
    }
    if let Some(fast) = probe.functions.get("probe_overflow_fast") {
        let accesses: Vec<String> = fast
            .iter()
            .filter(|i| i.mnemonic == "mrs" || i.mnemonic == "msr")
            .map(|i| format!("{} {}", i.mnemonic, sysreg_operand(i).to_ascii_uppercase()))
            .collect();
        let expected = [
            ("PMOVSSET_EL0", "S3_3_C9_C12_3"),
            ("PMINTENSET_EL1", "S3_0_C9_C14_1"),
            ("PMCR_EL0", "S3_3_C9_C12_0"),
        ];
        let exact = accesses.len() == expected.len()
            && accesses.iter().zip(expected).all(|(a, (name, generic))| {
                a.strip_prefix("mrs ")
                    .is_some_and(|r| is_register(r, name, generic))
            });
        if !exact {
            failures.push(format!(
                "probe_overflow_fast: expected mrs PMOVSSET_EL0, PMINTENSET_EL1, PMCR_EL0, \
                 found {accesses:?}"
            ));
        }
        if let Some(store) = fast.iter().find(|i| i.mnemonic.starts_with("st")) {
            failures.push(format!(
                "probe_overflow_fast: writes memory: {} {}",
                store.mnemonic, store.operands
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "pmu-part's context switch is not just its register accesses:\n\n{}\n\nthe probe's whole disassembly:\n{}",
        failures.join("\n"),
        probe.disassembly
    );
}
