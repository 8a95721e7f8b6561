//! The partition: which counters the guests get, which the host keeps, and whether guests can
//! use theirs directly.

use crate::counters::{self, CYCLE, INSTRUCTIONS};
use crate::facts::{FineGrainedTraps, HardwareFacts};

/// How a vCPU's PMU accesses are handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Counters, enables, PMSELR and PMUSERENR are the guest's to use without trapping;
    /// only event types, filters, overflow status and ID-like registers trap (FEAT_FGT).
    Direct,
    /// Every PMU access traps and is emulated (no FEAT_FGT; no FEAT_FGT2 on a CPU with the
    /// instruction counter or FEAT_PMUv3p9; or no counters on a CPU without FEAT_HPMN0). The
    /// counting still happens in the guest's hardware counters.
    Trapped,
}

/// How a guest's counter overflows reach it as its virtual PMU interrupt.
///
/// The PMU overflow interrupt is one PPI per CPU, shared by the host's counters and the loaded
/// guest's. Either way the physical interrupt is taken at EL2 and split by
/// [`crate::PcpuPmu::handle_overflow`]; the two designs differ in where the guest's overflow
/// status lives while its vCPU is loaded, and in how the guest's interrupt is delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverflowDelivery {
    /// As KVM's partitioned-PMU series does: PMOVSSET_EL0/PMOVSCLR_EL0 always trap, the vCPU's
    /// copy ([`crate::Registers::pmovs`]) is canonical, the handler moves the guest's flags out
    /// of the hardware into it, and the virtual interrupt is a software level
    /// ([`crate::VirtualIrq::set_level`]). A guest's overflow handler costs 2 traps per sample
    /// (reading PMOVSCLR_EL0 and writing it to clear).
    Virtual,
    /// The guest's overflow flags stay in hardware while its vCPU is loaded: PMOVSSET/CLR_EL0
    /// do not trap, the guest reads and clears them directly, and the handler leaves them set
    /// and forwards the physical interrupt to the guest as a hardware-mapped virtual interrupt
    /// ([`crate::VirtualIrq::forward`]: a GICv3 list register with HW = 1), which the guest's
    /// EOI deactivates. 0 traps per sample. Applies to a vCPU in [`Mode::Direct`] that owns its
    /// PMU ([`crate::VcpuPmu::overflow_forwarded`]); others (whose every access traps anyway)
    /// get [`OverflowDelivery::Virtual`]. The hypervisor's side is described at
    /// [`crate::VirtualIrq::forward`].
    Forwarded,
}

/// Why a partition cannot be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanError {
    /// The CPU has no PMUv3 (PMUVer is NI or IMPLEMENTATION DEFINED).
    NoPmuV3,
    /// More counters reserved for the host than the PMU has.
    TooManyReserved {
        /// What was asked.
        reserved: u8,
        /// PMCR_EL0.N.
        available: u8,
    },
}

impl core::fmt::Display for PlanError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            PlanError::NoPmuV3 => f.write_str("the CPU has no PMUv3"),
            PlanError::TooManyReserved {
                reserved,
                available,
            } => write!(
                f,
                "{reserved} counters reserved for the host, but the PMU has {available}"
            ),
        }
    }
}

/// The partition of one CPU's PMU (every CPU of a system should get the same plan).
///
/// Event counters `0..guest_counters` and the cycle counter belong to guests (the first range,
/// below MDCR_EL2.HPMN, enabled by the guest's PMCR_EL0.E); counters `guest_counters..N` to the
/// host (the second range, enabled by MDCR_EL2.HPME, which stays set so they keep counting while
/// guests run). The instruction counter stays the host's: guest accesses to it trap and are
/// refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The hardware this plan is for.
    pub facts: HardwareFacts,
    /// G: event counters guests can have (a vCPU may be given fewer).
    pub guest_counters: u8,
    /// Whether guests run in [`Mode::Direct`] (FEAT_FGT, and FEAT_FGT2 where there are
    /// registers only it can trap; at least one counter or FEAT_HPMN0).
    pub mode: Mode,
    /// Event counters the host owns (bits `G..N`). When G is 0 on a CPU without FEAT_HPMN0,
    /// counter 0 belongs to nobody: MDCR_EL2.HPMN cannot be 0 there, so counter 0 stays in the
    /// guests' range and the host must not use it.
    pub host_mask: u64,
    /// How guests' overflows are delivered ([`OverflowDelivery::Virtual`] unless chosen with
    /// [`Plan::with_overflow`]).
    pub overflow: OverflowDelivery,
}

impl Plan {
    /// A plan that keeps `reserved_host` event counters for the host and gives the rest (and
    /// the cycle counter) to guests.
    pub fn new(facts: HardwareFacts, reserved_host: u8) -> Result<Plan, PlanError> {
        if !facts.pmuv3() {
            return Err(PlanError::NoPmuV3);
        }
        let n = facts.counters.min(counters::MAX_EVENT_COUNTERS);
        if reserved_host > n {
            return Err(PlanError::TooManyReserved {
                reserved: reserved_host,
                available: n,
            });
        }
        let guest_counters = n - reserved_host;
        // PMICNTR_EL0/PMICFILTR_EL0 (the host's instruction counter) and FEAT_PMUv3p9's
        // PMZR_EL0/PMUACR_EL1 have fine-grained traps only in FEAT_FGT2: without it, only
        // MDCR_EL2.TPM keeps a guest from them.
        let fgt_needed = if facts.instruction_counter || facts.pmuv3p9() {
            FineGrainedTraps::Fgt2
        } else {
            FineGrainedTraps::Fgt
        };
        let direct = facts.fgt >= fgt_needed && (guest_counters > 0 || facts.hpmn0);
        // HPMN never goes below 1 without FEAT_HPMN0 (0 is CONSTRAINED UNPREDICTABLE there).
        let hpmn_floor = if facts.hpmn0 { 0 } else { 1 };
        Ok(Plan {
            facts,
            guest_counters,
            mode: if direct { Mode::Direct } else { Mode::Trapped },
            host_mask: counters::range(guest_counters.max(hpmn_floor), n),
            overflow: OverflowDelivery::Virtual,
        })
    }

