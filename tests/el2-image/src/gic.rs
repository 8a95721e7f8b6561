//! The GICv3 of QEMU's virt machine: the distributor and this CPU's redistributor set up for
//! the PMU interrupt (PPI 23), the EL2 physical CPU interface, and the virtual CPU interface's
//! list registers through which EL2 delivers the guests' virtual PMU interrupt.

use aarch64_sysregs::ich_lrx_el2::{IchLrxEl2, State};
use aarch64_sysregs::{
    Backend, Hardware, IccCtlrEl1, IccDirEl1, IccEoir1El1, IccIgrpen1El1, IccPmrEl1, IccSreEl2,
    IchHcrEl2, IchVmcrEl2, ICC_CTLR_EL1, ICC_DIR_EL1, ICC_EOIR1_EL1, ICC_IAR1_EL1, ICC_IGRPEN1_EL1,
    ICC_PMR_EL1, ICC_SRE_EL2, ICH_HCR_EL2, ICH_LR0_EL2, ICH_VMCR_EL2,
};
use core::ptr::{read_volatile, write_volatile};

/// The PMU overflow interrupt on virt: PPI 7, INTID 23.
pub const PMU_INTID: u32 = 23;
/// Spurious INTIDs start here.
const SPURIOUS: u32 = 1020;

const GICD: usize = 0x0800_0000;
const GICR: usize = 0x080a_0000;
const GICR_SGI: usize = GICR + 0x1_0000;

const GICD_CTLR: usize = 0x0000;
const GICR_WAKER: usize = 0x0014;
const GICR_IGROUPR0: usize = 0x0080;
const GICR_ISENABLER0: usize = 0x0100;
const GICR_IPRIORITYR: usize = 0x0400;

fn read32(addr: usize) -> u32 {
    // SAFETY: a GIC register, device memory with the MMU off.
    unsafe { read_volatile(addr as *const u32) }
}

fn write32(addr: usize, v: u32) {
    // SAFETY: a GIC register.
    unsafe { write_volatile(addr as *mut u32, v) }
}

/// Sets up the GIC: affinity routing and both groups on (with no EL3 the GIC has one security
/// state), this CPU's redistributor awake, PPI 23 group 1, enabled, priority 0x80; the EL2
/// physical interface through system registers with split priority drop and deactivation
/// (EOImode = 1: a forwarded interrupt stays active until the guest deactivates it); the
/// virtual interface on.
pub fn init() {
    write32(GICD + GICD_CTLR, (1 << 4) | (1 << 1) | 1);
    write32(GICR + GICR_WAKER, read32(GICR + GICR_WAKER) & !(1 << 1));
    while read32(GICR + GICR_WAKER) & (1 << 2) != 0 {}
    write32(
        GICR_SGI + GICR_IGROUPR0,
        read32(GICR_SGI + GICR_IGROUPR0) | 1 << PMU_INTID,
    );
    // SAFETY: byte access to the PPI's priority byte.
    unsafe {
        write_volatile(
            (GICR_SGI + GICR_IPRIORITYR + PMU_INTID as usize) as *mut u8,
            0x80,
        )
    };
    write32(GICR_SGI + GICR_ISENABLER0, 1 << PMU_INTID);
    let mut hw = Hardware;
    // SAFETY: EL2's own interrupt interface; every interrupt is masked at EL2 (PSTATE.I) and
    // taken only from a guest.
    unsafe {
        hw.write::<ICC_SRE_EL2>(IccSreEl2::new().with_sre(true).with_enable(true));
        crate::arch::isb();
        hw.write::<ICC_PMR_EL1>(IccPmrEl1::new().with_priority(0xff));
        hw.modify::<ICC_CTLR_EL1>(|c: IccCtlrEl1| c.with_eo_imode(true));
        hw.write::<ICC_IGRPEN1_EL1>(IccIgrpen1El1::new().with_enable(true));
        hw.write::<ICH_HCR_EL2>(IchHcrEl2::new().with_en(true));
    }
    crate::arch::isb();
}

