//! The guests: EL1 programs using the PMU the way an operating system's perf driver does, each
//! counting its own PMU accesses and writing what it saw to its mailbox.
//!
//! A guest reaches the PMU with the same generated crate as the host (`Hardware` at EL1 is the
//! guest's view: whatever the hypervisor lets through, or traps and emulates).

use crate::arch::{self, hvc, spin};
use crate::pmu::{CPU_CYCLES, INST_RETIRED, SW_INCR};
use crate::vm::{Counting, HVC_DONE, HVC_YIELD};
use aarch64_sysregs::{
    pmcr_el0::PmcrEl0, pmevcntrx_el0::PmevcntrxEl0, pmevtyperx_el0::PmevtyperxEl0,
    pmu_counters::PmuCounters, Backend, Hardware, IccEoir1El1, IccIgrpen1El1, IccPmrEl1, IccSreEl1,
    PMEVCNTRn_EL0, PMEVTYPERn_EL0, PmccfiltrEl0, PmccntrEl0, PmselrEl0, PmswincEl0, PmuserenrEl0,
    ESR_EL1, ICC_EOIR1_EL1, ICC_IAR1_EL1, ICC_IGRPEN1_EL1, ICC_PMR_EL1, ICC_SRE_EL1, PMCCFILTR_EL0,
    PMCCNTR_EL0, PMCEID0_EL0, PMCNTENCLR_EL0, PMCNTENSET_EL0, PMCR_EL0, PMINTENSET_EL1,
    PMOVSCLR_EL0, PMSELR_EL0, PMSWINC_EL0, PMUSERENR_EL0, PMXEVCNTR_EL0, PMXEVTYPER_EL0,
};
use core::ptr::{addr_of_mut, read_volatile, write_volatile};

/// The programs a guest can run.
pub const COUNT: u64 = 1;
pub const WORKLOAD: u64 = 2;
pub const SHARE: u64 = 3;
pub const IDLE: u64 = 4;
pub const DENIED: u64 = 5;
pub const OVERFLOW: u64 = 6;
pub const SAMPLE: u64 = 7;
pub const PROBE_HIGH: u64 = 8;
pub const PROBE_RESET: u64 = 9;
pub const HOLD: u64 = 10;
pub const CYCLES: u64 = 11;
pub const PENDING_SWITCH: u64 = 12;

/// What a guest and the hypervisor exchange: parameters in, results out. One per vCPU.
#[repr(C)]
pub struct Mailbox {
    pub params: [u64; 8],
    pub results: [u64; 16],
    /// PMU register accesses the guest made (its own count).
    pub accesses: u64,
    /// PMU interrupts its handler took.
    pub irqs: u64,
    /// Overflow flags its handler found.
    pub irq_flags: u64,
    /// Samples taken (SAMPLE).
    pub samples: u64,
    /// UNDEFINED exceptions it took.
    pub undefs: u64,
    /// Interrupts other than the PMU's.
    pub other_irqs: u64,
    /// System calls the workload made (SAMPLE).
    pub syscalls: u64,
}

impl Mailbox {
    pub const fn new() -> Mailbox {
        Mailbox {
            params: [0; 8],
            results: [0; 16],
            accesses: 0,
            irqs: 0,
            irq_flags: 0,
            samples: 0,
            undefs: 0,
            other_irqs: 0,
            syscalls: 0,
        }
    }
}

/// The running guest's mailbox (TPIDR_EL1 holds its address).
fn mailbox() -> *mut Mailbox {
    let p: u64;
    // SAFETY: reads the guest's own TPIDR_EL1.
    unsafe { core::arch::asm!("mrs {}, tpidr_el1", out(reg) p, options(nomem, nostack)) };
    p as *mut Mailbox
}

macro_rules! mb_read {
    ($field:ident) => {{
        let field = field_of!($field);
        // SAFETY: the mailbox outlives the guest; the interrupt handler may change it.
        #[allow(unused_unsafe)]
        let v = unsafe { read_volatile(field) };
        v
    }};
}

macro_rules! mb_write {
    ($field:ident, $v:expr) => {{
        let v = $v;
        let field = field_of!($field);
        // SAFETY: as above.
        #[allow(unused_unsafe)]
        unsafe {
            write_volatile(field, v)
        };
    }};
}

