//! The host's own use of the PMU at EL2: putting it in a known state and programming the
//! counters the host keeps (the second range, above HPMN).

use aarch64_sysregs::{
    pmcr_el0::PmcrEl0, pmevcntrx_el0::PmevcntrxEl0, pmevtyperx_el0::PmevtyperxEl0,
    pmu_counters::PmuCounters, Backend, Hardware, PMEVCNTRn_EL0, PMEVTYPERn_EL0, PmccfiltrEl0,
    PmselrEl0, PmuserenrEl0, PMCCFILTR_EL0, PMCNTENCLR_EL0, PMCNTENSET_EL0, PMCR_EL0,
    PMINTENCLR_EL1, PMINTENSET_EL1, PMOVSCLR_EL0, PMSELR_EL0, PMSWINC_EL0, PMUSERENR_EL0,
};
use pmu_part::Plan;

/// Events used by the scenarios.
pub const SW_INCR: u16 = 0x00;
pub const INST_RETIRED: u16 = 0x08;
pub const CPU_CYCLES: u16 = 0x11;

/// Every counter off, every flag clear, every counter zero, every event type and control at
/// its reset value: the state `PcpuPmu::assume_clean` describes.
pub fn reset_hardware(plan: &Plan) {
    let all = PmuCounters::from_bits(0x8000_0000 | ((1u64 << plan.facts.counters) - 1));
    let mut hw = Hardware;
    // SAFETY: EL2 owns the whole PMU here; no guest is loaded.
    unsafe {
        hw.write::<PMCNTENCLR_EL0>(all);
        hw.write::<PMINTENCLR_EL1>(all);
        hw.write::<PMOVSCLR_EL0>(all);
        // At EL2, P resets every event counter, the host's included.
        hw.write::<PMCR_EL0>(PmcrEl0::new().with_p(true).with_c(true));
        hw.write::<PMCR_EL0>(PmcrEl0::new());
        for n in 0..usize::from(plan.facts.counters) {
            PMEVTYPERn_EL0::write(&mut hw, n, PmevtyperxEl0::new());
        }
        hw.write::<PMCCFILTR_EL0>(PmccfiltrEl0::new());
        hw.write::<PMSELR_EL0>(PmselrEl0::new());
        hw.write::<PMUSERENR_EL0>(PmuserenrEl0::new());
    }
}

/// Where a host counter counts.
#[derive(Clone, Copy)]
pub enum Level {
    /// At EL2 only (the hypervisor's own work).
    El2,
    /// At EL1 only (the guests, as seen by the host).
    El1,
}

/// An event type counting `event` at `level`.
pub fn event_type(event: u16, level: Level) -> PmevtyperxEl0 {
    let t = PmevtyperxEl0::new().with_evt_count(event);
    match level {
        // P: not EL1; U: not EL0; NSH: EL2.
        Level::El2 => t.with_p(true).with_u(true).with_nsh(true),
        Level::El1 => t.with_u(true),
    }
}

/// Programs host counter `n` (at or above HPMN) to count `event` at `level` from `start`, and
/// enables it (MDCR_EL2.HPME enables the second range).
pub fn host_counter(n: usize, event: u16, level: Level, start: u64) {
    let mut hw = Hardware;
    // SAFETY: a host-owned counter.
    unsafe {
        PMEVTYPERn_EL0::write(&mut hw, n, event_type(event, level));
        PMEVCNTRn_EL0::write(&mut hw, n, PmevcntrxEl0::from_bits(start));
        hw.write::<PMCNTENSET_EL0>(PmuCounters::from_bits(1 << n));
    }
}

/// Enables the overflow interrupt of host counter `n`.
pub fn host_interrupt(n: usize) {
    // SAFETY: a host-owned counter's interrupt enable.
    unsafe { Hardware.write::<PMINTENSET_EL1>(PmuCounters::from_bits(1 << n)) };
}

/// Host counter `n`'s value. (Inlined: the interrupt fast path reads it and may call
/// nothing.)
#[inline(always)]
pub fn read_counter(n: usize) -> u64 {
    PMEVCNTRn_EL0::read(&mut Hardware, n).map_or(u64::MAX, |v| v.to_bits())
}

/// Host counter `n`'s event type.
pub fn read_type(n: usize) -> u64 {
    PMEVTYPERn_EL0::read(&mut Hardware, n).map_or(u64::MAX, |v| v.to_bits())
}

/// Software increment of the counters in `mask`, from EL2.
pub fn software_increment(mask: u64) {
    // SAFETY: increments host counters counting SW_INCR.
    unsafe { Hardware.write::<PMSWINC_EL0>(aarch64_sysregs::PmswincEl0::from_bits(mask)) };
}

/// The enabled counters.
pub fn enabled() -> u64 {
    Hardware.read::<PMCNTENSET_EL0>().to_bits()
}
