//! Trap configuration as typed register values: MDCR_EL2 and the fine-grained data traps.
//!
//! Only the PMU bits are decided here; a hypervisor merges them into its own values (its debug
//! and trace traps are its business) with the `merge_*` methods, and writes the results as part
//! of its world switch.

use crate::facts::FineGrainedTraps;
use crate::plan::{Mode, OverflowDelivery, Plan};
use aarch64_sysregs::{Hdfgrtr2El2, HdfgrtrEl2, Hdfgwtr2El2, HdfgwtrEl2, MdcrEl2};

/// MDCR_EL2, HDFGRTR_EL2, HDFGWTR_EL2 and (with FEAT_FGT2) HDFGRTR2_EL2/HDFGWTR2_EL2 PMU bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Traps {
    /// MDCR_EL2's PMU fields (HPMN, TPMCR, TPM, HPME, HPMD, HCCD, HLP); the rest zero.
    pub mdcr: MdcrEl2,
    /// HDFGRTR_EL2's PMU bits (positive polarity: 1 traps). Only for a CPU with FEAT_FGT
    /// (without it the register is UNDEFINED and MDCR_EL2.TPM traps everything).
    pub hdfgrtr: HdfgrtrEl2,
    /// HDFGWTR_EL2's PMU bits (FEAT_FGT).
    pub hdfgwtr: HdfgwtrEl2,
    /// HDFGRTR2_EL2's PMU bits (negative polarity: 0 traps), with FEAT_FGT2.
    pub hdfgrtr2: Option<Hdfgrtr2El2>,
    /// HDFGWTR2_EL2's PMU bits, with FEAT_FGT2.
    pub hdfgwtr2: Option<Hdfgwtr2El2>,
}

/// The MDCR_EL2 fields this module decides.
const MDCR_PMU: u64 = MdcrEl2::from_bits(0)
    .with_hpmn(0x1f)
    .with_tpmcr(true)
    .with_tpm(true)
    .with_hpme(true)
    .with_hpmd(true)
    .with_hccd(true)
    .with_hlp(true)
    .to_bits();

/// The HDFGRTR_EL2 bits this module decides: every PMU register's.
const HDFGRTR_PMU: u64 = HdfgrtrEl2::from_bits(0)
    .with_pmevcntrn_el0(true)
    .with_pmevtypern_el0(true)
    .with_pmccfiltr_el0(true)
    .with_pmccntr_el0(true)
    .with_pmcnten(true)
    .with_pminten(true)
    .with_pmovs(true)
    .with_pmselr_el0(true)
    .with_pmmir_el1(true)
    .with_pmuserenr_el0(true)
    .with_pmceidn_el0(true)
    .to_bits();

/// The HDFGWTR_EL2 bits this module decides.
const HDFGWTR_PMU: u64 = HdfgwtrEl2::from_bits(0)
    .with_pmevcntrn_el0(true)
    .with_pmevtypern_el0(true)
    .with_pmccfiltr_el0(true)
    .with_pmccntr_el0(true)
    .with_pmcnten(true)
    .with_pminten(true)
    .with_pmovs(true)
    .with_pmselr_el0(true)
    .with_pmswinc_el0(true)
    .with_pmcr_el0(true)
    .with_pmuserenr_el0(true)
    .to_bits();

/// The HDFGRTR2_EL2 bits this module decides (FEAT_PMUv3_ICNTR, FEAT_PMUv3p9 registers).
const HDFGRTR2_PMU: u64 = Hdfgrtr2El2::from_bits(0)
    .with_n_pmicntr_el0(true)
    .with_n_pmicfiltr_el0(true)
    .with_n_pmuacr_el1(true)
    .to_bits();

/// The HDFGWTR2_EL2 bits this module decides.
const HDFGWTR2_PMU: u64 = Hdfgwtr2El2::from_bits(0)
    .with_n_pmicntr_el0(true)
    .with_n_pmicfiltr_el0(true)
    .with_n_pmuacr_el1(true)
    .with_n_pmzr_el0(true)
    .to_bits();