macro_rules! field_of {
    ($field:ident) => {{
        let m = mailbox();
        // SAFETY: only the field's address is taken.
        #[allow(unused_unsafe)]
        let f = unsafe { addr_of_mut!((*m).$field) };
        f
    }};
}

fn param(i: usize) -> u64 {
    // SAFETY: as above.
    unsafe { read_volatile(addr_of_mut!((*mailbox()).params[i])) }
}

fn result(i: usize, v: u64) {
    // SAFETY: as above.
    unsafe { write_volatile(addr_of_mut!((*mailbox()).results[i]), v) }
}

/// The guest's PMU: the hardware, with every access counted into the mailbox.
struct Pmu(Counting<Hardware>);

impl Pmu {
    fn new() -> Pmu {
        Pmu(Counting::new(Hardware))
    }

    fn flush(&mut self) {
        mb_write!(accesses, mb_read!(accesses) + u64::from(self.0.total()));
        self.0.reads = 0;
        self.0.writes = 0;
    }

    fn counter(&mut self, n: usize) -> u64 {
        PMEVCNTRn_EL0::read(&mut self.0, n).map_or(u64::MAX, |v| v.to_bits())
    }

    fn set_counter(&mut self, n: usize, v: u64) {
        // SAFETY (all guest writes): the guest's own PMU.
        unsafe { PMEVCNTRn_EL0::write(&mut self.0, n, PmevcntrxEl0::from_bits(v)) };
    }

    fn event_type(&mut self, n: usize) -> u64 {
        PMEVTYPERn_EL0::read(&mut self.0, n).map_or(u64::MAX, |v| v.to_bits())
    }

    fn set_event_type(&mut self, n: usize, v: u64) {
        unsafe { PMEVTYPERn_EL0::write(&mut self.0, n, PmevtyperxEl0::from_bits(v)) };
    }

    fn pmcr(&mut self) -> PmcrEl0 {
        self.0.read::<PMCR_EL0>()
    }

    fn set_pmcr(&mut self, v: PmcrEl0) {
        unsafe { self.0.write::<PMCR_EL0>(v) };
    }

    fn enable(&mut self, mask: u64) {
        unsafe { self.0.write::<PMCNTENSET_EL0>(PmuCounters::from_bits(mask)) };
    }

    fn disable(&mut self, mask: u64) {
        unsafe { self.0.write::<PMCNTENCLR_EL0>(PmuCounters::from_bits(mask)) };
    }

    fn enabled(&mut self) -> u64 {
        self.0.read::<PMCNTENSET_EL0>().to_bits()
    }

    fn enable_interrupt(&mut self, mask: u64) {
        unsafe { self.0.write::<PMINTENSET_EL1>(PmuCounters::from_bits(mask)) };
    }

    fn interrupts(&mut self) -> u64 {
        self.0.read::<PMINTENSET_EL1>().to_bits()
    }

    fn overflow(&mut self) -> u64 {
        self.0.read::<PMOVSCLR_EL0>().to_bits()
    }

    fn clear_overflow(&mut self, mask: u64) {
        unsafe { self.0.write::<PMOVSCLR_EL0>(PmuCounters::from_bits(mask)) };
    }

    fn cycles(&mut self) -> u64 {
        self.0.read::<PMCCNTR_EL0>().to_bits()
    }

    fn set_cycles(&mut self, v: u64) {
        unsafe { self.0.write::<PMCCNTR_EL0>(PmccntrEl0::from_bits(v)) };
    }

    fn set_cycle_filter(&mut self, v: u64) {
        unsafe { self.0.write::<PMCCFILTR_EL0>(PmccfiltrEl0::from_bits(v)) };
    }

    fn select(&mut self, n: u64) {
        unsafe { self.0.write::<PMSELR_EL0>(PmselrEl0::from_bits(n)) };
    }

    fn selected(&mut self) -> u64 {
        self.0.read::<PMSELR_EL0>().to_bits()
    }

    fn user_enable(&mut self) -> u64 {
        self.0.read::<PMUSERENR_EL0>().to_bits()
    }

    fn set_user_enable(&mut self, v: u64) {
        unsafe { self.0.write::<PMUSERENR_EL0>(PmuserenrEl0::from_bits(v)) };
    }

    fn software_increment(&mut self, mask: u64) {
        unsafe { self.0.write::<PMSWINC_EL0>(PmswincEl0::from_bits(mask)) };
    }

