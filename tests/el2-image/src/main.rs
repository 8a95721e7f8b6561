//! A bare-metal image that boots at EL2 on QEMU's `virt` machine and checks pmu-part end to
//! end: it partitions the PMU, runs EL1 guests under pmu-part's traps and context switch,
//! forwards their overflow interrupts through the GICv3 list registers, keeps the host's own
//! counters running, and reports every check on the UART (see report.rs for the format). Its
//! exit status (semihosting) is the number of failed checks.
//!
//! `cargo xtask qemu` builds it, runs it and judges the report.

#![no_std]
#![no_main]

mod arch;
mod gic;
mod guest;
mod pmu;
mod report;
mod scenarios;
mod uart;
mod vm;

use aarch64_sysregs::{Backend, Hardware, HcrEl2, HCR_EL2, PMCEID0_EL0};
use core::fmt;
use pmu_part::{HardwareFacts, OverflowDelivery, Plan};
use report::Report;
use scenarios::Platform;

#[no_mangle]
extern "C" fn el2_main() -> ! {
    println!("el2-image: pmu-part end to end at EL2");
    // Guests are AArch64 (RW); physical IRQs go to EL2 while they run, which also enables
    // their virtual IRQs (IMO).
    // SAFETY: EL2's routing of guest exceptions; no guest has run yet.
    unsafe { Hardware.write::<HCR_EL2>(HcrEl2::new().with_rw(true).with_imo(true)) };
    arch::isb();
    gic::init();
    let facts = HardwareFacts::read(&mut Hardware);
    // PMCEID0_EL0 bit 8: INST_RETIRED is implemented (QEMU: only with -icount).
    let inst_retired = Hardware.read::<PMCEID0_EL0>().to_bits() & (1 << 8) != 0;
    println!(
        "platform: counters={} pmuver={:#x} hpmn0={} fgt={:?} icntr={} inst_retired={}",
        facts.counters,
        facts.pmu_ver.to_bits(),
        facts.hpmn0,
        facts.fgt,
        facts.instruction_counter,
        inst_retired
    );
    let p = Platform {
        facts,
        inst_retired,
    };
    let mut r = Report::new();
    scenarios::counting(&p, &mut r);
    scenarios::traps(&p, &mut r);
    scenarios::sharing(&p, &mut r);
    scenarios::denied(&p, &mut r);
    scenarios::overflow(&p, &mut r, OverflowDelivery::Forwarded);
    scenarios::overflow(&p, &mut r, OverflowDelivery::Virtual);
    scenarios::pending_across_switch(&p, &mut r);
    scenarios::lazy(&p, &mut r);
    scenarios::hpmn0(&p, &mut r);
    scenarios::probes(&p, &mut r);
    bench(&p, &mut r);
    println!(
        "summary: checks={} failed={} deviations={}",
        r.checks, r.failed, r.deviations
    );
    arch::exit(r.failed.min(250));
}

/// The seeds' benchmark in three set-ups: every PMU access trapped (a CPU without FEAT_FGT),
/// partitioned as KVM's series does it (overflow status trapped, software virtual interrupt),
/// and partitioned with the overflow interrupt forwarded (nothing trapped per sample).
fn bench(p: &Platform, r: &mut Report) {
    let plan = |reserved: u8, fgt: Option<pmu_part::FineGrainedTraps>, o: OverflowDelivery| {
        let mut facts = p.facts;
        if let Some(f) = fgt {
            facts.fgt = f;
        }
        match Plan::new(facts, reserved) {
            Ok(plan) => plan.with_overflow(o),
            Err(e) => fatal(format_args!("{e}")),
        }
    };
    let none = Some(pmu_part::FineGrainedTraps::None);
    scenarios::bench(p, r, "trapped", plan(2, none, OverflowDelivery::Virtual));
    scenarios::bench(
        p,
        r,
        "partitioned-trapped-overflow",
        plan(2, None, OverflowDelivery::Virtual),
    );
    scenarios::bench(
        p,
        r,
        "partitioned",
        plan(2, None, OverflowDelivery::Forwarded),
    );
}

/// Stops the image on an error of its own (not a check failure): status 251.
pub fn fatal(args: fmt::Arguments) -> ! {
    println!("fatal: {args}");
    arch::exit(251);
}

/// An exception taken at EL2: a bug of the image or of pmu-part.
#[no_mangle]
extern "C" fn el2_fault(kind: u64, esr: u64, elr: u64, far: u64) -> ! {
    println!("fatal: exception at EL2 (vector {kind}): ESR {esr:#x} ELR {elr:#x} FAR {far:#x}");
    arch::exit(252);
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    println!("fatal: panic: {info}");
    arch::exit(253);
}