/// Whether a vCPU's PMU is in use yet (lazy switching).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ownership {
    /// The guest has not touched its PMU: every access traps (the first one claims it).
    Untouched,
    /// The guest has claimed its PMU: its state is switched on load and put.
    Owned,
}

impl Traps {
    /// The values while a vCPU with `counters` event counters runs.
    ///
    /// - HPMN = the vCPU's counters: guests see only those, and PMCR_EL0.N reads as HPMN.
    /// - TPM/TPMCR trap everything in [`Mode::Trapped`] and while the vCPU's PMU is
    ///   [`Ownership::Untouched`]; in [`Mode::Direct`] the fine-grained traps keep only event
    ///   types, filters, overflow status, PMCEIDn and PMMIR trapped (and, with FEAT_FGT2, the
    ///   host-owned instruction counter and the FEAT_PMUv3p9 PMZR/PMUACR, which could reach the
    ///   host's counters). With [`OverflowDelivery::Forwarded`] the overflow status does not
    ///   trap in direct mode either: the guest's flags are in hardware while it runs.
    /// - HPME = 1: the host's counters keep counting while the guest runs.
    /// - HPMD = 1 (FEAT_PMUv3p1) and HCCD = 1 (FEAT_PMUv3p5): guest counters never count at EL2.
    /// - HLP = `host_long` (FEAT_PMUv3p5): the host's counters overflow at 64 bits while a guest
    ///   runs exactly when they do at other times (PMCR_EL0.LP is the guest's; KVM's series
    ///   leaves HLP clear, so host counters wrap at 32 bits while guests run).
    pub fn guest(plan: &Plan, counters: u8, ownership: Ownership, host_long: bool) -> Traps {
        let trap_all =
            plan.mode_for(counters) == Mode::Trapped || ownership == Ownership::Untouched;
        let facts = &plan.facts;
        let mdcr = MdcrEl2::from_bits(0)
            .with_hpmn(plan.hpmn(counters))
            .with_tpm(trap_all)
            .with_tpmcr(trap_all)
            .with_hpme(true)
            .with_hpmd(facts.pmuv3p1())
            .with_hccd(facts.pmuv3p5())
            .with_hlp(facts.pmuv3p5() && host_long);
        // What `VcpuPmu::overflow_forwarded` says: direct mode, owned, forwarded plan.
        let trap_ovs = trap_all || plan.overflow == OverflowDelivery::Virtual;
        Traps::with_mdcr(plan, mdcr, trap_ovs)
    }

    /// The values while the host runs on a CPU with guest counters: the partition stays (the
    /// host's counters are the second range, enabled by HPME; the guests' range is enabled by
    /// the guest PMCR_EL0.E left in hardware), and HPMD/HCCD keep a guest's counters still at
    /// EL2, so a vCPU's state can stay in hardware across a host interlude (see
    /// `PcpuPmu::new`).
    pub fn host(plan: &Plan, host_long: bool) -> Traps {
        let facts = &plan.facts;
        let mdcr = MdcrEl2::from_bits(0)
            .with_hpmn(plan.hpmn(plan.guest_counters))
            .with_hpme(true)
            .with_hpmd(facts.pmuv3p1())
            .with_hccd(facts.pmuv3p5())
            .with_hlp(facts.pmuv3p5() && host_long);
        Traps::with_mdcr(plan, mdcr, true)
    }