    fn common_events(&mut self) -> u64 {
        self.0.read::<PMCEID0_EL0>().to_bits()
    }
}

/// Every guest starts here, at EL1 with interrupts masked: `program` says what to run,
/// `mailbox` where to report.
pub extern "C" fn guest_main(program: u64, mailbox: u64) -> ! {
    let mut hw = Hardware;
    // SAFETY: the guest's own thread pointer and virtual interrupt interface.
    unsafe {
        core::arch::asm!("msr tpidr_el1, {}", in(reg) mailbox, options(nomem, nostack));
        hw.write::<ICC_SRE_EL1>(IccSreEl1::new().with_sre(true));
        arch::isb();
        hw.write::<ICC_PMR_EL1>(IccPmrEl1::new().with_priority(0xff));
        hw.write::<ICC_IGRPEN1_EL1>(IccIgrpen1El1::new().with_enable(true));
    }
    let result = match program {
        COUNT => count(),
        WORKLOAD => workload(),
        SHARE => share(),
        IDLE => idle(),
        DENIED => denied(),
        OVERFLOW => overflow(),
        SAMPLE => sample(),
        PROBE_HIGH => probe_high(),
        PROBE_RESET => probe_reset(),
        HOLD => hold(),
        CYCLES => cycles(),
        PENDING_SWITCH => pending_switch(),
        _ => u64::MAX,
    };
    loop {
        hvc(HVC_DONE, result);
    }
}

/// EL1 synchronous exception: an UNDEFINED the hypervisor injected is counted and skipped;
/// anything else ends the guest with an error.
#[no_mangle]
extern "C" fn guest_sync() {
    let esr = Hardware.read::<ESR_EL1>().to_bits();
    if (esr >> 26) & 0x3f == 0x15 {
        // SVC: the workload's system call; nothing to do (ELR_EL1 is past it already).
        mb_write!(syscalls, mb_read!(syscalls) + 1);
    } else if (esr >> 26) & 0x3f == 0 {
        mb_write!(undefs, mb_read!(undefs) + 1);
        let mut hw = Hardware;
        let elr = hw.read::<aarch64_sysregs::ELR_EL1>().to_bits();
        // SAFETY: resumes after the undefined instruction.
        unsafe {
            hw.write::<aarch64_sysregs::ELR_EL1>(aarch64_sysregs::ElrEl1::from_bits(elr + 4))
        };
    } else {
        loop {
            hvc(HVC_DONE, 0xdead_0000 | (esr >> 26));
        }
    }
}

#[no_mangle]
extern "C" fn guest_unexpected() {
    loop {
        hvc(HVC_DONE, 0xdead_ffff);
    }
}

/// EL1 IRQ: the virtual PMU interrupt. Handled as Linux's PMUv3 driver does: read and clear
/// the overflow flags, then (SAMPLE) stop the PMU, read the counters, re-arm the sampling
/// counter and restart.
#[no_mangle]
extern "C" fn guest_irq() {
    let mut hw = Hardware;
    let intid = hw.read::<ICC_IAR1_EL1>().intid();
    if intid != crate::gic::PMU_INTID {
        mb_write!(other_irqs, mb_read!(other_irqs) + 1);
    } else {
        let mut pmu = Pmu::new();
        let flags = pmu.overflow();
        pmu.clear_overflow(flags);
        mb_write!(irqs, mb_read!(irqs) + 1);
        mb_write!(irq_flags, mb_read!(irq_flags) | flags);
        if param(7) == SAMPLE && flags & 1 != 0 {
            take_sample(&mut pmu);
        }
        pmu.flush();
    }
    // SAFETY: ends the guest's handling of its virtual interrupt.
    unsafe { hw.write::<ICC_EOIR1_EL1>(IccEoir1El1::new().with_intid(intid)) };
}

const CYCLE: u64 = 1 << 31;

/// COUNT: PMCR_EL0.N, then CPU_CYCLES and INST_RETIRED over a loop of exactly `2 * params[0]`
/// instructions.
fn count() -> u64 {
    let mut pmu = Pmu::new();
    let n = u64::from(pmu.pmcr().n());
    result(0, n);
    result(3, pmu.common_events());
    pmu.set_event_type(0, u64::from(CPU_CYCLES));
    pmu.set_event_type(1, u64::from(INST_RETIRED));
    pmu.set_counter(0, 0);
    pmu.set_counter(1, 0);
    pmu.set_pmcr(PmcrEl0::new().with_e(true));
    let loops = param(0);
    pmu.enable(0b11);
    spin(loops);
    pmu.disable(0b11);
    result(1, pmu.counter(0));
    result(2, pmu.counter(1));
    pmu.flush();
    0
}

