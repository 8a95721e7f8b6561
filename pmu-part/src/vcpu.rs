//! A vCPU's PMU and its context switch.
//!
//! While a vCPU is loaded, the hardware holds its counters, enables, PMCR, PMSELR and PMUSERENR
//! (the guest uses them directly); the vCPU's copies of its event types, PMCCFILTR and overflow
//! status are canonical (those registers trap: the hardware event types are the filtered ones,
//! and the overflow status drives the virtual interrupt). With forwarded overflow
//! ([`VcpuPmu::overflow_forwarded`]) the overflow status is in hardware too while the vCPU is
//! loaded (the guest reads and clears it directly, and it raises the physical interrupt that is
//! forwarded to the guest); `put` moves it back into the vCPU's copy and `load` restores it.
//!
//! - `load` writes the vCPU's state into the hardware; `put` saves it and stops the guest's
//!   counters and interrupts. Both touch only the vCPU's counters, never the host's.
//! - Lazy: a vCPU whose guest never touched its PMU is not switched at all; every access of its
//!   guest traps, and the first one claims the PMU.
//! - Resident: on a CPU where nothing but EL2 code runs between vCPUs, `put` leaves the state in
//!   the hardware (the guest's counters cannot count at EL2: their hardware event types never
//!   include EL2, and MDCR_EL2.HPMD/HCCD say the same), and a `load` of the same vCPU on the same
//!   CPU, with nothing else having used the counters, writes nothing.

use crate::counters;
use crate::filter::EventFilter;
use crate::pcpu::PcpuPmu;
use crate::plan::{Mode, OverflowDelivery, Plan, PlanError};
use crate::traps::{Ownership, Traps};
use aarch64_sysregs::{
    pmcr_el0::PmcrEl0, pmevcntrx_el0::PmevcntrxEl0, pmevtyperx_el0::PmevtyperxEl0, Backend,
    PMEVCNTRn_EL0, PMEVTYPERn_EL0, PmccfiltrEl0, PmccntrEl0, PmselrEl0, PmuserenrEl0,
    PMCCFILTR_EL0, PMCCNTR_EL0, PMCNTENSET_EL0, PMCR_EL0, PMINTENSET_EL1, PMSELR_EL0,
    PMUSERENR_EL0,
};

/// The PMU registers of a vCPU, as its guest sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registers {
    /// PMCR_EL0's writable control bits (E, D, X, DP, LC, LP).
    pub pmcr: u64,
    /// PMSELR_EL0.
    pub pmselr: u64,
    /// PMCNTENSET_EL0 (the vCPU's counters' bits).
    pub pmcnten: u64,
    /// PMINTENSET_EL1.
    pub pminten: u64,
    /// PMOVSSET_EL0 (with forwarded overflow, while the vCPU is loaded, the hardware's is the
    /// guest's and this is the value at its load).
    pub pmovs: u64,
    /// PMUSERENR_EL0.
    pub pmuserenr: u64,
    /// PMCCFILTR_EL0, as the guest wrote it.
    pub pmccfiltr: u64,
    /// PMCCNTR_EL0.
    pub pmccntr: u64,
    /// `PMEVTYPER<n>_EL0`, as the guest wrote them.
    pub pmevtyper: [u64; 31],
    /// `PMEVCNTR<n>_EL0`.
    pub pmevcntr: [u64; 31],
}

impl Registers {
    /// The architectural reset state (every register zero).
    pub const fn reset() -> Registers {
        Registers {
            pmcr: 0,
            pmselr: 0,
            pmcnten: 0,
            pminten: 0,
            pmovs: 0,
            pmuserenr: 0,
            pmccfiltr: 0,
            pmccntr: 0,
            pmevtyper: [0; 31],
            pmevcntr: [0; 31],
        }
    }
}

/// Where a vCPU's PMU state is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Residence {
    /// In [`VcpuPmu::regs`] only.
    Saved,
    /// Live in CPU `cpu`'s hardware: the vCPU is loaded there.
    Loaded { cpu: u16 },
    /// Saved, and also still in CPU `cpu`'s hardware (kept resident at put).
    Resident { cpu: u16 },
}

