//! A physical CPU's side of the partition: what its hardware holds of the guests' counters, so
//! that loads write only what must change, and the overflow interrupt handler.

use crate::irq::VirtualIrq;
use crate::plan::Plan;
use crate::traps::{Ownership, Traps};
use crate::vcpu::{Residence, VcpuPmu};
use aarch64_sysregs::{
    pmu_counters::PmuCounters, Backend, PmselrEl0, PmuserenrEl0, PMCNTENCLR_EL0, PMCNTENSET_EL0,
    PMCR_EL0, PMINTENCLR_EL1, PMINTENSET_EL1, PMOVSCLR_EL0, PMOVSSET_EL0, PMSELR_EL0,
    PMUSERENR_EL0,
};

/// One physical CPU's partitioned PMU.
#[derive(Clone, Debug)]
pub struct PcpuPmu {
    id: u16,
    plan: Plan,
    keep_resident: bool,
    /// The vCPU whose state the hardware still holds after its put.
    resident: Option<u32>,
    /// Guest-range bits that may be set in PMCNTENSET / PMINTENSET (bits outside are clear).
    live_cnten: u64,
    live_inten: u64,
    /// Whether guest-range bits may be set in PMOVSSET.
    overflow_maybe: bool,
    /// What PMSELR_EL0, PMUSERENR_EL0 and PMCR_EL0's control bits hold, when known: a load
    /// skips writing a value the hardware already has. (Nothing but this core writes them while
    /// the partition stands; [`PcpuPmu::host_took_guest_counters`] forgets them.)
    pub(crate) shadow: Shadow,
}

/// Known hardware values of the guest-owned controls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Shadow {
    pub pmselr: Option<u64>,
    pub pmuserenr: Option<u64>,
    pub pmcr: Option<u64>,
}

impl PcpuPmu {
    /// CPU `id` under `plan`. `keep_resident`: nothing but EL2 code runs on this CPU between
    /// one vCPU's put and the next load (a bare-metal hypervisor, or a host without EL0/EL1
    /// software on it). Then a vCPU's state may stay in hardware across its put, because a
    /// guest counter cannot count at EL2 (its hardware event type never includes EL2), and a
    /// vCPU returning to this CPU costs no register access. Leave it false for a host that runs
    /// its own EL0 software (a VHE host's user space), which the guest's counters would count.
    pub fn new(id: u16, plan: &Plan, keep_resident: bool) -> PcpuPmu {
        let guests = plan.guests_mask();
        PcpuPmu {
            id,
            plan: *plan,
            keep_resident,
            resident: None,
            // Until the first load, the enables and overflow flags are UNKNOWN.
            live_cnten: guests,
            live_inten: guests,
            overflow_maybe: true,
            shadow: Shadow::default(),
        }
    }

    /// Tells the CPU its PMU is in its reset state as far as the guests go (the enables and
    /// overflow flags of the guests' counters clear, PMUSERENR_EL0 and PMSELR_EL0 zero), e.g.
    /// after the hypervisor's own PMU initialisation.
    pub fn assume_clean(&mut self) {
        self.live_cnten = 0;
        self.live_inten = 0;
        self.overflow_maybe = false;
        self.shadow.pmuserenr = Some(0);
        self.shadow.pmselr = Some(0);
    }

    /// The CPU's identifier.
    pub fn id(&self) -> u16 {
        self.id
    }

    /// The trap configuration while the host runs here (see [`Traps::host`]).
    pub fn host_traps(&self, host_long: bool) -> Traps {
        Traps::host(&self.plan, host_long)
    }

    /// The host takes the guests' counters for its own use (e.g. no vCPU will run here for a
    /// while): forget what the hardware holds.
    pub fn host_took_guest_counters(&mut self) {
        self.resident = None;
        let guests = self.plan.guests_mask();
        self.live_cnten = guests;
        self.live_inten = guests;
        self.overflow_maybe = true;
        self.shadow = Shadow::default();
    }

    /// The guest-owned controls may have changed (a guest wrote them while loaded here).
    pub(crate) fn forget_controls(&mut self) {
        self.shadow = Shadow::default();
    }

    pub(crate) fn keeps_resident(&self) -> bool {
        self.keep_resident
    }

    pub(crate) fn holds(&self, vcpu: u32) -> bool {
        self.resident == Some(vcpu)
    }

    pub(crate) fn make_resident(&mut self, vcpu: u32) {
        self.resident = Some(vcpu);
    }

    pub(crate) fn take_resident(&mut self) {
        self.resident = None;
    }

    pub(crate) fn forget_resident(&mut self) {
        self.resident = None;
    }

    /// Stops a resident vCPU's counters (one PMCNTENCLR if any is enabled).
    pub(crate) fn stop_resident<B: Backend>(&mut self, b: &mut B) {
        self.resident = None;
        if self.live_cnten != 0 {
            // SAFETY: disables guest-range counters only.
            unsafe { b.write::<PMCNTENCLR_EL0>(PmuCounters::from_bits(self.live_cnten)) };
            self.live_cnten = 0;
        }
    }