    /// `trap_ovs`: PMOVSSET/CLR_EL0 trap (everything but a forwarded-overflow guest).
    fn with_mdcr(plan: &Plan, mdcr: MdcrEl2, trap_ovs: bool) -> Traps {
        let fgt2 = plan.facts.fgt == FineGrainedTraps::Fgt2;
        Traps {
            mdcr,
            hdfgrtr: HdfgrtrEl2::from_bits(0)
                .with_pmovs(trap_ovs)
                .with_pmccfiltr_el0(true)
                .with_pmevtypern_el0(true)
                .with_pmceidn_el0(true)
                .with_pmmir_el1(true),
            hdfgwtr: HdfgwtrEl2::from_bits(0)
                .with_pmovs(trap_ovs)
                .with_pmccfiltr_el0(true)
                .with_pmevtypern_el0(true),
            // Negative polarity: every PMU bit clear traps.
            hdfgrtr2: fgt2.then(|| Hdfgrtr2El2::from_bits(0)),
            hdfgwtr2: fgt2.then(|| Hdfgwtr2El2::from_bits(0)),
        }
    }

    /// `base` (the hypervisor's MDCR_EL2) with its PMU fields replaced by these.
    pub fn merge_mdcr(&self, base: MdcrEl2) -> MdcrEl2 {
        MdcrEl2::from_bits(base.to_bits() & !MDCR_PMU | self.mdcr.to_bits() & MDCR_PMU)
    }

    /// `base` with its PMU bits replaced by these.
    pub fn merge_hdfgrtr(&self, base: HdfgrtrEl2) -> HdfgrtrEl2 {
        HdfgrtrEl2::from_bits(base.to_bits() & !HDFGRTR_PMU | self.hdfgrtr.to_bits() & HDFGRTR_PMU)
    }

    /// `base` with its PMU bits replaced by these.
    pub fn merge_hdfgwtr(&self, base: HdfgwtrEl2) -> HdfgwtrEl2 {
        HdfgwtrEl2::from_bits(base.to_bits() & !HDFGWTR_PMU | self.hdfgwtr.to_bits() & HDFGWTR_PMU)
    }

    /// `base` with its PMU bits replaced by these (unchanged without FEAT_FGT2).
    pub fn merge_hdfgrtr2(&self, base: Hdfgrtr2El2) -> Hdfgrtr2El2 {
        match self.hdfgrtr2 {
            Some(v) => {
                Hdfgrtr2El2::from_bits(base.to_bits() & !HDFGRTR2_PMU | v.to_bits() & HDFGRTR2_PMU)
            }
            None => base,
        }
    }

