//! Trapped PMU accesses: decoding the ESR_EL2 of a trapped MSR/MRS and emulating every PMU
//! register that can trap in either mode.

use crate::counters;
use crate::filter::EventFilter;
use crate::irq::VirtualIrq;
use crate::pcpu::PcpuPmu;
use crate::traps::Ownership;
use crate::vcpu::{pmcr_control, VcpuPmu};
use aarch64_sysregs::{
    pmcr_el0::PmcrEl0, pmevcntrx_el0::PmevcntrxEl0, pmevtyperx_el0::PmevtyperxEl0,
    pmu_counters::PmuCounters, Backend, Encoding, PMEVCNTRn_EL0, PMEVTYPERn_EL0, PmccntrEl0,
    PmselrEl0, PmuserenrEl0, SysReg, PMCCFILTR_EL0, PMCCNTR_EL0, PMCEID0_EL0, PMCEID1_EL0,
    PMCNTENCLR_EL0, PMCNTENSET_EL0, PMCR_EL0, PMECR_EL1, PMIAR_EL1, PMICFILTR_EL0, PMICNTR_EL0,
    PMINTENCLR_EL1, PMINTENSET_EL1, PMMIR_EL1, PMOVSCLR_EL0, PMOVSSET_EL0, PMSELR_EL0, PMSSCR_EL1,
    PMSWINC_EL0, PMUACR_EL1, PMUSERENR_EL0, PMXEVCNTR_EL0, PMXEVTYPER_EL0, PMZR_EL0,
};

/// A trapped MSR/MRS (ESR_ELx.EC == 0x18), decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SysRegTrap {
    /// The register accessed.
    pub encoding: Encoding,
    /// The general-purpose register transferred (31 is XZR).
    pub rt: u8,
    /// MRS (a read) rather than MSR.
    pub is_read: bool,
    /// The access came from EL0 (`SPSR_EL2.M[3:2]` is 0): ESR_EL2 does not say, so
    /// [`SysRegTrap::from_esr`] takes EL1; set it with [`SysRegTrap::at_el0`]. Only a
    /// software increment depends on it (the counters' filters decide whether it counts).
    pub el0: bool,
}

impl SysRegTrap {
    /// The exception class of a trapped MSR, MRS or System instruction.
    pub const EC: u64 = 0x18;

    /// Decodes an ESR_EL2 value; `None` if it is not a trapped MSR/MRS.
    pub const fn from_esr(esr: u64) -> Option<SysRegTrap> {
        if (esr >> 26) & 0x3f != SysRegTrap::EC {
            return None;
        }
        let iss = (esr & 0x1ff_ffff) as u32;
        Some(SysRegTrap {
            encoding: Encoding::from_iss(iss),
            rt: ((iss >> 5) & 0x1f) as u8,
            is_read: iss & 1 == 1,
            el0: false,
        })
    }

    /// The same access, made from EL0 if `el0`.
    pub const fn at_el0(self, el0: bool) -> SysRegTrap {
        SysRegTrap { el0, ..self }
    }
}

/// What an emulated access did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Emulation {
    /// A read: put this value in the guest's Rt.
    Read(u64),
    /// A write, done.
    Written,
    /// Inject an UNDEFINED exception: the register does not exist for this guest (a counter at
    /// or above its HPMN, the host's instruction counter, a write to a read-only register ...).
    Undefined,
    /// Not a PMU register: for the hypervisor's other handlers.
    NotPmu,
}

/// The result of handling a trap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handled {
    /// What the access did.
    pub emulation: Emulation,
    /// The vCPU's trap configuration changed (its PMU was just claimed): write the new values
    /// ([`VcpuPmu::traps`]) before returning to the guest.
    pub traps_changed: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reg {
    Pmcr,
    CntenSet,
    CntenClr,
    IntenSet,
    IntenClr,
    OvsSet,
    OvsClr,
    Swinc,
    Selr,
    Ceid(u8),
    Mmir,
    Ccntr,
    Ccfiltr,
    Evcntr(u8),
    Evtyper(u8),
    Xevcntr,
    Xevtyper,
    Userenr,
    /// The host's instruction counter, FEAT_PMUv3p9 and snapshot/EBEP registers: not given to
    /// guests.
    Refused,
}

