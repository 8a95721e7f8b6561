//! Forwarding the PMU interrupt to guests.
//!
//! The PMU overflow interrupt is the host's (a PPI cannot be delivered to a guest directly);
//! [`crate::PcpuPmu::handle_overflow`] splits it, and each vCPU's virtual PMU interrupt follows
//! PMCR_EL0.E && (its counters & PMOVSSET & PMINTENSET), level-sensitive.

/// The hypervisor's virtual interrupt controller, as far as the PMU needs it.
pub trait VirtualIrq {
    /// Sets vCPU `vcpu`'s virtual PMU interrupt line to `level` (called only on changes).
    fn set_level(&mut self, vcpu: u32, level: bool);
}

/// A `VirtualIrq` that records the last level per vCPU and counts raising edges: for tests,
/// and a model of a level-sensitive line.
#[derive(Clone, Debug)]
pub struct IrqLines {
    levels: [bool; 64],
    /// Raising edges seen, per vCPU.
    pub raised: [u32; 64],
}

impl Default for IrqLines {
    fn default() -> Self {
        IrqLines {
            levels: [false; 64],
            raised: [0; 64],
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
}