/// A vCPU's partitioned PMU.
#[derive(Clone, Debug)]
pub struct VcpuPmu {
    id: u32,
    plan: Plan,
    counters: u8,
    mask: u64,
    ownership: Ownership,
    pub(crate) residence: Residence,
    regs: Registers,
    irq_level: bool,
}

/// PMCR_EL0 bits a guest can set and the switch carries: E, D, X, DP, LC, LP with
/// FEAT_PMUv3p5 and FZO with FEAT_PMUv3p7 (every writable bit: the hardware holds no other
/// guest state that a load would have to replace). P and C are actions (reset counters),
/// never state.
pub(crate) fn pmcr_control(plan: &Plan) -> u64 {
    let bits = PmcrEl0::from_bits(0)
        .with_e(true)
        .with_d(true)
        .with_x(true)
        .with_dp(true)
        .with_lc(true)
        .with_lp(plan.facts.pmuv3p5())
        .with_fzo(plan.facts.pmuv3p7());
    bits.to_bits()
}

/// The writable bits of an event-type register (its RES0 bits cleared).
const TYPE_BITS: u64 = !PmevtyperxEl0::RES0;

/// The writable bits of PMCCFILTR_EL0 (no event number: its bits 15:0 are RES0).
const CYCLE_FILTER_BITS: u64 = !PmccfiltrEl0::RES0;

impl VcpuPmu {
    /// A vCPU with `counters` event counters (at most the plan's G) and the cycle counter, in
    /// its reset state, its PMU untouched.
    pub fn new(id: u32, plan: &Plan, counters: u8) -> Result<VcpuPmu, PlanError> {
        if counters > plan.guest_counters {
            return Err(PlanError::TooManyReserved {
                reserved: counters,
                available: plan.guest_counters,
            });
        }
        Ok(VcpuPmu {
            id,
            plan: *plan,
            counters,
            mask: Plan::guest_mask(counters),
            ownership: Ownership::Untouched,
            residence: Residence::Saved,
            regs: Registers::reset(),
            irq_level: false,
        })
    }

    /// The vCPU's identifier (as given to [`VcpuPmu::new`]).
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Its event counters.
    pub fn counters(&self) -> u8 {
        self.counters
    }

    /// Its counters' bits: event counters `0..counters` and the cycle counter.
    pub fn mask(&self) -> u64 {
        self.mask
    }

    /// Whether its guest has used the PMU yet.
    pub fn ownership(&self) -> Ownership {
        self.ownership
    }

    /// How its accesses are handled once owned.
    pub fn mode(&self) -> Mode {
        self.plan.mode_for(self.counters)
    }

    /// Whether its overflows are forwarded ([`OverflowDelivery::Forwarded`]): the plan says
    /// so, the vCPU runs in [`Mode::Direct`] and its guest has claimed its PMU
    /// ([`Ownership::Owned`]). Then, while it is loaded, its overflow flags are in hardware
    /// (PMOVSSET/CLR_EL0 do not trap) and [`crate::PcpuPmu::handle_overflow`] delivers them
    /// with [`crate::VirtualIrq::forward`]; while it is not, they are in
    /// [`Registers::pmovs`] and the software line follows them, as without forwarding.
    pub fn overflow_forwarded(&self) -> bool {
        self.plan.overflow == OverflowDelivery::Forwarded
            && self.mode() == Mode::Direct
            && self.ownership == Ownership::Owned
    }

    /// Its registers as last saved (while loaded, the hardware's may be newer).
    pub fn regs(&self) -> &Registers {
        &self.regs
    }

    /// Replaces its registers (e.g. restoring a migrated vCPU). Only while not loaded; drops
    /// any copy left resident in a CPU. Claims the PMU if the new state uses it.
    pub fn set_regs(&mut self, regs: Registers) -> bool {
        if matches!(self.residence, Residence::Loaded { .. }) {
            return false;
        }
        self.residence = Residence::Saved;
        let mut regs = regs;
        regs.pmcr &= pmcr_control(&self.plan);
        regs.pmcnten &= self.mask;
        regs.pminten &= self.mask;
        regs.pmovs &= self.mask;
        if regs != Registers::reset() {
            self.ownership = Ownership::Owned;
        }
        self.regs = regs;
        true
    }