fn classify(e: Encoding) -> Option<Reg> {
    let is = |enc: Encoding| enc == e;
    Some(if is(PMCR_EL0::ENCODING) {
        Reg::Pmcr
    } else if is(PMCNTENSET_EL0::ENCODING) {
        Reg::CntenSet
    } else if is(PMCNTENCLR_EL0::ENCODING) {
        Reg::CntenClr
    } else if is(PMINTENSET_EL1::ENCODING) {
        Reg::IntenSet
    } else if is(PMINTENCLR_EL1::ENCODING) {
        Reg::IntenClr
    } else if is(PMOVSSET_EL0::ENCODING) {
        Reg::OvsSet
    } else if is(PMOVSCLR_EL0::ENCODING) {
        Reg::OvsClr
    } else if is(PMSWINC_EL0::ENCODING) {
        Reg::Swinc
    } else if is(PMSELR_EL0::ENCODING) {
        Reg::Selr
    } else if is(PMCEID0_EL0::ENCODING) {
        Reg::Ceid(0)
    } else if is(PMCEID1_EL0::ENCODING) {
        Reg::Ceid(1)
    } else if is(PMMIR_EL1::ENCODING) {
        Reg::Mmir
    } else if is(PMCCNTR_EL0::ENCODING) {
        Reg::Ccntr
    } else if is(PMCCFILTR_EL0::ENCODING) {
        Reg::Ccfiltr
    } else if is(PMXEVCNTR_EL0::ENCODING) {
        Reg::Xevcntr
    } else if is(PMXEVTYPER_EL0::ENCODING) {
        Reg::Xevtyper
    } else if is(PMUSERENR_EL0::ENCODING) {
        Reg::Userenr
    } else if let Some(n) = PMEVCNTRn_EL0::index_of(e) {
        Reg::Evcntr(n as u8)
    } else if let Some(n) = PMEVTYPERn_EL0::index_of(e) {
        Reg::Evtyper(n as u8)
    } else if [
        PMICNTR_EL0::ENCODING,
        PMICFILTR_EL0::ENCODING,
        PMZR_EL0::ENCODING,
        PMUACR_EL1::ENCODING,
        PMSSCR_EL1::ENCODING,
        PMECR_EL1::ENCODING,
        PMIAR_EL1::ENCODING,
    ]
    .contains(&e)
    {
        Reg::Refused
    } else {
        return None;
    })
}

/// PMCR_EL0.N's position.
const PMCR_N: u64 = PmcrEl0::from_bits(0).with_n(0x1f).to_bits();

impl VcpuPmu {
    /// Emulates a trapped PMU access of this vCPU, which must be loaded on `cpu`. `value` is
    /// the guest's Rt for a write (ignored for a read). The first access of an untouched vCPU
    /// claims its PMU: its state is loaded and (in direct mode) its traps relaxed. Changes to
    /// the overflow status update the virtual interrupt through `irq` (with forwarded
    /// overflow, PMOVSSET/CLR_EL0 act on the hardware's flags, and a flag set with its
    /// interrupt enabled raises the physical interrupt, for the hypervisor to take and
    /// [`crate::PcpuPmu::handle_overflow`] to forward).
    pub fn handle_trap<B: Backend, I: VirtualIrq>(
        &mut self,
        cpu: &mut PcpuPmu,
        filter: &EventFilter,
        b: &mut B,
        irq: &mut I,
        trap: SysRegTrap,
        value: u64,
    ) -> Handled {
        let Some(reg) = classify(trap.encoding) else {
            return Handled {
                emulation: Emulation::NotPmu,
                traps_changed: false,
            };
        };
        if !self.is_loaded_on(cpu) {
            // A trap of a vCPU that is not running here is a hypervisor bug; refuse it rather
            // than touch another vCPU's hardware state.
            return Handled {
                emulation: Emulation::Undefined,
                traps_changed: false,
            };
        }
        let traps_changed = self.ownership() == Ownership::Untouched;
        self.claim(cpu, filter, b);
        let emulation = if trap.is_read {
            self.emulate_read(reg, filter, cpu, b)
        } else {
            // The controls' hardware values change behind the shadow's back.
            if matches!(reg, Reg::Pmcr | Reg::Selr | Reg::Userenr) {
                cpu.forget_controls();
            }
            self.emulate_write(reg, value, trap.el0, filter, b)
        };
        if matches!(
            reg,
            Reg::OvsSet | Reg::OvsClr | Reg::IntenSet | Reg::IntenClr | Reg::Pmcr | Reg::Swinc
        ) {
            self.update_irq(b, irq);
        }
        Handled {
            emulation,
            traps_changed,
        }
    }