/// Acknowledges the highest-priority pending interrupt; `None` if spurious.
pub fn acknowledge() -> Option<u32> {
    valid(Hardware.read::<ICC_IAR1_EL1>().intid())
}

/// An acknowledged INTID, unless it is one of the special (spurious) ones.
pub fn valid(intid: u32) -> Option<u32> {
    (intid < SPURIOUS).then_some(intid)
}

/// Drops the running priority of `intid` (it stays active).
pub fn priority_drop(intid: u32) {
    // SAFETY: ends the handling of an interrupt EL2 acknowledged.
    unsafe { Hardware.write::<ICC_EOIR1_EL1>(IccEoir1El1::new().with_intid(intid)) };
}

/// Deactivates `intid`.
pub fn deactivate(intid: u32) {
    // SAFETY: as above.
    unsafe { Hardware.write::<ICC_DIR_EL1>(IccDirEl1::new().with_intid(intid)) };
}

/// A vCPU's virtual-interface state: saved and restored with the vCPU.
#[derive(Clone, Copy)]
pub struct VgicState {
    pub lr0: u64,
    pub vmcr: u64,
    pub ap1r0: u64,
}

impl VgicState {
    pub const fn new() -> VgicState {
        VgicState {
            lr0: 0,
            vmcr: 0,
            ap1r0: 0,
        }
    }

    /// Loads this state into the virtual interface.
    pub fn load(&self) {
        let mut hw = Hardware;
        // SAFETY: the vCPU's own interrupt state.
        unsafe {
            hw.write::<ICH_VMCR_EL2>(IchVmcrEl2::from_bits(self.vmcr));
            hw.write::<ICH_LR0_EL2>(IchLrxEl2::from_bits(self.lr0));
        }
        crate::arch::write_ich_ap1r0(self.ap1r0);
    }

    /// Saves the virtual interface's state, after `VcpuPmu::put` (which took the guest's
    /// overflow flags out of the hardware, so the PMU interrupt's line is low). A
    /// hardware-mapped PMU interrupt still in the list register is still active at the
    /// distributor (EL2 only priority-dropped it), so it is deactivated here either way; the
    /// list register is dropped if the guest had not taken it yet (its flags, saved by `put`,
    /// raise the interrupt again at the next load), and kept as a software one (HW = 0) if the
    /// guest is in its handler, to be deactivated by the guest's EOI.
    pub fn save(&mut self) {
        let mut hw = Hardware;
        let mut lr = hw.read::<ICH_LR0_EL2>();
        if lr.hw() {
            let state = lr.state();
            if state != State::INVALID {
                deactivate(lr.p_intid() as u32);
            }
            lr = if state == State::ACTIVE || state == State::PENDING_ACTIVE {
                lr.with_hw(false).with_p_intid(0).with_state(State::ACTIVE)
            } else {
                IchLrxEl2::new()
            };
        }
        self.lr0 = lr.to_bits();
        self.vmcr = hw.read::<ICH_VMCR_EL2>().to_bits();
        self.ap1r0 = crate::arch::read_ich_ap1r0();
        // SAFETY: clears the interface for the next vCPU (which loads its own).
        unsafe { hw.write::<ICH_LR0_EL2>(IchLrxEl2::new()) };
    }
}

/// A list-register value delivering the PMU interrupt as virtual INTID 23, group 1.
pub const fn pmu_lr(state: State, hardware: bool) -> IchLrxEl2 {
    let lr = IchLrxEl2::new()
        .with_state(state)
        .with_group(true)
        .with_priority(0xa0)
        .with_v_intid(PMU_INTID);
    if hardware {
        lr.with_hw(true).with_p_intid(PMU_INTID as u16)
    } else {
        lr
    }
}

/// The live list register 0.
pub fn read_lr0() -> IchLrxEl2 {
    Hardware.read::<ICH_LR0_EL2>()
}

/// Writes list register 0.
pub fn write_lr0(lr: IchLrxEl2) {
    // SAFETY: the running vCPU's virtual interrupt state.
    unsafe { Hardware.write::<ICH_LR0_EL2>(lr) };
}