/// WORKLOAD: what `perf stat` does with two events and the cycle counter (reset, program,
/// enable, `params[0]` reads of two counters with work in between, disable), counting its
/// accesses.
fn workload() -> u64 {
    let mut pmu = Pmu::new();
    let _ = pmu.pmcr();
    pmu.set_pmcr(PmcrEl0::new().with_c(true));
    pmu.set_event_type(0, u64::from(CPU_CYCLES));
    pmu.select(1);
    // SAFETY: the guest's own PMU.
    unsafe {
        pmu.0
            .write::<PMXEVTYPER_EL0>(PmevtyperxEl0::from_bits(u64::from(SW_INCR)));
        pmu.0.write::<PMXEVCNTR_EL0>(PmevcntrxEl0::from_bits(0));
    }
    pmu.set_cycle_filter(0);
    pmu.set_counter(0, 0);
    pmu.set_cycles(0);
    pmu.enable(0b11 | CYCLE);
    pmu.set_pmcr(PmcrEl0::new().with_e(true));
    let mut sum = 0u64;
    for _ in 0..param(0) {
        spin(50);
        sum = sum.wrapping_add(pmu.counter(0));
        sum = sum.wrapping_add(pmu.cycles());
    }
    pmu.disable(0b11 | CYCLE);
    result(0, pmu.counter(0));
    result(1, sum);
    pmu.flush();
    0
}

/// SHARE: a guest with its own counters, event types, enables, selector and user-enable
/// values, checking at every round that they are as it left them, across `params[1]` yields.
/// `params[0]` is its tag (1 or 2), `params[2]` the software increments per round, `params[3]`
/// the work per round (loop iterations).
fn share() -> u64 {
    let mut pmu = Pmu::new();
    let tag = param(0);
    // The guest's own counters: 0..PMCR_EL0.N and the cycle counter. Bits of other counters
    // in the enable sets belong to no one the guest may see; they are the subject of the
    // counters_above_hpmn_hidden_from_guest probe, not of this check.
    let own = ((1u64 << pmu.pmcr().n()) - 1) | CYCLE;
    let rounds = param(1);
    let incs = param(2);
    // Each guest its own values: the event types differ in their filter bits, the enables and
    // interrupt enables in which counters, PMSELR and PMUSERENR in value.
    let sw_type = u64::from(SW_INCR) | if tag == 1 { 1 << 30 } else { 1 << 28 };
    let cnten = 0b11 | if tag == 1 { CYCLE } else { 0b100 };
    let inten = if tag == 1 { 0b1000 } else { 0b100 };
    let user = if tag == 1 { 0b1 } else { 0b100 };
    pmu.set_event_type(0, u64::from(CPU_CYCLES));
    pmu.set_event_type(1, sw_type);
    pmu.set_counter(0, 0);
    pmu.set_counter(1, 0);
    pmu.select(tag);
    pmu.set_user_enable(user);
    pmu.enable_interrupt(inten);
    pmu.enable(cnten);
    pmu.set_pmcr(PmcrEl0::new().with_e(true));
    let mut mismatches = 0u64;
    let mut first = 0u64;
    let mut max_delta = 0u64;
    let mut note = |what: u64, ok: bool| {
        if !ok {
            mismatches += 1;
            if first == 0 {
                first = what;
            }
        }
    };
    for round in 1..=rounds {
        spin(param(3));
        for _ in 0..incs {
            pmu.software_increment(0b10);
        }
        let before = pmu.counter(0);
        pmu.flush();
        hvc(HVC_YIELD, round);
        let after = pmu.counter(0);
        max_delta = max_delta.max(after.wrapping_sub(before));
        note(1, after >= before);
        note(2, pmu.counter(1) == round * incs);
        note(3, pmu.event_type(1) == sw_type);
        note(4, pmu.event_type(0) == u64::from(CPU_CYCLES));
        note(5, pmu.enabled() & own == cnten);
        note(6, pmu.interrupts() & own == inten);
        note(7, pmu.selected() == tag);
        note(8, pmu.user_enable() == user);
        note(9, pmu.pmcr().e());
    }
    result(0, mismatches);
    result(1, first);
    result(2, max_delta);
    result(3, pmu.counter(1));
    pmu.flush();
    0
}