    /// The trap configuration while this vCPU runs (see [`Traps::guest`]).
    pub fn traps(&self, host_long: bool) -> Traps {
        Traps::guest(&self.plan, self.counters, self.ownership, host_long)
    }

    /// Whether the vCPU is loaded on `cpu`.
    pub fn is_loaded_on(&self, cpu: &PcpuPmu) -> bool {
        self.residence == Residence::Loaded { cpu: cpu.id() }
    }

    /// The level of its virtual PMU interrupt as last computed by [`VcpuPmu::update_irq`].
    pub fn irq_level(&self) -> bool {
        self.irq_level
    }

    pub(crate) fn regs_mut(&mut self) -> &mut Registers {
        &mut self.regs
    }

    pub(crate) fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Loads the vCPU's PMU state on `cpu`, before entering the guest.
    ///
    /// Untouched vCPU: no access, unless another vCPU's state is in the hardware: then one
    /// PMCNTENCLR stops its counters if any is enabled, and PMUSERENR and PMSELR get their
    /// reset 0 if they may hold something else. Same vCPU returning to the CPU it left its
    /// state on: no access (with forwarded overflow, one PMOVSSET write if an overflow is
    /// pending).
    /// Otherwise: its event types (filtered) and counters, PMSELR, PMUSERENR, PMCR without
    /// P and C, and only the enable bits that must change; with forwarded overflow, also its
    /// pending overflow flags (PMOVSSET), which re-raise the physical interrupt if enabled.
    ///
    /// `filter` must be the same at every load and trap of a vCPU (fix it before the vCPU
    /// first runs, as KVM does): a vCPU returning to its resident state does not re-apply it.
    pub fn load<B: Backend>(&mut self, cpu: &mut PcpuPmu, filter: &EventFilter, b: &mut B) {
        let here = cpu.id();
        if matches!(self.residence, Residence::Loaded { .. }) {
            return;
        }
        if self.ownership == Ownership::Untouched {
            // Its guest cannot reach the PMU (everything traps), but the hardware may still
            // run another vCPU's counters, which must not count this guest, and hold that
            // vCPU's PMUSERENR_EL0 and PMSELR_EL0, which the CPU checks before any trap to
            // EL2: this guest must meet its own (reset) values.
            cpu.stop_resident(b);
            cpu.reset_pretrap_controls(b);
            self.residence = Residence::Loaded { cpu: here };
            return;
        }
        if self.residence == (Residence::Resident { cpu: here }) && cpu.holds(self.id) {
            cpu.take_resident();
            // Put took the flags out of the hardware; with forwarded overflow they belong there
            // while the vCPU is loaded.
            self.restore_overflow(cpu, b);
            self.residence = Residence::Loaded { cpu: here };
            return;
        }
        self.write_state(cpu, filter, b);
        self.residence = Residence::Loaded { cpu: here };
    }

    fn write_state<B: Backend>(&mut self, cpu: &mut PcpuPmu, filter: &EventFilter, b: &mut B) {
        cpu.forget_resident();
        let event_bits = if self.plan.facts.pmuv3p1() { 16 } else { 10 };
        let r = &self.regs;
        // SAFETY (all writes below): they touch only this vCPU's counters and the guest-owned
        // PMU controls; the host's counters, enables and event types are never written.
        unsafe {
            // Iterated, not indexed: no bounds check, so no panic path on the switch.
            let counters = r.pmevtyper.iter().zip(&r.pmevcntr);
            for (i, (&ty, &count)) in counters.take(usize::from(self.counters)).enumerate() {
                let hw = filter.hardware_type(ty, false, event_bits);
                PMEVTYPERn_EL0::write(b, i, PmevtyperxEl0::from_bits(hw));
                PMEVCNTRn_EL0::write(b, i, PmevcntrxEl0::from_bits(count));
            }
            let hw = filter.hardware_type(r.pmccfiltr, true, event_bits);
            b.write::<PMCCFILTR_EL0>(PmccfiltrEl0::from_bits(hw));
            b.write::<PMCCNTR_EL0>(PmccntrEl0::from_bits(r.pmccntr));
            // The controls: only when the hardware does not hold the value already.
            let pmcr = r.pmcr & pmcr_control(&self.plan);
            if cpu.shadow.pmselr != Some(r.pmselr) {
                b.write::<PMSELR_EL0>(PmselrEl0::from_bits(r.pmselr));
                cpu.shadow.pmselr = Some(r.pmselr);
            }
            if cpu.shadow.pmuserenr != Some(r.pmuserenr) {
                b.write::<PMUSERENR_EL0>(PmuserenrEl0::from_bits(r.pmuserenr));
                cpu.shadow.pmuserenr = Some(r.pmuserenr);
            }
            if cpu.shadow.pmcr != Some(pmcr) {
                b.write::<PMCR_EL0>(PmcrEl0::from_bits(pmcr));
                cpu.shadow.pmcr = Some(pmcr);
            }
        }
        // Stale overflow flags must not raise an interrupt as soon as the enables are set.
        cpu.clear_guest_overflow(b);
        self.restore_overflow(cpu, b);
        cpu.set_enables(b, r.pmcnten & self.mask, r.pminten & self.mask);
    }