    /// The same plan with guests' overflows delivered as `overflow` says. Every vCPU and CPU
    /// of the system must be made from the plan with the same choice.
    pub const fn with_overflow(self, overflow: OverflowDelivery) -> Plan {
        Plan { overflow, ..self }
    }

    /// The bits of a vCPU with `counters` event counters: `0..counters` and the cycle counter.
    pub fn guest_mask(counters: u8) -> u64 {
        counters::first(counters) | CYCLE
    }

    /// The bits of every counter guests may have: `0..G` and the cycle counter.
    pub fn guests_mask(&self) -> u64 {
        Plan::guest_mask(self.guest_counters)
    }

    /// The instruction counter, if the CPU has one: always the host's.
    pub fn host_instruction_counter(&self) -> u64 {
        if self.facts.instruction_counter {
            INSTRUCTIONS
        } else {
            0
        }
    }

    /// The mode a vCPU given `counters` (at most G) runs in: direct needs FEAT_FGT, and at
    /// least one counter unless the CPU has FEAT_HPMN0.
    pub fn mode_for(&self, counters: u8) -> Mode {
        if self.mode == Mode::Direct && (counters > 0 || self.facts.hpmn0) {
            Mode::Direct
        } else {
            Mode::Trapped
        }
    }

    /// MDCR_EL2.HPMN for a vCPU with `counters` counters: at least 1 without FEAT_HPMN0, and
    /// never above N (a PMU with no event counter keeps HPMN at N = 0, its reset value).
    pub fn hpmn(&self, counters: u8) -> u8 {
        let n = self.facts.counters.min(counters::MAX_EVENT_COUNTERS);
        if counters == 0 && !self.facts.hpmn0 {
            n.min(1)
        } else {
            counters
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aarch64_sysregs::id_aa64dfr0_el1::PmuVer;

    fn facts(counters: u8, fgt: FineGrainedTraps, hpmn0: bool) -> HardwareFacts {
        HardwareFacts {
            counters,
            pmu_ver: PmuVer::V3P5,
            hpmn0,
            fgt,
            instruction_counter: false,
        }
    }

    #[test]
    fn splits_counters_between_guest_and_host() {
        let plan = Plan::new(facts(6, FineGrainedTraps::Fgt, false), 2).unwrap();
        assert_eq!(plan.guest_counters, 4);
        assert_eq!(plan.mode, Mode::Direct);
        assert_eq!(plan.guests_mask(), 0b1111 | CYCLE);
        assert_eq!(plan.host_mask, 0b11_0000);
        assert_eq!(plan.hpmn(4), 4);
    }

    #[test]
    fn no_guest_counters_needs_hpmn0_for_direct_mode() {
        let without = Plan::new(facts(6, FineGrainedTraps::Fgt, false), 6).unwrap();
        assert_eq!(without.mode, Mode::Trapped);
        assert_eq!(without.hpmn(0), 1, "HPMN cannot be 0 without FEAT_HPMN0");
        assert_eq!(
            without.host_mask, 0b11_1110,
            "counter 0 stays out of the host's range"
        );
        let with = Plan::new(facts(6, FineGrainedTraps::Fgt, true), 6).unwrap();
        assert_eq!(with.mode, Mode::Direct);
        assert_eq!(with.hpmn(0), 0);
        assert_eq!(with.host_mask, 0b11_1111);
        assert_eq!(with.guests_mask(), CYCLE);
    }

    #[test]
    fn overflow_delivery_is_virtual_unless_chosen() {
        let plan = Plan::new(facts(6, FineGrainedTraps::Fgt, false), 2).unwrap();
        assert_eq!(plan.overflow, OverflowDelivery::Virtual);
        let fwd = plan.with_overflow(OverflowDelivery::Forwarded);
        assert_eq!(fwd.overflow, OverflowDelivery::Forwarded);
        assert_eq!(fwd.with_overflow(OverflowDelivery::Virtual), plan);
    }

    #[test]
    fn no_fgt_means_trapped() {
        let plan = Plan::new(facts(6, FineGrainedTraps::None, true), 2).unwrap();
        assert_eq!(plan.mode, Mode::Trapped);
        assert_eq!(plan.mode_for(4), Mode::Trapped);
    }

    #[test]
    fn invalid_requests_are_errors() {
        assert_eq!(
            Plan::new(facts(6, FineGrainedTraps::Fgt, false), 7),
            Err(PlanError::TooManyReserved {
                reserved: 7,
                available: 6
            })
        );
        let mut no_pmu = facts(6, FineGrainedTraps::Fgt, false);
        no_pmu.pmu_ver = PmuVer::IMP_DEF;
        assert_eq!(Plan::new(no_pmu, 0), Err(PlanError::NoPmuV3));
    }
}
