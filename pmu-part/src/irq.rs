//! Forwarding the PMU interrupt to guests.
//!
//! The PMU overflow interrupt is one PPI per CPU, the host's and the loaded guest's at once;
//! [`crate::PcpuPmu::handle_overflow`] splits it. A vCPU's virtual PMU interrupt follows
//! PMCR_EL0.E && (its counters & PMOVSSET & PMINTENSET), level-sensitive, and reaches its guest
//! in one of two ways ([`crate::OverflowDelivery`]):
//!
//! - **Virtual**: a software level line, [`VirtualIrq::set_level`], computed from the vCPU's
//!   copy of the overflow status.
//! - **Forwarded** (a vCPU with [`crate::VcpuPmu::overflow_forwarded`]): while the vCPU is
//!   loaded, its overflow flags stay in hardware and the physical interrupt itself is given to
//!   the guest, [`VirtualIrq::forward`]; while it is not loaded, the software line as above.
//!
//! [`VirtualIrq`] describes what the hypervisor does for each.

/// The hypervisor's virtual interrupt controller, as far as the PMU needs it.
///
/// # Virtual overflow
///
/// [`VirtualIrq::set_level`] is the vCPU's virtual PMU interrupt, level-sensitive: inject it
/// as a software interrupt (a list register with HW = 0) while it is high. Call
/// [`crate::VcpuPmu::update_irq`] on every exit. The host's PMU interrupt handler, which calls
/// [`crate::PcpuPmu::handle_overflow`], ends the physical interrupt as usual.
///
/// # Forwarded overflow (GICv3)
///
/// - Run the host with ICC_CTLR_EL1.EOImode = 1 (as KVM does for its hardware-mapped timer
///   interrupts): its PMU interrupt handler acknowledges the PPI (ICC_IAR1_EL1), calls
///   [`crate::PcpuPmu::handle_overflow`], and priority-drops it (ICC_EOIR1_EL1). If the
///   handler called [`VirtualIrq::forward`], it leaves the interrupt active; otherwise it
///   deactivates it (ICC_DIR_EL1) as usual.
/// - A forward injects the PMU interrupt's INTID into the vCPU through a list register with
///   HW = 1 and pINTID = the PMU PPI. The guest acknowledges it, reads and clears its overflow
///   flags without trapping, and its EOI deactivates the physical interrupt; if the guest's
///   flags are still set then, it fires again (level-sensitive).
/// - At every entry of the guest, [`crate::VcpuPmu::update_irq`] first (it lowers the
///   software line while the vCPU is loaded: the physical interrupt delivers its overflows);
///   a load that restores pending flags re-raises the physical interrupt, to be taken, and
///   forwarded, before the guest runs.
/// - At put, after [`crate::VcpuPmu::put`] (which moves the guest's flags into
///   [`crate::Registers::pmovs`]): if that list register is still pending, drop it; if it is
///   active (the guest is in its handler), keep it as a software one (HW = 0) so that the
///   guest's EOI completes it. Either way deactivate the physical interrupt (ICC_DIR_EL1): it
///   was priority-dropped and left active, and an active PPI would not be signalled again, not
///   even for the host's overflows. Only after the put: deactivated while the guest's flags
///   are still in hardware, it would be taken again at once. Then
///   [`crate::VcpuPmu::update_irq`]: a pending overflow is the software line's again until
///   the next load, which re-raises the physical interrupt.
///
/// While the guest holds the physical interrupt active, the PPI is not signalled: the host's
/// own overflows wait until the guest's EOI or the vCPU's put.
pub trait VirtualIrq {
    /// Sets vCPU `vcpu`'s virtual PMU interrupt line to `level` (called only on changes).
    fn set_level(&mut self, vcpu: u32, level: bool);

    /// The physical PMU interrupt being handled is vCPU `vcpu`'s (the one loaded on this CPU,
    /// with forwarded overflow): deliver it as a hardware-mapped virtual interrupt. Leave the
    /// physical interrupt active after priority-dropping it (EOImode = 1), and inject a GICv3
    /// list register with HW = 1 and pINTID = the PMU PPI; the guest's EOI deactivates it.
    /// Called at most once per [`crate::PcpuPmu::handle_overflow`]. See [`VirtualIrq`] for
    /// the rest of the protocol (entry and put).
    fn forward(&mut self, vcpu: u32);
}

/// A `VirtualIrq` that records the last level per vCPU and counts raising edges and forwards:
/// for tests, and a model of a level-sensitive line.
#[derive(Clone, Debug)]
pub struct IrqLines {
    levels: [bool; 64],
    /// Raising edges seen, per vCPU.
    pub raised: [u32; 64],
    /// Physical interrupts forwarded, per vCPU.
    pub forwarded: [u32; 64],
}

impl Default for IrqLines {
    fn default() -> Self {
        IrqLines {
            levels: [false; 64],
            raised: [0; 64],
            forwarded: [0; 64],
        }
    }
}

impl IrqLines {
    /// The line's level for `vcpu` (vCPUs 64 and above are not tracked).
    pub fn level(&self, vcpu: u32) -> bool {
        self.levels.get(vcpu as usize).copied().unwrap_or(false)
    }
}

impl VirtualIrq for IrqLines {
    fn set_level(&mut self, vcpu: u32, level: bool) {
        if let Some(l) = self.levels.get_mut(vcpu as usize) {
            if level && !*l {
                self.raised[vcpu as usize] += 1;
            }
            *l = level;
        }
    }

    fn forward(&mut self, vcpu: u32) {
        if let Some(n) = self.forwarded.get_mut(vcpu as usize) {
            *n = n.saturating_add(1);
        }
    }
}