    /// With forwarded overflow, puts the vCPU's pending overflow flags into the hardware (one
    /// PMOVSSET write, only if there are any): the guest's own from now on, and the physical
    /// interrupt's source once the enables are set.
    fn restore_overflow<B: Backend>(&self, cpu: &mut PcpuPmu, b: &mut B) {
        let pending = self.regs.pmovs & self.mask;
        if pending != 0 && self.overflow_forwarded() {
            cpu.set_guest_overflow(b, pending);
        }
    }

    /// Saves the vCPU's PMU state from `cpu`, after leaving the guest, and stops its counters
    /// and interrupts (or, on a CPU that keeps state resident, leaves them in place: they
    /// cannot count at EL2).
    pub fn put<B: Backend>(&mut self, cpu: &mut PcpuPmu, b: &mut B) {
        if self.residence != (Residence::Loaded { cpu: cpu.id() }) {
            return;
        }
        if self.ownership == Ownership::Untouched {
            self.residence = Residence::Saved;
            return;
        }
        self.read_state(cpu, b);
        if cpu.keeps_resident() {
            cpu.make_resident(self.id);
            self.residence = Residence::Resident { cpu: cpu.id() };
        } else {
            cpu.set_enables(b, 0, 0);
            // PMUSERENR_EL0 back to the host's: no EL0 access.
            cpu.deny_el0(b);
            self.residence = Residence::Saved;
        }
    }

    fn read_state<B: Backend>(&mut self, cpu: &mut PcpuPmu, b: &mut B) {
        let control = pmcr_control(&self.plan);
        let forwarded = self.overflow_forwarded();
        let r = &mut self.regs;
        for (i, slot) in r
            .pmevcntr
            .iter_mut()
            .take(usize::from(self.counters))
            .enumerate()
        {
            if let Some(v) = PMEVCNTRn_EL0::read(b, i) {
                *slot = v.to_bits();
            }
        }
        r.pmccntr = b.read::<PMCCNTR_EL0>().to_bits();
        r.pmselr = b.read::<PMSELR_EL0>().to_bits();
        r.pmuserenr = b.read::<PMUSERENR_EL0>().to_bits();
        r.pmcr = b.read::<PMCR_EL0>().to_bits() & control;
        cpu.shadow.pmselr = Some(r.pmselr);
        cpu.shadow.pmuserenr = Some(r.pmuserenr);
        cpu.shadow.pmcr = Some(r.pmcr);
        r.pmcnten = b.read::<PMCNTENSET_EL0>().to_bits() & self.mask;
        r.pminten = b.read::<PMINTENSET_EL1>().to_bits() & self.mask;
        cpu.note_enables(r.pmcnten, r.pminten);
        let flags = cpu.take_guest_overflow(b, self.mask);
        // With forwarded overflow the hardware's flags were the guest's, and the copy stale
        // since the load; otherwise the copy is canonical and the hardware holds only flags
        // not yet taken.
        if forwarded {
            r.pmovs = flags;
        } else {
            r.pmovs |= flags;
        }
    }