    /// `base` with its PMU bits replaced by these (unchanged without FEAT_FGT2).
    pub fn merge_hdfgwtr2(&self, base: Hdfgwtr2El2) -> Hdfgwtr2El2 {
        match self.hdfgwtr2 {
            Some(v) => {
                Hdfgwtr2El2::from_bits(base.to_bits() & !HDFGWTR2_PMU | v.to_bits() & HDFGWTR2_PMU)
            }
            None => base,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::HardwareFacts;
    use aarch64_sysregs::id_aa64dfr0_el1::PmuVer;

    fn plan(fgt: FineGrainedTraps, hpmn0: bool, reserved: u8) -> Plan {
        let facts = HardwareFacts {
            counters: 6,
            pmu_ver: PmuVer::V3P5,
            hpmn0,
            fgt,
            instruction_counter: true,
        };
        Plan::new(facts, reserved).unwrap()
    }

    #[test]
    fn direct_mode_traps_only_types_filters_overflow_and_ids() {
        let p = plan(FineGrainedTraps::Fgt2, false, 2);
        let t = Traps::guest(&p, 4, Ownership::Owned, true);
        assert_eq!(t.mdcr.hpmn(), 4);
        assert!(!t.mdcr.tpm() && !t.mdcr.tpmcr());
        assert!(t.mdcr.hpme() && t.mdcr.hpmd() && t.mdcr.hccd() && t.mdcr.hlp());
        let r = t.hdfgrtr;
        assert!(
            r.pmevtypern_el0()
                && r.pmccfiltr_el0()
                && r.pmovs()
                && r.pmceidn_el0()
                && r.pmmir_el1()
        );
        assert!(!r.pmevcntrn_el0() && !r.pmccntr_el0() && !r.pmcnten() && !r.pminten());
        assert!(!r.pmselr_el0() && !r.pmuserenr_el0());
        let w = t.hdfgwtr;
        assert!(w.pmevtypern_el0() && w.pmccfiltr_el0() && w.pmovs());
        assert!(!w.pmcr_el0() && !w.pmswinc_el0() && !w.pmevcntrn_el0() && !w.pmselr_el0());
        let r2 = t.hdfgrtr2.unwrap();
        assert!(!r2.n_pmicntr_el0() && !r2.n_pmicfiltr_el0() && !r2.n_pmuacr_el1());
        assert!(!t.hdfgwtr2.unwrap().n_pmzr_el0());
    }

    #[test]
    fn forwarded_overflow_leaves_only_the_overflow_status_untrapped() {
        let p = plan(FineGrainedTraps::Fgt2, false, 2);
        let fwd = p.with_overflow(OverflowDelivery::Forwarded);
        let v = Traps::guest(&p, 4, Ownership::Owned, true);
        let f = Traps::guest(&fwd, 4, Ownership::Owned, true);
        assert!(v.hdfgrtr.pmovs() && v.hdfgwtr.pmovs());
        assert!(!f.hdfgrtr.pmovs() && !f.hdfgwtr.pmovs());
        assert_eq!(
            f.hdfgrtr.with_pmovs(true),
            v.hdfgrtr,
            "everything else as in direct mode"
        );
        assert_eq!(f.hdfgwtr.with_pmovs(true), v.hdfgwtr);
        assert_eq!(
            (f.mdcr, f.hdfgrtr2, f.hdfgwtr2),
            (v.mdcr, v.hdfgrtr2, v.hdfgwtr2)
        );
        // An untouched vCPU traps everything, and the host's values do not change.
        let lazy = Traps::guest(&fwd, 4, Ownership::Untouched, true);
        assert!(lazy.mdcr.tpm() && lazy.hdfgrtr.pmovs());
        assert_eq!(Traps::host(&fwd, true), Traps::host(&p, true));
    }

    #[test]
    fn untouched_and_trapped_vcpus_trap_everything() {
        let p = plan(FineGrainedTraps::Fgt, false, 2);
        let lazy = Traps::guest(&p, 4, Ownership::Untouched, false);
        assert!(lazy.mdcr.tpm() && lazy.mdcr.tpmcr());
        assert!(lazy.hdfgrtr2.is_none());
        let no_fgt = plan(FineGrainedTraps::None, true, 2);
        let t = Traps::guest(&no_fgt, 4, Ownership::Owned, false);
        assert!(t.mdcr.tpm() && t.mdcr.tpmcr());
        assert!(!t.mdcr.hlp(), "HLP follows the host's wish");
    }

    #[test]
    fn merging_keeps_the_hypervisors_other_bits() {
        let p = plan(FineGrainedTraps::Fgt2, true, 2);
        let t = Traps::guest(&p, 0, Ownership::Owned, false);
        assert_eq!(t.mdcr.hpmn(), 0, "FEAT_HPMN0");
        let base = MdcrEl2::from_bits(0)
            .with_tde(true)
            .with_tpm(true)
            .with_hpmn(31);
        let merged = t.merge_mdcr(base);
        assert!(merged.tde());
        assert!(!merged.tpm());
        assert_eq!(merged.hpmn(), 0);
        let base = HdfgrtrEl2::from_bits(0)
            .with_mdscr_el1(true)
            .with_pmcnten(true);
        let merged = t.merge_hdfgrtr(base);
        assert!(merged.mdscr_el1() && !merged.pmcnten() && merged.pmovs());
        let base2 = Hdfgwtr2El2::from_bits(u64::MAX);
        let merged2 = t.merge_hdfgwtr2(base2);
        assert!(!merged2.n_pmzr_el0() && merged2.n_pmecr_el1());
    }
}