    /// Takes EL0's PMU access away (PMUSERENR_EL0 = 0) unless the hardware is known to have
    /// none already.
    pub(crate) fn deny_el0<B: Backend>(&mut self, b: &mut B) {
        if self.shadow.pmuserenr != Some(0) {
            // SAFETY: PMUSERENR_EL0 only restricts EL0.
            unsafe { b.write::<PMUSERENR_EL0>(PmuserenrEl0::from_bits(0)) };
            self.shadow.pmuserenr = Some(0);
        }
    }

    /// Gives the guest-owned controls that the CPU consults before trapping a guest's access
    /// their reset values, for a guest whose every PMU access traps: PMUSERENR_EL0 (EL0 access)
    /// and PMSELR_EL0 (a selector at or above N makes PMXEVCNTR/PMXEVTYPER UNDEFINED before any
    /// trap). Nothing is written where the hardware is known to hold 0.
    pub(crate) fn reset_pretrap_controls<B: Backend>(&mut self, b: &mut B) {
        self.deny_el0(b);
        if self.shadow.pmselr != Some(0) {
            // SAFETY: the selector of the guest about to run.
            unsafe { b.write::<PMSELR_EL0>(PmselrEl0::from_bits(0)) };
            self.shadow.pmselr = Some(0);
        }
    }

    /// Sets the guest-range enables to exactly `cnten` / `inten`, writing SET only for bits to
    /// set and CLR only for bits that may be set and must not be.
    pub(crate) fn set_enables<B: Backend>(&mut self, b: &mut B, cnten: u64, inten: u64) {
        // SAFETY (all four): guest-range bits only; a 1 in SET/CLR changes only its own counter.
        unsafe {
            let clear = self.live_cnten & !cnten;
            if clear != 0 {
                b.write::<PMCNTENCLR_EL0>(PmuCounters::from_bits(clear));
            }
            if cnten != 0 {
                b.write::<PMCNTENSET_EL0>(PmuCounters::from_bits(cnten));
            }
            let clear = self.live_inten & !inten;
            if clear != 0 {
                b.write::<PMINTENCLR_EL1>(PmuCounters::from_bits(clear));
            }
            if inten != 0 {
                b.write::<PMINTENSET_EL1>(PmuCounters::from_bits(inten));
            }
        }
        self.live_cnten = cnten;
        self.live_inten = inten;
    }

    /// Records enables the hardware holds (read back at put).
    pub(crate) fn note_enables(&mut self, cnten: u64, inten: u64) {
        self.live_cnten = cnten;
        self.live_inten = inten;
    }

    /// Clears every guest-range overflow flag if any may be set (at load).
    pub(crate) fn clear_guest_overflow<B: Backend>(&mut self, b: &mut B) {
        if self.overflow_maybe {
            // SAFETY: guest-range flags only.
            unsafe { b.write::<PMOVSCLR_EL0>(PmuCounters::from_bits(self.plan.guests_mask())) };
        }
        // The loaded guest's counters may overflow from now on.
        self.overflow_maybe = true;
    }

    /// Sets the guest's overflow flags `flags` in hardware (at a load with forwarded overflow).
    pub(crate) fn set_guest_overflow<B: Backend>(&mut self, b: &mut B, flags: u64) {
        // SAFETY: the loaded guest's own flags.
        unsafe { b.write::<PMOVSSET_EL0>(PmuCounters::from_bits(flags)) };
        self.overflow_maybe = true;
    }

    /// Reads and clears the overflow flags of `mask` (at put): what the guest's counters set.
    pub(crate) fn take_guest_overflow<B: Backend>(&mut self, b: &mut B, mask: u64) -> u64 {
        let flags = b.read::<PMOVSSET_EL0>().to_bits() & mask;
        if flags != 0 {
            // SAFETY: the guest's own flags, now recorded in its vCPU.
            unsafe { b.write::<PMOVSCLR_EL0>(PmuCounters::from_bits(flags)) };
        }
        self.overflow_maybe = false;
        flags
    }

    /// [`PcpuPmu::handle_overflow`]'s decision for the common case of forwarded overflow,
    /// precomputed for `loaded` (the vCPU loaded here), so that a hypervisor can take the PMU
    /// interrupt in an exception-vector fast path without a full exit: `None` unless `loaded`
    /// owns its PMU here with forwarded overflow ([`VcpuPmu::overflow_forwarded`]). It stays
    /// valid while `loaded` stays loaded here and its traps do not change: compute it after
    /// [`VcpuPmu::load`] and again after a [`VcpuPmu::handle_trap`] that reports
    /// [`crate::Handled::traps_changed`] (the claim that makes the PMU the guest's).
    pub fn forwarded_overflow(&self, loaded: &VcpuPmu) -> Option<ForwardedOverflow> {
        let here = Residence::Loaded { cpu: self.id };
        if loaded.residence != here || !loaded.overflow_forwarded() {
            return None;
        }
        let guests = self.plan.guests_mask();
        Some(ForwardedOverflow {
            host: self.plan.host_mask | self.plan.host_instruction_counter(),
            stray: guests & !loaded.mask(),
            guest: guests & loaded.mask(),
        })
    }