    /// Claims the PMU for the guest on its first trapped access: from now on its state is
    /// switched and (in direct mode) its accesses stop trapping. The vCPU must be loaded.
    pub(crate) fn claim<B: Backend>(&mut self, cpu: &mut PcpuPmu, filter: &EventFilter, b: &mut B) {
        if self.ownership == Ownership::Owned {
            return;
        }
        self.ownership = Ownership::Owned;
        self.write_state(cpu, filter, b);
    }

    /// Recomputes the virtual PMU interrupt's level, PMCR_EL0.E && (counters & PMOVSSET &
    /// PMINTENSET), and tells `irq` when it changes. Reads the hardware (PMCR, PMINTENSET) only
    /// when an overflow is pending.
    ///
    /// With forwarded overflow ([`VcpuPmu::overflow_forwarded`]) and the vCPU loaded, the
    /// software line is not used (the physical interrupt, forwarded, delivers the overflows):
    /// it is lowered if it was high, and nothing is read. Call it before entering the guest
    /// and after a put, as well as on exits.
    pub fn update_irq<B: Backend, I: crate::irq::VirtualIrq>(&mut self, b: &mut B, irq: &mut I) {
        if self.overflow_forwarded() && matches!(self.residence, Residence::Loaded { .. }) {
            if self.irq_level {
                self.irq_level = false;
                irq.set_level(self.id, false);
            }
            return;
        }
        let pending = self.regs.pmovs & self.mask;
        let level = pending != 0 && {
            let (enabled, inten) = if matches!(self.residence, Residence::Loaded { .. })
                && self.ownership == Ownership::Owned
            {
                (
                    b.read::<PMCR_EL0>().e(),
                    b.read::<PMINTENSET_EL1>().to_bits(),
                )
            } else {
                (PmcrEl0::from_bits(self.regs.pmcr).e(), self.regs.pminten)
            };
            enabled && pending & inten != 0
        };
        if level != self.irq_level {
            self.irq_level = level;
            irq.set_level(self.id, level);
        }
    }

    /// The guest's counter bits that exist: for a PMSWINC or SET/CLR write.
    pub(crate) fn event_mask(&self) -> u64 {
        counters::first(self.counters)
    }

    pub(crate) fn write_event_type<B: Backend>(
        &mut self,
        index: u8,
        value: u64,
        filter: &EventFilter,
        b: &mut B,
    ) {
        let event_bits = if self.plan.facts.pmuv3p1() { 16 } else { 10 };
        if index == 31 {
            let value = value & CYCLE_FILTER_BITS;
            self.regs.pmccfiltr = value;
            let hw = filter.hardware_type(value, true, event_bits);
            // SAFETY: the guest's own cycle-counter filter, made safe by the filter.
            unsafe { b.write::<PMCCFILTR_EL0>(PmccfiltrEl0::from_bits(hw)) };
        } else if index < self.counters {
            let value = value & TYPE_BITS;
            self.regs.pmevtyper[usize::from(index)] = value;
            let hw = filter.hardware_type(value, false, event_bits);
            // SAFETY: one of the guest's own counters.
            unsafe { PMEVTYPERn_EL0::write(b, usize::from(index), PmevtyperxEl0::from_bits(hw)) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{FineGrainedTraps, HardwareFacts};
    use aarch64_sysregs::{id_aa64dfr0_el1::PmuVer, RegisterFile};

    fn plan() -> Plan {
        Plan::new(
            HardwareFacts {
                counters: 6,
                pmu_ver: PmuVer::V3P5,
                hpmn0: false,
                fgt: FineGrainedTraps::Fgt,
                instruction_counter: false,
            },
            2,
        )
        .unwrap()
    }

    #[test]
    fn an_untouched_vcpu_costs_nothing() {
        let p = plan();
        let mut cpu = PcpuPmu::new(0, &p, false);
        let mut v = VcpuPmu::new(1, &p, 4).unwrap();
        let mut hw = RegisterFile::<64>::new();
        cpu.assume_clean();
        v.load(&mut cpu, &EventFilter::allow_all(), &mut hw);
        v.put(&mut cpu, &mut hw);
        assert_eq!((hw.reads, hw.writes), (0, 0));
    }

    #[test]
    fn more_counters_than_the_plan_gives_is_an_error() {
        assert!(VcpuPmu::new(1, &plan(), 5).is_err());
    }
}
