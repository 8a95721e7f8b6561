//! Which register an encoding names, and the bit positions the model works with.
//!
//! Bit positions are written out here from the architecture (the Arm ARM register pages, as
//! summarised in `shared/reference/arm-pmu-registers.md`) rather than taken from the generated
//! crate's field accessors, so the tests, which build values with those accessors, check the
//! two against each other.

use aarch64_sysregs::{
    Encoding, SysReg, HDFGRTR2_EL2, HDFGRTR_EL2, HDFGWTR2_EL2, HDFGWTR_EL2, ID_AA64DFR0_EL1,
    ID_AA64DFR1_EL1, ID_AA64MMFR0_EL1, MDCR_EL2, PMCCNTR_EL0, PMCEID0_EL0, PMCEID1_EL0,
    PMCNTENCLR_EL0, PMCNTENSET_EL0, PMCR_EL0, PMECR_EL1, PMIAR_EL1, PMICFILTR_EL0, PMICNTR_EL0,
    PMINTENCLR_EL1, PMINTENSET_EL1, PMMIR_EL1, PMOVSCLR_EL0, PMOVSSET_EL0, PMSELR_EL0, PMSSCR_EL1,
    PMSWINC_EL0, PMUACR_EL1, PMUSERENR_EL0, PMXEVCNTR_EL0, PMXEVTYPER_EL0, PMZR_EL0,
};

// --- One bit per counter (PMCNTEN*, PMINTEN*, PMOVS*, PMZR, PMUACR; PMSWINC has P only) ---

/// `P<n>`, bits 30:0: the event counters.
pub(crate) const P_MASK: u64 = 0x7fff_ffff;
/// C, bit 31: the cycle counter.
pub(crate) const C_BIT: u64 = 1 << 31;
/// F0, bit 32: the instruction counter (FEAT_PMUv3_ICNTR).
pub(crate) const F0_BIT: u64 = 1 << 32;
/// The cycle counter's index in those registers.
pub(crate) const CYCLE: usize = 31;
/// The instruction counter's index.
pub(crate) const INSTR: usize = 32;

/// Bits 0..k-1 (k is at most 31).
pub(crate) const fn low_mask(k: u8) -> u64 {
    if k >= 31 {
        P_MASK
    } else {
        (1u64 << k) - 1
    }
}

// --- PMCR_EL0 ---
pub(crate) const PMCR_E: u64 = 1 << 0;
pub(crate) const PMCR_P: u64 = 1 << 1;
pub(crate) const PMCR_C: u64 = 1 << 2;
pub(crate) const PMCR_D: u64 = 1 << 3;
pub(crate) const PMCR_X: u64 = 1 << 4;
pub(crate) const PMCR_DP: u64 = 1 << 5;
pub(crate) const PMCR_LC: u64 = 1 << 6;
pub(crate) const PMCR_LP: u64 = 1 << 7;
pub(crate) const PMCR_FZO: u64 = 1 << 9;
pub(crate) const PMCR_N_SHIFT: u32 = 11;

// --- MDCR_EL2 ---
pub(crate) const MDCR_HPMN: u64 = 0x1f;
pub(crate) const MDCR_TPMCR: u64 = 1 << 5;
pub(crate) const MDCR_TPM: u64 = 1 << 6;
pub(crate) const MDCR_HPME: u64 = 1 << 7;
/// TDE, TDA, TDOSA, TDRA (8..11), E2PB (13:12), TPMS (14), TTRF (19), E2TB (25:24) and TDCC
/// (27): debug, SPE and trace controls the model stores but does not act on.
pub(crate) const MDCR_DEBUG: u64 = 0xf << 8 | 0x3 << 12 | 1 << 14 | 1 << 19 | 0x3 << 24 | 1 << 27;
pub(crate) const MDCR_HPMD: u64 = 1 << 17;
pub(crate) const MDCR_HCCD: u64 = 1 << 23;
pub(crate) const MDCR_HLP: u64 = 1 << 26;
pub(crate) const MDCR_HPMFZO: u64 = 1 << 29;

// --- PMEVTYPER<n>_EL0, PMCCFILTR_EL0, PMICFILTR_EL0 ---
pub(crate) const FILT_P: u64 = 1 << 31;
pub(crate) const FILT_U: u64 = 1 << 30;
pub(crate) const FILT_NSK: u64 = 1 << 29;
pub(crate) const FILT_NSU: u64 = 1 << 28;
pub(crate) const FILT_NSH: u64 = 1 << 27;
pub(crate) const FILT_M: u64 = 1 << 26;