    /// PMSELR_EL0.SEL as the guest set it (the hardware's: PMSELR is the guest's own).
    fn selected<B: Backend>(b: &mut B) -> u8 {
        b.read::<PMSELR_EL0>().sel()
    }

    fn emulate_read<B: Backend>(
        &mut self,
        reg: Reg,
        filter: &EventFilter,
        cpu: &mut PcpuPmu,
        b: &mut B,
    ) -> Emulation {
        let mask = self.mask();
        let n = self.counters();
        let read = |v: u64| Emulation::Read(v);
        match reg {
            // N reads as the guest's counter count, whatever EL2 sees.
            Reg::Pmcr => read(b.read::<PMCR_EL0>().to_bits() & !PMCR_N | (u64::from(n) << 11)),
            Reg::CntenSet | Reg::CntenClr => read(b.read::<PMCNTENSET_EL0>().to_bits() & mask),
            Reg::IntenSet | Reg::IntenClr => read(b.read::<PMINTENSET_EL1>().to_bits() & mask),
            // Forwarded overflow: the hardware's flags are the guest's.
            Reg::OvsSet | Reg::OvsClr if self.overflow_forwarded() => {
                read(b.read::<PMOVSSET_EL0>().to_bits() & mask)
            }
            Reg::OvsSet | Reg::OvsClr => {
                // Fold what the hardware has set since (flags of counters whose interrupts are
                // off never raised one), so the guest sees every overflow once.
                let fresh = cpu.take_guest_overflow(b, mask);
                let regs = self.regs_mut();
                regs.pmovs |= fresh;
                read(regs.pmovs & mask)
            }
            Reg::Selr => read(b.read::<PMSELR_EL0>().to_bits()),
            Reg::Ceid(i) => read(common_events(filter, b, i)),
            Reg::Mmir => read(0),
            Reg::Ccntr => read(b.read::<PMCCNTR_EL0>().to_bits()),
            Reg::Ccfiltr => read(self.regs().pmccfiltr),
            Reg::Evcntr(i) if i < n => {
                read(PMEVCNTRn_EL0::read(b, usize::from(i)).map_or(0, |v| v.to_bits()))
            }
            Reg::Evtyper(i) if i < n => read(self.regs().pmevtyper[usize::from(i)]),
            Reg::Xevcntr => match Self::selected(b) {
                i if i < n => {
                    read(PMEVCNTRn_EL0::read(b, usize::from(i)).map_or(0, |v| v.to_bits()))
                }
                _ => Emulation::Undefined,
            },
            Reg::Xevtyper => match Self::selected(b) {
                31 => read(self.regs().pmccfiltr),
                i if i < n => read(self.regs().pmevtyper[usize::from(i)]),
                _ => Emulation::Undefined,
            },
            Reg::Userenr => read(b.read::<PMUSERENR_EL0>().to_bits()),
            Reg::Swinc | Reg::Evcntr(_) | Reg::Evtyper(_) | Reg::Refused => Emulation::Undefined,
        }
    }