/// IDLE: `params[0]` rounds of work and a yield, never touching the PMU.
fn idle() -> u64 {
    for round in 1..=param(0) {
        spin(1000);
        hvc(HVC_YIELD, round);
    }
    0
}

/// DENIED: counter 0 on CPU_CYCLES (which the host denies), counter 1 on SW_INCR, counter 2
/// on INST_RETIRED and the cycle counter (which counts CPU_CYCLES too), over some work.
fn denied() -> u64 {
    let mut pmu = Pmu::new();
    pmu.set_event_type(0, u64::from(CPU_CYCLES));
    pmu.set_event_type(1, u64::from(SW_INCR));
    pmu.set_event_type(2, u64::from(INST_RETIRED));
    pmu.set_cycle_filter(0);
    for n in 0..3 {
        pmu.set_counter(n, 0);
    }
    pmu.set_cycles(0);
    pmu.set_pmcr(PmcrEl0::new().with_e(true));
    pmu.enable(0b111 | CYCLE);
    for _ in 0..param(0) {
        spin(100);
        pmu.software_increment(0b10);
    }
    pmu.disable(0b111 | CYCLE);
    result(0, pmu.counter(0));
    result(1, pmu.counter(1));
    result(2, pmu.counter(2));
    result(3, pmu.cycles());
    result(4, pmu.event_type(0));
    pmu.flush();
    0
}

/// OVERFLOW: counter 0 on CPU_CYCLES, `params[0]` cycles from overflowing with its
/// interrupt enabled; waits (reading the counter, as a polling profiler would) until the
/// interrupt has come, then as long again, so a second interrupt would be seen.
fn overflow() -> u64 {
    let mut pmu = Pmu::new();
    pmu.set_event_type(0, u64::from(CPU_CYCLES));
    pmu.set_counter(0, 0xffff_ffff - param(0));
    pmu.enable_interrupt(0b1);
    pmu.set_pmcr(PmcrEl0::new().with_e(true));
    pmu.enable(0b1);
    pmu.flush();
    arch::enable_irqs();
    let mut waited = 0u64;
    while mb_read!(irqs) == 0 && waited < 100_000 {
        spin(100);
        let _ = pmu.counter(0);
        waited += 1;
    }
    result(0, waited);
    for _ in 0..waited.max(100) {
        spin(100);
        let _ = pmu.counter(0);
    }
    arch::disable_irqs();
    result(1, pmu.counter(0));
    pmu.flush();
    0
}

/// SAMPLE: `perf record` with four events: counter 0 samples CPU_CYCLES every `params[1]`
/// cycles (its overflow interrupt), counters 1-3 and the cycle counter are read at every
/// sample; `params[0]` samples.
fn sample() -> u64 {
    let mut pmu = Pmu::new();
    let period = param(1);
    pmu.set_event_type(0, u64::from(CPU_CYCLES));
    pmu.set_event_type(1, u64::from(INST_RETIRED));
    pmu.set_event_type(2, u64::from(CPU_CYCLES) | 1 << 30);
    pmu.set_event_type(3, u64::from(SW_INCR));
    pmu.set_cycle_filter(0);
    pmu.set_counter(0, 0xffff_ffff - period + 1);
    for n in 1..4 {
        pmu.set_counter(n, 0);
    }
    pmu.set_cycles(0);
    pmu.enable_interrupt(0b1);
    pmu.enable(0b1111 | CYCLE);
    pmu.set_pmcr(PmcrEl0::new().with_e(true));
    pmu.flush();
    arch::enable_irqs();
    let samples = param(0);
    let mut spins = 0u64;
    while mb_read!(samples) < samples && spins < 100_000 {
        spin(200);
        syscall();
        spins += 1;
    }
    arch::disable_irqs();
    pmu.disable(0b1111 | CYCLE);
    pmu.flush();
    result(0, spins);
    0
}

/// A system call of the workload (`svc` at EL1, handled at EL1: the hypervisor never sees
/// it). On QEMU with `-icount` it also makes a counter overflow visible: QEMU arms its overflow
/// timer one count early and does not re-arm it, so the overflow is only noticed at the next
/// PMU operation or exception (see the README's QEMU deviations).
fn syscall() {
    // SAFETY: the guest's own EL1 vector handles it.
    unsafe { core::arch::asm!("svc #0", options(nomem, nostack)) };
}

