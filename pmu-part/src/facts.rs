//! What the hardware has, as read from the ID registers and PMCR_EL0 at EL2.

use aarch64_sysregs::{
    id_aa64dfr0_el1::PmuVer, id_aa64mmfr0_el1::Fgt, Backend, ID_AA64DFR0_EL1, ID_AA64DFR1_EL1,
    ID_AA64MMFR0_EL1, PMCR_EL0,
};

/// Fine-grained trap support (ID_AA64MMFR0_EL1.FGT).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FineGrainedTraps {
    /// No FEAT_FGT: only MDCR_EL2.TPM/TPMCR can trap PMU accesses, all or nothing.
    None,
    /// FEAT_FGT: HDFGRTR_EL2/HDFGWTR_EL2.
    Fgt,
    /// FEAT_FGT2 too: HDFGRTR2_EL2/HDFGWTR2_EL2 (PMICNTR, PMZR, PMUACR ...).
    Fgt2,
}

/// The PMU facts a partition plan depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HardwareFacts {
    /// PMCR_EL0.N as EL2 reads it: the number of event counters.
    pub counters: u8,
    /// ID_AA64DFR0_EL1.PMUVer.
    pub pmu_ver: PmuVer,
    /// FEAT_HPMN0: MDCR_EL2.HPMN may be 0.
    pub hpmn0: bool,
    /// FEAT_FGT / FEAT_FGT2.
    pub fgt: FineGrainedTraps,
    /// FEAT_PMUv3_ICNTR: the instruction counter PMICNTR_EL0.
    pub instruction_counter: bool,
}

impl HardwareFacts {
    /// Reads the facts (4 register reads; 3 without PMUv3, whose PMCR_EL0 is UNDEFINED). Must
    /// run at EL2: at EL1, PMCR_EL0.N reads as MDCR_EL2.HPMN, not as the number of counters.
    pub fn read<B: Backend>(b: &mut B) -> HardwareFacts {
        let dfr0 = b.read::<ID_AA64DFR0_EL1>();
        let pmu_ver = dfr0.pmu_ver();
        let dfr1 = b.read::<ID_AA64DFR1_EL1>();
        let mmfr0 = b.read::<ID_AA64MMFR0_EL1>();
        let fgt = if mmfr0.fgt().at_least(Fgt::FGT2) {
            FineGrainedTraps::Fgt2
        } else if mmfr0.fgt().at_least(Fgt::IMP) {
            FineGrainedTraps::Fgt
        } else {
            FineGrainedTraps::None
        };
        HardwareFacts {
            counters: if pmu_ver.is_implemented() {
                b.read::<PMCR_EL0>().n()
            } else {
                0
            },
            pmu_ver,
            hpmn0: dfr0.hpmn0().is_implemented(),
            fgt,
            instruction_counter: dfr1.pmicntr().is_implemented(),
        }
    }

    /// PMUv3 is implemented (an IMPLEMENTATION DEFINED PMU, PMUVer 0b1111, is not PMUv3).
    pub fn pmuv3(&self) -> bool {
        self.pmu_ver.is_implemented()
    }

    /// FEAT_PMUv3p1: MDCR_EL2.HPMD, 16-bit event numbers.
    pub fn pmuv3p1(&self) -> bool {
        self.pmu_ver.at_least(PmuVer::V3P1)
    }

    /// FEAT_PMUv3p5: 64-bit event counters (PMCR_EL0.LP, MDCR_EL2.HLP), MDCR_EL2.HCCD.
    pub fn pmuv3p5(&self) -> bool {
        self.pmu_ver.at_least(PmuVer::V3P5)
    }

    /// FEAT_PMUv3p7: PMCR_EL0.FZO (freeze on overflow).
    pub fn pmuv3p7(&self) -> bool {
        self.pmu_ver.at_least(PmuVer::V3P7)
    }

    /// FEAT_PMUv3p9: PMZR_EL0, PMUACR_EL1, PMUSERENR_EL0.UEN.
    pub fn pmuv3p9(&self) -> bool {
        self.pmu_ver.at_least(PmuVer::V3P9)
    }
}