    fn emulate_write<B: Backend>(
        &mut self,
        reg: Reg,
        value: u64,
        el0: bool,
        filter: &EventFilter,
        b: &mut B,
    ) -> Emulation {
        let mask = self.mask();
        let n = self.counters();
        let bits = PmuCounters::from_bits(value & mask);
        let forwarded = self.overflow_forwarded();
        // SAFETY (every write below): only this guest's counters, enables, selector and
        // controls; counters at or above its HPMN, and the host's, are never written.
        unsafe {
            match reg {
                Reg::Pmcr => {
                    let v = PmcrEl0::from_bits(value);
                    if v.p() {
                        // P resets the guest's event counters only: never the host's.
                        for i in 0..n {
                            PMEVCNTRn_EL0::write(b, usize::from(i), PmevcntrxEl0::from_bits(0));
                        }
                    }
                    if v.c() {
                        b.write::<PMCCNTR_EL0>(PmccntrEl0::from_bits(0));
                    }
                    // Every writable bit but P and C (N is read-only).
                    let control = pmcr_control(self.plan());
                    b.write::<PMCR_EL0>(PmcrEl0::from_bits(value & control));
                }
                Reg::CntenSet if bits.to_bits() != 0 => b.write::<PMCNTENSET_EL0>(bits),
                Reg::CntenClr if bits.to_bits() != 0 => b.write::<PMCNTENCLR_EL0>(bits),
                Reg::IntenSet if bits.to_bits() != 0 => b.write::<PMINTENSET_EL1>(bits),
                Reg::IntenClr if bits.to_bits() != 0 => b.write::<PMINTENCLR_EL1>(bits),
                Reg::CntenSet | Reg::CntenClr | Reg::IntenSet | Reg::IntenClr => {}
                // Forwarded overflow: the hardware's flags are the guest's (setting one may
                // raise the physical interrupt, which is then forwarded).
                Reg::OvsSet if forwarded && bits.to_bits() != 0 => b.write::<PMOVSSET_EL0>(bits),
                Reg::OvsClr if forwarded && bits.to_bits() != 0 => b.write::<PMOVSCLR_EL0>(bits),
                Reg::OvsSet | Reg::OvsClr if forwarded => {}
                Reg::OvsSet => self.regs_mut().pmovs |= value & mask,
                Reg::OvsClr => {
                    let clear = value & mask;
                    self.regs_mut().pmovs &= !clear;
                    // An overflow the hardware still holds (its interrupt off, so not yet
                    // taken) is cleared too, or it would come back at the next fold.
                    if clear != 0 {
                        b.write::<PMOVSCLR_EL0>(PmuCounters::from_bits(clear));
                    }
                }
                // A PMSWINC_EL0 write at EL2 counts at EL2, where guest counters do not: the
                // increment is done here, as the guest's counters would have done it.
                Reg::Swinc => self.software_increment(value & self.event_mask(), el0, b),
                Reg::Selr => b.write::<PMSELR_EL0>(PmselrEl0::from_bits(value)),
                Reg::Ccntr => b.write::<PMCCNTR_EL0>(PmccntrEl0::from_bits(value)),
                Reg::Ccfiltr => self.write_event_type(31, value, filter, b),
                Reg::Evcntr(i) if i < n => {
                    PMEVCNTRn_EL0::write(b, usize::from(i), PmevcntrxEl0::from_bits(value));
                }
                Reg::Evtyper(i) if i < n => self.write_event_type(i, value, filter, b),
                Reg::Xevcntr => match Self::selected(b) {
                    i if i < n => {
                        PMEVCNTRn_EL0::write(b, usize::from(i), PmevcntrxEl0::from_bits(value));
                    }
                    _ => return Emulation::Undefined,
                },
                Reg::Xevtyper => match Self::selected(b) {
                    i if i == 31 || i < n => self.write_event_type(i, value, filter, b),
                    _ => return Emulation::Undefined,
                },
                Reg::Userenr => b.write::<PMUSERENR_EL0>(PmuserenrEl0::from_bits(value)),
                Reg::Ceid(_) | Reg::Mmir | Reg::Evcntr(_) | Reg::Evtyper(_) | Reg::Refused => {
                    return Emulation::Undefined
                }
            }
        }
        Emulation::Written
    }
}

/// Whether a counter with hardware event type `hw` counts at EL0 (`el0`) or EL1, in
/// Non-secure state: U must equal NSU at EL0, P equal NSK at EL1 (NSK and NSU read as 0 where
/// EL3 is not implemented, so U and P alone then).
fn counts_at(hw: PmevtyperxEl0, el0: bool) -> bool {
    if el0 {
        hw.u() == hw.nsu()
    } else {
        hw.p() == hw.nsk()
    }
}

impl VcpuPmu {
    /// A guest's PMSWINC_EL0 write of `inc` (already limited to its event counters), from EL0
    /// or EL1: each selected counter that is enabled (PMCR_EL0.E and PMCNTENSET_EL0) and whose
    /// hardware event type is SW_INCR, not filtered at that level (the event filter's denial
    /// is in those types), counts one; an overflow sets the vCPU's overflow flag (in hardware,
    /// with forwarded overflow), and an odd counter of type CHAIN above an overflowing even one
    /// counts that overflow.
    fn software_increment<B: Backend>(&mut self, inc: u64, el0: bool, b: &mut B) {
        if inc == 0 {
            return;
        }
        let pmcr = b.read::<PMCR_EL0>();
        if !pmcr.e() {
            return;
        }
        let enabled = b.read::<PMCNTENSET_EL0>().to_bits() & self.event_mask();
        let long = self.plan().facts.pmuv3p5() && pmcr.lp();
        let event_mask: u16 = if self.plan().facts.pmuv3p1() {
            0xffff
        } else {
            0x3ff
        };
        let counting = |b: &mut B, i: u8, event: u16| {
            enabled >> i & 1 == 1
                && PMEVTYPERn_EL0::read(b, usize::from(i))
                    .is_some_and(|t| t.evt_count() & event_mask == event && counts_at(t, el0))
        };
        let mut overflows = 0u64;
        for i in counters::event_counters(inc) {
            if counting(b, i, SW_INCR) && increment(b, i, long) {
                overflows |= 1 << i;
            }
        }
        for i in counters::event_counters(overflows) {
            let odd = i + 1;
            if i % 2 == 0
                && odd < self.counters()
                && counting(b, odd, CHAIN)
                && increment(b, odd, long)
            {
                overflows |= 1 << odd;
            }
        }
        if !self.overflow_forwarded() {
            self.regs_mut().pmovs |= overflows;
        } else if overflows != 0 {
            // SAFETY: the guest's own flags, which are in hardware while it is loaded.
            unsafe { b.write::<PMOVSSET_EL0>(PmuCounters::from_bits(overflows)) };
        }
    }
}