    /// The host's PMU overflow interrupt handler's first step. Reads the overflow status,
    /// clears the host's part in hardware and returns it (interrupt-enabled overflows of host
    /// counters) for the host's own handler. Guest overflows never reach the host's handler,
    /// and host overflows never reach a guest.
    ///
    /// The guest's part, for the vCPU loaded here (if it owns its PMU), with
    /// [`crate::OverflowDelivery::Virtual`]: cleared in hardware, recorded in the vCPU's
    /// overflow status, and its virtual line updated through `irq`. With forwarded overflow
    /// ([`VcpuPmu::overflow_forwarded`]): left in hardware, where the guest reads and clears
    /// it, and if it requests the interrupt (PMCR_EL0.E && its counters & PMOVSSET &
    /// PMINTENSET; PMCR_EL0 is read only when needed) the physical interrupt is the guest's:
    /// `irq.forward` (once). The caller must then leave the interrupt active after its
    /// priority drop (ICC_CTLR_EL1.EOImode = 1, ICC_EOIR1_EL1 only) and inject it through a
    /// list register with HW = 1; otherwise it deactivates it (ICC_DIR_EL1) as usual. After
    /// the vCPU's put the hypervisor deactivates a physical interrupt still forwarded (see
    /// [`VirtualIrq`] for the whole protocol). While the interrupt is active the host's own
    /// overflows are not signalled: they wait for the guest's EOI or the put.
    ///
    /// Flags of the guests' range that the loaded vCPU does not own are cleared.
    pub fn handle_overflow<B: Backend, I: VirtualIrq>(
        &mut self,
        b: &mut B,
        loaded: Option<&mut VcpuPmu>,
        irq: &mut I,
    ) -> u64 {
        let flags = b.read::<PMOVSSET_EL0>().to_bits();
        let inten = b.read::<PMINTENSET_EL1>().to_bits();
        let host = flags & inten & (self.plan.host_mask | self.plan.host_instruction_counter());
        let here = Residence::Loaded { cpu: self.id };
        let (guest_mask, forwarded) = match &loaded {
            Some(v) if v.residence == here && v.ownership() == Ownership::Owned => {
                (v.mask(), v.overflow_forwarded())
            }
            _ => (0, false),
        };
        // Flags of the guests' range that no loaded vCPU owns cannot be anyone's (those
        // counters do not count outside their guest): clear them too. A forwarded vCPU's own
        // stay: they are its guest's to read and clear.
        let guest = flags & self.plan.guests_mask();
        let keep = if forwarded { guest_mask } else { 0 };
        let clear = host | guest & !keep;
        if clear != 0 {
            // SAFETY: clears flags that have been taken by their owners.
            unsafe { b.write::<PMOVSCLR_EL0>(PmuCounters::from_bits(clear)) };
        }
        if let Some(v) = loaded {
            if forwarded {
                let requested = guest & guest_mask & inten;
                if requested != 0 && b.read::<PMCR_EL0>().e() {
                    irq.forward(v.id());
                }
            } else if guest_mask != 0 {
                v.regs_mut().pmovs |= guest & guest_mask;
                v.update_irq(b, irq);
            }
        }
        host
    }
}

/// The PMU interrupt's owner test for a loaded vCPU with forwarded overflow, from
/// [`PcpuPmu::forwarded_overflow`]: three register reads and no state, so it can run in an
/// interrupt fast path that saves only the caller-saved registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForwardedOverflow {
    /// The host's counters (with the instruction counter): an interrupt-enabled overflow of
    /// one of them is the host's to handle.
    host: u64,
    /// Guest-range counters the loaded vCPU does not have: a flag there must be cleared.
    stray: u64,
    /// The loaded vCPU's counters.
    guest: u64,
}

impl ForwardedOverflow {
    /// Whether the PMU interrupt being handled is the loaded guest's alone. If so, the
    /// hypervisor forwards it exactly as [`PcpuPmu::handle_overflow`] would (which would
    /// write no register, call `irq.forward` once and return 0): priority drop only, and a
    /// list register with HW = 1. Otherwise (a host overflow, a stray flag, or nothing for the
    /// guest to take) it calls [`PcpuPmu::handle_overflow`]. Reads PMOVSSET_EL0, then
    /// PMINTENSET_EL1, then PMCR_EL0, stopping at the first that decides.
    #[inline(always)]
    pub fn guests_alone<B: Backend>(&self, b: &mut B) -> bool {
        let flags = b.read::<PMOVSSET_EL0>().to_bits();
        if flags & self.stray != 0 {
            return false;
        }
        let requested = flags & b.read::<PMINTENSET_EL1>().to_bits();
        requested & self.host == 0 && requested & self.guest != 0 && b.read::<PMCR_EL0>().e()
    }
}
