//! Helpers shared by the test files.
#![allow(dead_code, unused_imports)]

pub use aarch64_sysregs::{
    id_aa64dfr0_el1::PmuVer, id_aa64mmfr0_el1::Fgt, Backend, Encoding, Hdfgrtr2El2, HdfgrtrEl2,
    Hdfgwtr2El2, HdfgwtrEl2, MdcrEl2, PMEVCNTRn_EL0, PMEVTYPERn_EL0, Readable, RegisterValue,
    SysReg, Writable, HCR_EL2, HDFGRTR2_EL2, HDFGRTR_EL2, HDFGWTR2_EL2, HDFGWTR_EL2,
    ID_AA64DFR0_EL1, ID_AA64DFR1_EL1, ID_AA64MMFR0_EL1, MDCR_EL2, PMCCFILTR_EL0, PMCCNTR_EL0,
    PMCEID0_EL0, PMCEID1_EL0, PMCNTENCLR_EL0, PMCNTENSET_EL0, PMCR_EL0, PMICFILTR_EL0, PMICNTR_EL0,
    PMINTENCLR_EL1, PMINTENSET_EL1, PMMIR_EL1, PMOVSCLR_EL0, PMOVSSET_EL0, PMSELR_EL0, PMSWINC_EL0,
    PMUACR_EL1, PMUSERENR_EL0, PMXEVCNTR_EL0, PMXEVTYPER_EL0, PMZR_EL0,
};
pub use pmu_model::{
    Access, AccessKind, Config, CpuPmu, El, GuestAccess, Level, TrapCause, LOG_CAPACITY,
};

pub const C: u64 = 1 << 31;
pub const F0: u64 = 1 << 32;

// PMCR_EL0
pub const E: u64 = 1 << 0;
pub const P: u64 = 1 << 1;
pub const CR: u64 = 1 << 2;
pub const DP: u64 = 1 << 5;
pub const LC: u64 = 1 << 6;
pub const LP: u64 = 1 << 7;
pub const FZO: u64 = 1 << 9;

// PMEVTYPER<n>_EL0 filters
pub const F_P: u64 = 1 << 31;
pub const F_U: u64 = 1 << 30;
pub const F_NSK: u64 = 1 << 29;
pub const F_NSU: u64 = 1 << 28;
pub const F_NSH: u64 = 1 << 27;

// Events
pub const SW_INCR: u16 = 0x00;
pub const INST_RETIRED: u16 = 0x08;
pub const CPU_CYCLES: u16 = 0x11;
pub const CHAIN: u16 = 0x1e;

/// A PMUv3p5 CPU with FEAT_HPMN0 and FEAT_FGT (QEMU's -cpu max) with `counters` counters.
pub fn cfg(counters: u8) -> Config {
    Config {
        counters,
        ..Config::QEMU_MAX
    }
}

pub fn pmu(counters: u8) -> CpuPmu {
    CpuPmu::new(cfg(counters))
}

pub fn wr<R: Writable>(p: &mut CpuPmu, bits: u64) {
    unsafe { p.write::<R>(<R::Value as RegisterValue>::from_bits(bits)) }
}

pub fn rd<R: Readable>(p: &mut CpuPmu) -> u64 {
    p.read::<R>().to_bits()
}

pub fn enc<R: SysReg>() -> Encoding {
    R::ENCODING
}

pub fn evcntr(n: usize) -> Encoding {
    PMEVCNTRn_EL0::encoding(n).expect("0..=30")
}

pub fn evtyper(n: usize) -> Encoding {
    PMEVTYPERn_EL0::encoding(n).expect("0..=30")
}

/// The trap an access to `e` takes (Rt = 0).
pub fn trap(e: Encoding, read: bool) -> GuestAccess {
    GuestAccess::Trap {
        iss: e.iss() | u32::from(read),
    }
}

pub fn gr(p: &mut CpuPmu, el: El, e: Encoding) -> GuestAccess {
    p.guest_access(el, e, None)
}

pub fn gw(p: &mut CpuPmu, el: El, e: Encoding, v: u64) -> GuestAccess {
    p.guest_access(el, e, Some(v))
}

/// MDCR_EL2 for a guest owning counters 0..hpmn-1 directly (no TPM/TPMCR), host range enabled.
pub fn mdcr_partition(hpmn: u8) -> u64 {
    MdcrEl2::from_bits(0)
        .with_hpmn(hpmn)
        .with_hpme(true)
        .to_bits()
}

/// Writes MDCR_EL2 from EL2.
pub fn set_mdcr(p: &mut CpuPmu, v: u64) {
    wr::<MDCR_EL2>(p, v);
}

/// Every PMU register of the base PMUv3 with a read or write form, as (encoding, readable,
/// writable).
pub fn base_pmu_registers() -> Vec<(Encoding, bool, bool)> {
    vec![
        (enc::<PMCR_EL0>(), true, true),
        (enc::<PMCNTENSET_EL0>(), true, true),
        (enc::<PMCNTENCLR_EL0>(), true, true),
        (enc::<PMOVSCLR_EL0>(), true, true),
        (enc::<PMOVSSET_EL0>(), true, true),
        (enc::<PMSWINC_EL0>(), false, true),
        (enc::<PMSELR_EL0>(), true, true),
        (enc::<PMCEID0_EL0>(), true, false),
        (enc::<PMCEID1_EL0>(), true, false),
        (enc::<PMCCNTR_EL0>(), true, true),
        (enc::<PMXEVTYPER_EL0>(), true, true),
        (enc::<PMXEVCNTR_EL0>(), true, true),
        (enc::<PMUSERENR_EL0>(), true, true),
        (enc::<PMINTENSET_EL1>(), true, true),
        (enc::<PMINTENCLR_EL1>(), true, true),
        (enc::<PMMIR_EL1>(), true, false),
        (enc::<PMCCFILTR_EL0>(), true, true),
        (evcntr(0), true, true),
        (evtyper(0), true, true),
    ]
}