/// Adds one to event counter `i`; whether it overflowed (at bit 63 if `long`, else bit 31).
fn increment<B: Backend>(b: &mut B, i: u8, long: bool) -> bool {
    let Some(old) = PMEVCNTRn_EL0::read(b, usize::from(i)).map(|v| v.to_bits()) else {
        return false;
    };
    let overflow = if long {
        old == u64::MAX
    } else {
        old & 0xffff_ffff == 0xffff_ffff
    };
    // SAFETY: one of the guest's own counters. Before FEAT_PMUv3p5 the counter is 32 bits
    // wide and the hardware drops bit 32.
    unsafe {
        PMEVCNTRn_EL0::write(
            b,
            usize::from(i),
            PmevcntrxEl0::from_bits(old.wrapping_add(1)),
        )
    };
    overflow
}

/// The SW_INCR event, counted by PMSWINC_EL0 writes.
const SW_INCR: u16 = 0x00;
/// The CHAIN event: an odd counter counting the overflows of the even one below it.
const CHAIN: u16 = 0x1e;

/// PMCEID0/1_EL0 with the events the filter denies cleared: a guest is not told it can count
/// what it cannot.
fn common_events<B: Backend>(filter: &EventFilter, b: &mut B, which: u8) -> u64 {
    // PMCEID0: events 0x00..0x1f in bits 0..31, 0x4000..0x401f in bits 32..63;
    // PMCEID1: events 0x20..0x3f and 0x4020..0x403f.
    let (raw, base) = if which == 0 {
        (b.read::<PMCEID0_EL0>().to_bits(), 0u16)
    } else {
        (b.read::<PMCEID1_EL0>().to_bits(), 0x20)
    };
    (0..64u16)
        .filter(|&bit| raw & (1 << bit) != 0)
        .filter(|&bit| {
            let event = if bit < 32 {
                base + bit
            } else {
                0x4000 + base + bit - 32
            };
            filter.allows(event)
        })
        .fold(0, |acc, bit| acc | 1 << bit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_trapped_mrs() {
        // MRS x3, PMCR_EL0: EC 0x18, IL, ISS with Rt = 3 and Direction = 1.
        let iss = PMCR_EL0::ENCODING.iss() | 3 << 5 | 1;
        let esr = 0x18 << 26 | 1 << 25 | u64::from(iss);
        let t = SysRegTrap::from_esr(esr).unwrap();
        assert_eq!(t.encoding, PMCR_EL0::ENCODING);
        assert_eq!(t.rt, 3);
        assert!(t.is_read);
        assert!(!t.el0, "ESR_EL2 does not say: EL1 until told");
        assert!(t.at_el0(true).el0);
        assert_eq!(
            SysRegTrap::from_esr(0x16 << 26),
            None,
            "an HVC is not a sysreg trap"
        );
    }

    #[test]
    fn classifies_every_pmu_register() {
        assert_eq!(classify(PMCR_EL0::ENCODING), Some(Reg::Pmcr));
        assert_eq!(
            classify(PMEVTYPERn_EL0::encoding(30).unwrap()),
            Some(Reg::Evtyper(30))
        );
        assert_eq!(
            classify(PMEVCNTRn_EL0::encoding(0).unwrap()),
            Some(Reg::Evcntr(0))
        );
        assert_eq!(classify(PMICNTR_EL0::ENCODING), Some(Reg::Refused));
        assert_eq!(classify(Encoding::new(3, 0, 1, 0, 0)), None);
    }
}
