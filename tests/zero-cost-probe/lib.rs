//! Probes for `tests/tests/zero_cost.rs`: each function is one way of using the generated crate,
//! exported under a fixed name so its machine code can be found in the object and checked.

#![no_std]

use aarch64_sysregs::pmu_counters::PmuCounters;
use aarch64_sysregs::{Backend, Hardware, Nth, PMEVCNTRn_EL0, PmcrEl0, PMCNTENSET_EL0, PMCR_EL0};

/// A register read: `PMCR_EL0::read()`.
#[no_mangle]
pub extern "C" fn probe_read() -> u64 {
    PMCR_EL0::read().to_bits()
}

/// A register write of a runtime value: `PMCR_EL0::write(..)` (RES0 bits cleared).
#[no_mangle]
pub extern "C" fn probe_write(bits: u64) {
    // SAFETY: a probe, never run; only its machine code is inspected.
    unsafe { PMCR_EL0::write(PmcrEl0::from_bits(bits)) }
}

/// A two-field read-modify-write.
#[no_mangle]
pub extern "C" fn probe_modify() {
    // SAFETY: as above.
    unsafe { PMCR_EL0::modify(|v| v.with_e(true).with_n(5)) }
}

/// A family register chosen by a runtime index (`u64::MAX` when out of range).
#[no_mangle]
pub extern "C" fn probe_family_read(n: usize) -> u64 {
    PMEVCNTRn_EL0::read(&mut Hardware, n).map_or(u64::MAX, |v| v.to_bits())
}

/// A family register chosen at compile time (`PMEVCNTR3_EL0`).
#[no_mangle]
pub extern "C" fn probe_nth_read() -> u64 {
    Hardware.read::<<PMEVCNTRn_EL0 as Nth<3>>::Reg>().to_bits()
}

/// Code written against any `Backend`, used with the hardware.
fn enable_counters<B: Backend>(backend: &mut B, mask: u64) {
    // SAFETY: as above.
    unsafe { backend.write::<PMCNTENSET_EL0>(PmuCounters::from_bits(mask)) }
}

/// A write through the generic `Backend` API with the `Hardware` backend.
#[no_mangle]
pub extern "C" fn probe_backend_write(mask: u64) {
    enable_counters(&mut Hardware, mask)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}

/// pmu-part's context switch in: a vCPU's load, on the hardware.
#[no_mangle]
pub fn probe_switch_load(
    vcpu: &mut pmu_part::VcpuPmu,
    cpu: &mut pmu_part::PcpuPmu,
    filter: &pmu_part::EventFilter,
) {
    vcpu.load(cpu, filter, &mut Hardware)
}

/// pmu-part's context switch out: a vCPU's put, on the hardware.
#[no_mangle]
pub fn probe_switch_put(vcpu: &mut pmu_part::VcpuPmu, cpu: &mut pmu_part::PcpuPmu) {
    vcpu.put(cpu, &mut Hardware)
}

/// pmu-part's interrupt fast-path test, on the hardware.
#[no_mangle]
pub fn probe_overflow_fast(owner: &pmu_part::ForwardedOverflow) -> bool {
    owner.guests_alone(&mut Hardware)
}