// --- PMUSERENR_EL0 ---
pub(crate) const USERENR_EN: u64 = 1 << 0;
pub(crate) const USERENR_SW: u64 = 1 << 1;
pub(crate) const USERENR_CR: u64 = 1 << 2;
pub(crate) const USERENR_ER: u64 = 1 << 3;
pub(crate) const USERENR_UEN: u64 = 1 << 4;
pub(crate) const USERENR_IR: u64 = 1 << 5;
pub(crate) const USERENR_TID: u64 = 1 << 6;

// --- HDFGRTR_EL2 / HDFGWTR_EL2 (positive polarity: 1 traps) ---
pub(crate) const FGT_PMEVCNTRN: u8 = 12;
pub(crate) const FGT_PMEVTYPERN: u8 = 13;
pub(crate) const FGT_PMCCFILTR: u8 = 14;
pub(crate) const FGT_PMCCNTR: u8 = 15;
pub(crate) const FGT_PMCNTEN: u8 = 16;
pub(crate) const FGT_PMINTEN: u8 = 17;
pub(crate) const FGT_PMOVS: u8 = 18;
pub(crate) const FGT_PMSELR: u8 = 19;
/// HDFGWTR_EL2 only.
pub(crate) const FGT_PMSWINC: u8 = 20;
/// HDFGWTR_EL2 only (PMCR_EL0 reads have no fine-grained trap: MDCR_EL2.TPMCR).
pub(crate) const FGT_PMCR: u8 = 21;
/// HDFGRTR_EL2 only.
pub(crate) const FGT_PMMIR: u8 = 22;
pub(crate) const FGT_PMUSERENR: u8 = 57;
/// HDFGRTR_EL2 only.
pub(crate) const FGT_PMCEIDN: u8 = 58;

// --- HDFGRTR2_EL2 / HDFGWTR2_EL2 (negative polarity: 0 traps) ---
pub(crate) const FGT2_N_PMICNTR: u8 = 2;
pub(crate) const FGT2_N_PMICFILTR: u8 = 3;
pub(crate) const FGT2_N_PMUACR: u8 = 4;
/// HDFGWTR2_EL2 only.
pub(crate) const FGT2_N_PMZR: u8 = 21;

// --- Events ---
/// SW_INCR: counted by writes to PMSWINC_EL0.
pub(crate) const EVENT_SW_INCR: u16 = 0x00;
/// INST_RETIRED: what PMICNTR_EL0 counts.
pub(crate) const EVENT_INST_RETIRED: u16 = 0x08;
/// CPU_CYCLES: what PMCCNTR_EL0 counts.
pub(crate) const EVENT_CPU_CYCLES: u16 = 0x11;
/// CHAIN: an odd counter counting the overflows of the even counter below it.
pub(crate) const EVENT_CHAIN: u16 = 0x1e;

/// A register the model knows, decoded from its encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reg {
    Pmcr,
    Pmcntenset,
    Pmcntenclr,
    Pmovsclr,
    Pmovsset,
    Pmswinc,
    Pmselr,
    Pmceid(usize),
    Pmccntr,
    Pmxevtyper,
    Pmxevcntr,
    Pmzr,
    Pmuserenr,
    Pmintenset,
    Pmintenclr,
    Pmuacr,
    Pmmir,
    Pmicntr,
    Pmicfiltr,
    Pmccfiltr,
    Pmevcntr(usize),
    Pmevtyper(usize),
    /// PMSSCR_EL1, PMECR_EL1, PMIAR_EL1: PMU registers of features the model does not
    /// implement (FEAT_PMUv3_SS, FEAT_EBEP, FEAT_SEBEP), so UNDEFINED.
    Unimplemented,
    Mdcr,
    Hdfgrtr,
    Hdfgwtr,
    Hdfgrtr2,
    Hdfgwtr2,
    IdDfr0,
    IdDfr1,
    IdMmfr0,
    /// Anything else: not a register this model gives meaning to.
    Other,
}

const fn key<R: SysReg>() -> u16 {
    R::ENCODING.key()
}