/// One sample, from the interrupt handler: stop, read every counter, re-arm, restart.
fn take_sample(pmu: &mut Pmu) {
    let period = param(1);
    let pmcr = pmu.pmcr();
    pmu.set_pmcr(pmcr.with_e(false));
    let mut sum = 0u64;
    for n in 0..4 {
        sum = sum.wrapping_add(pmu.counter(n));
    }
    sum = sum.wrapping_add(pmu.cycles());
    let taken = mb_read!(samples) + 1;
    if taken < param(0) {
        pmu.set_counter(0, 0xffff_ffff - period + 1);
    } else {
        // The last sample: no more interrupts.
        pmu.disable(0b1);
    }
    pmu.set_pmcr(pmcr.with_e(true));
    result(1, sum);
    mb_write!(samples, taken);
}

/// PROBE_HIGH: reads and writes counter `params[0]` (at or above the guest's HPMN) and reads
/// the enable set, which must not show counters above HPMN.
fn probe_high() -> u64 {
    let mut pmu = Pmu::new();
    let n = param(0) as usize;
    // A first access claims the PMU: the probes below run with the direct-mode traps.
    let _ = pmu.pmcr();
    let undefs = mb_read!(undefs);
    let seen = pmu.counter(n);
    result(0, seen);
    let after_read = mb_read!(undefs);
    result(1, after_read - undefs);
    pmu.set_counter(n, 0x1234_5678);
    result(2, mb_read!(undefs) - after_read);
    result(3, pmu.enabled());
    pmu.flush();
    0
}

/// PROBE_RESET: a guest resetting its event counters with PMCR_EL0.P.
fn probe_reset() -> u64 {
    let mut pmu = Pmu::new();
    // A first access claims the PMU: the reset below is the guest's own, untrapped.
    let _ = pmu.pmcr();
    pmu.set_pmcr(PmcrEl0::new().with_p(true));
    pmu.flush();
    0
}

/// HOLD: runs `params[0]` rounds of work with its PMU disabled (PMCR_EL0.E = 0), touching it
/// once first so it is claimed.
fn hold() -> u64 {
    let mut pmu = Pmu::new();
    pmu.set_pmcr(PmcrEl0::new());
    pmu.flush();
    arch::enable_irqs();
    for _ in 0..param(0) {
        spin(1000);
    }
    arch::disable_irqs();
    0
}

/// CYCLES: PMCR_EL0.N, then the cycle counter over `params[0]` loop iterations with the
/// guest's PMCR_EL0.E set, and over as many with it clear.
fn cycles() -> u64 {
    let mut pmu = Pmu::new();
    result(0, u64::from(pmu.pmcr().n()));
    pmu.set_cycle_filter(0);
    pmu.set_cycles(0);
    pmu.enable(CYCLE);
    pmu.set_pmcr(PmcrEl0::new().with_e(true));
    spin(param(0));
    pmu.set_pmcr(PmcrEl0::new());
    result(1, pmu.cycles());
    spin(param(0));
    result(2, pmu.cycles());
    result(3, pmu.enabled());
    pmu.flush();
    0
}

/// PENDING_SWITCH: lets counter 0 overflow with interrupts masked (the forwarded interrupt
/// stays pending in its list register), yields with it pending, and only after being switched
/// back in unmasks interrupts: the interrupt must arrive then, once.
fn pending_switch() -> u64 {
    let mut pmu = Pmu::new();
    pmu.set_event_type(0, u64::from(CPU_CYCLES));
    pmu.set_counter(0, 0xffff_ffff - param(0));
    pmu.enable_interrupt(0b1);
    pmu.set_pmcr(PmcrEl0::new().with_e(true));
    pmu.enable(0b1);
    let mut waited = 0u64;
    while pmu.overflow() & 1 == 0 && waited < 100_000 {
        spin(100);
        let _ = pmu.counter(0);
        waited += 1;
    }
    result(0, waited);
    pmu.flush();
    hvc(HVC_YIELD, 1);
    result(1, pmu.overflow());
    result(2, mb_read!(irqs));
    arch::enable_irqs();
    for _ in 0..1000 {
        spin(100);
        let _ = pmu.counter(0);
    }
    arch::disable_irqs();
    pmu.flush();
    0
}