const K_PMCR: u16 = key::<PMCR_EL0>();
const K_PMCNTENSET: u16 = key::<PMCNTENSET_EL0>();
const K_PMCNTENCLR: u16 = key::<PMCNTENCLR_EL0>();
const K_PMOVSCLR: u16 = key::<PMOVSCLR_EL0>();
const K_PMOVSSET: u16 = key::<PMOVSSET_EL0>();
const K_PMSWINC: u16 = key::<PMSWINC_EL0>();
const K_PMSELR: u16 = key::<PMSELR_EL0>();
const K_PMCEID0: u16 = key::<PMCEID0_EL0>();
const K_PMCEID1: u16 = key::<PMCEID1_EL0>();
const K_PMCCNTR: u16 = key::<PMCCNTR_EL0>();
const K_PMXEVTYPER: u16 = key::<PMXEVTYPER_EL0>();
const K_PMXEVCNTR: u16 = key::<PMXEVCNTR_EL0>();
const K_PMZR: u16 = key::<PMZR_EL0>();
const K_PMUSERENR: u16 = key::<PMUSERENR_EL0>();
const K_PMINTENSET: u16 = key::<PMINTENSET_EL1>();
const K_PMINTENCLR: u16 = key::<PMINTENCLR_EL1>();
const K_PMUACR: u16 = key::<PMUACR_EL1>();
const K_PMMIR: u16 = key::<PMMIR_EL1>();
const K_PMICNTR: u16 = key::<PMICNTR_EL0>();
const K_PMICFILTR: u16 = key::<PMICFILTR_EL0>();
const K_PMSSCR: u16 = key::<PMSSCR_EL1>();
const K_PMECR: u16 = key::<PMECR_EL1>();
const K_PMIAR: u16 = key::<PMIAR_EL1>();
const K_MDCR: u16 = key::<MDCR_EL2>();
const K_HDFGRTR: u16 = key::<HDFGRTR_EL2>();
const K_HDFGWTR: u16 = key::<HDFGWTR_EL2>();
const K_HDFGRTR2: u16 = key::<HDFGRTR2_EL2>();
const K_HDFGWTR2: u16 = key::<HDFGWTR2_EL2>();
const K_DFR0: u16 = key::<ID_AA64DFR0_EL1>();
const K_DFR1: u16 = key::<ID_AA64DFR1_EL1>();
const K_MMFR0: u16 = key::<ID_AA64MMFR0_EL1>();

/// The register `e` names.
pub(crate) fn decode(e: Encoding) -> Reg {
    // PMEVCNTR<n>_EL0 is op0=3 op1=3 CRn=14 CRm=0b10:n[4:3] op2=n[2:0]; PMEVTYPER<n>_EL0 the
    // same with CRm=0b11:n[4:3]. The slot n=31 of the types is PMCCFILTR_EL0; the slot n=31 of
    // the counters is unallocated.
    if e.op0 == 3 && e.op1 == 3 && e.crn == 14 && e.crm >= 8 {
        let n = usize::from(e.crm & 3) << 3 | usize::from(e.op2 & 7);
        return match (e.crm >= 12, n) {
            (false, 31) => Reg::Other,
            (false, n) => Reg::Pmevcntr(n),
            (true, 31) => Reg::Pmccfiltr,
            (true, n) => Reg::Pmevtyper(n),
        };
    }
    match e.key() {
        K_PMCR => Reg::Pmcr,
        K_PMCNTENSET => Reg::Pmcntenset,
        K_PMCNTENCLR => Reg::Pmcntenclr,
        K_PMOVSCLR => Reg::Pmovsclr,
        K_PMOVSSET => Reg::Pmovsset,
        K_PMSWINC => Reg::Pmswinc,
        K_PMSELR => Reg::Pmselr,
        K_PMCEID0 => Reg::Pmceid(0),
        K_PMCEID1 => Reg::Pmceid(1),
        K_PMCCNTR => Reg::Pmccntr,
        K_PMXEVTYPER => Reg::Pmxevtyper,
        K_PMXEVCNTR => Reg::Pmxevcntr,
        K_PMZR => Reg::Pmzr,
        K_PMUSERENR => Reg::Pmuserenr,
        K_PMINTENSET => Reg::Pmintenset,
        K_PMINTENCLR => Reg::Pmintenclr,
        K_PMUACR => Reg::Pmuacr,
        K_PMMIR => Reg::Pmmir,
        K_PMICNTR => Reg::Pmicntr,
        K_PMICFILTR => Reg::Pmicfiltr,
        K_PMSSCR | K_PMECR | K_PMIAR => Reg::Unimplemented,
        K_MDCR => Reg::Mdcr,
        K_HDFGRTR => Reg::Hdfgrtr,
        K_HDFGWTR => Reg::Hdfgwtr,
        K_HDFGRTR2 => Reg::Hdfgrtr2,
        K_HDFGWTR2 => Reg::Hdfgwtr2,
        K_DFR0 => Reg::IdDfr0,
        K_DFR1 => Reg::IdDfr1,
        K_MMFR0 => Reg::IdMmfr0,
        _ => Reg::Other,
    }
}

impl Reg {
    /// A Performance Monitors register (UNDEFINED everywhere without PMUv3).
    pub(crate) fn is_pmu(self) -> bool {
        !matches!(
            self,
            Reg::Mdcr
                | Reg::Hdfgrtr
                | Reg::Hdfgwtr
                | Reg::Hdfgrtr2
                | Reg::Hdfgwtr2
                | Reg::IdDfr0
                | Reg::IdDfr1
                | Reg::IdMmfr0
                | Reg::Other
        )
    }
}
