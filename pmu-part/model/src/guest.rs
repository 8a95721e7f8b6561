//! Accesses by the guest, at EL1 or EL0 with EL2 enabled.
//!
//! See [`CpuPmu::guest_access`] for the checks and their order.

use crate::regs::*;
use crate::{CpuPmu, El, GuestAccess, Level, TrapCause};
use aarch64_sysregs::Encoding;

/// The PMUSERENR_EL0 rule for an EL0 access.
#[derive(Clone, Copy)]
enum El0Rule {
    /// UNDEFINED at EL0.
    Undef,
    /// Always permitted (MRS PMUSERENR_EL0).
    Any,
    /// EN (or UEN).
    En,
    /// EN or ER (or UEN): event counter reads, PMSELR_EL0.
    EnOrEr,
    /// EN or CR (or UEN): PMCCNTR_EL0 reads.
    EnOrCr,
    /// EN or SW (or UEN): PMSWINC_EL0.
    EnOrSw,
    /// PMCR_EL0: EN, and not UEN ("EL0 accesses to PMCR_EL0 are trapped" when UEN is 1).
    Pmcr,
    /// PMICNTR_EL0/PMICFILTR_EL0: UEN only.
    Uen,
    /// `PMCEID<n>_EL0`: EN (or UEN), and not TID.
    Pmceid,
}

/// The fine-grained trap bit of an access.
#[derive(Clone, Copy)]
enum FgtBit {
    None,
    /// HDFGRTR_EL2 (read) or HDFGWTR_EL2 (write) bit, positive polarity.
    Pos(u8),
    /// HDFGRTR2_EL2 (read) or HDFGWTR2_EL2 (write) bit, negative polarity.
    Neg(u8),
}

/// What the pseudocode checks for one register and direction.
#[derive(Clone, Copy)]
struct Rule {
    el0: El0Rule,
    fgt: FgtBit,
    tpm: bool,
    tpmcr: bool,
    /// The event counter the access reaches, checked against N and HPMN.
    index: Option<usize>,
}

const fn pmu(el0: El0Rule, fgt: FgtBit, index: Option<usize>) -> Option<Rule> {
    Some(Rule {
        el0,
        fgt,
        tpm: true,
        tpmcr: false,
        index,
    })
}

impl CpuPmu {
    /// An `MRS` (`write` None) or `MSR` (`write` Some(value)) of the register with `encoding`,
    /// executed by the guest at `el` with EL2 enabled (HCR_EL2.{E2H,TGE} != {1,1}).
    ///
    /// The access goes through the checks of its register's access pseudocode in the Arm ARM
    /// (DDI0487 D24.5, "Accessing `<register>`"), in their order:
    ///
    /// 1. the register exists in this configuration and in this direction, else UNDEFINED (EL2
    ///    registers are UNDEFINED from EL1: no FEAT_NV);
    /// 2. an event counter index (the `<n>` of `PMEVCNTR<n>_EL0`/`PMEVTYPER<n>_EL0`, or
    ///    PMSELR_EL0.SEL for PMXEVCNTR_EL0 and, unless SEL is 31, PMXEVTYPER_EL0) at or above N:
    ///    UNDEFINED with FEAT_FGT; CONSTRAINED UNPREDICTABLE without, and the model picks
    ///    UNDEFINED;
    /// 3. at EL0, PMUSERENR_EL0 (EN, and ER/CR/SW where they grant access; UEN with PMUv3p9): a
    ///    denied access traps to EL1 (EC 0x18 at EL1), which the model reports as
    ///    [`GuestAccess::Undefined`]. Registers with no EL0 access (PMINTEN*, PMMIR, PMUACR, MSR
    ///    PMUSERENR) are UNDEFINED;
    /// 4. the fine-grained trap (HDFGRTR_EL2 for reads, HDFGWTR_EL2 for writes, 1 traps; for
    ///    PMICNTR/PMICFILTR/PMUACR/PMZR the FGT2 registers, 0 traps);
    /// 5. MDCR_EL2.TPM;
    /// 6. MDCR_EL2.TPMCR (PMCR_EL0 only);
    /// 7. an event counter index at or above MDCR_EL2.HPMN: trap to EL2 (with FEAT_FGT; without
    ///    it CONSTRAINED UNPREDICTABLE, and the model picks the trap, one of the permitted
    ///    behaviours);
    ///
    /// and then the access happens with the EL1 view of the PMU: PMCR_EL0.N reads as HPMN, the
    /// counter bits at or above HPMN of the PMU_COUNTERS registers are RAZ/WI, PMCR_EL0.P resets
    /// only the first range.
    ///
    /// Steps 4 to 7 all take the same exception (EC 0x18 to EL2, same ISS), so their relative
    /// order is not observable; [`CpuPmu::last_trap_cause`] reports which one fired, in the
    /// pseudocode's order (FGT before TPM, TPM before TPMCR). What is observable is that steps
    /// 2 and 3 come first: an EL0 access PMUSERENR_EL0 denies goes to EL1 even with
    /// MDCR_EL2.TPM set.
    ///
    /// Guest accesses are not counted in [`CpuPmu::reads`]/[`CpuPmu::writes`] and not logged:
    /// those are for EL2 software.
    pub fn guest_access(&mut self, el: El, encoding: Encoding, write: Option<u64>) -> GuestAccess {
        self.last_trap = None;
        let reg = decode(encoding);
        let read = write.is_none();
        let Some(rule) = self.guest_rule(reg, read) else {
            return GuestAccess::Undefined;
        };
        let n = usize::from(self.n);
        if let Some(i) = rule.index {
            if i >= n {
                if !self.has_fgt() {
                    self.unpredictable();
                }
                return GuestAccess::Undefined;
            }
        }
        if el == El::El0 && !self.el0_permitted(rule.el0) {
            return GuestAccess::Undefined;
        }
        let cause = if self.fgt_traps(rule.fgt, read) {
            Some(TrapCause::FineGrained)
        } else if rule.tpm && self.mdcr & MDCR_TPM != 0 {
            Some(TrapCause::Tpm)
        } else if rule.tpmcr && self.mdcr & MDCR_TPMCR != 0 {
            Some(TrapCause::Tpmcr)
        } else if rule.index.is_some_and(|i| i >= usize::from(self.hpmn())) {
            if !self.has_fgt() {
                self.unpredictable();
            }
            Some(TrapCause::Hpmn)
        } else {
            None
        };
        if let Some(cause) = cause {
            self.last_trap = Some(cause);
            return GuestAccess::Trap {
                iss: encoding.iss() | u32::from(read),
            };
        }
        self.guest_perform(el, reg, write)
    }

    fn unpredictable(&mut self) {
        self.constrained_unpredictable = self.constrained_unpredictable.saturating_add(1);
    }

    fn guest_rule(&self, reg: Reg, read: bool) -> Option<Rule> {
        if reg.is_pmu() && !self.pmuv3() {
            return None;
        }
        let sel = self.sel();
        let fgt = FgtBit::Pos;
        let fgt2 = FgtBit::Neg;
        use El0Rule::*;
        match reg {
            Reg::Pmcr => Some(Rule {
                el0: Pmcr,
                // No read trap for PMCR_EL0 in HDFGRTR_EL2: MDCR_EL2.TPMCR does that.
                fgt: if read { FgtBit::None } else { fgt(FGT_PMCR) },
                tpm: true,
                tpmcr: true,
                index: None,
            }),
            Reg::Pmcntenset | Reg::Pmcntenclr => pmu(En, fgt(FGT_PMCNTEN), None),
            Reg::Pmovsset | Reg::Pmovsclr => pmu(En, fgt(FGT_PMOVS), None),
            Reg::Pmintenset | Reg::Pmintenclr => pmu(Undef, fgt(FGT_PMINTEN), None),
            Reg::Pmswinc if !read => pmu(EnOrSw, fgt(FGT_PMSWINC), None),
            Reg::Pmselr => pmu(EnOrEr, fgt(FGT_PMSELR), None),
            Reg::Pmceid(_) if read => pmu(Pmceid, fgt(FGT_PMCEIDN), None),
            Reg::Pmccntr => pmu(if read { EnOrCr } else { En }, fgt(FGT_PMCCNTR), None),
            // PMXEVTYPER_EL0 is trapped by the PMEVTYPERn_EL0 bit whatever SEL is, also when
            // SEL = 31 makes it reach PMCCFILTR_EL0.
            Reg::Pmxevtyper => pmu(En, fgt(FGT_PMEVTYPERN), (sel != 31).then_some(sel)),
            Reg::Pmxevcntr => pmu(
                if read { EnOrEr } else { En },
                fgt(FGT_PMEVCNTRN),
                Some(sel),
            ),
            Reg::Pmzr if !read && self.v3p9() => pmu(En, fgt2(FGT2_N_PMZR), None),
            Reg::Pmuserenr => pmu(if read { Any } else { Undef }, fgt(FGT_PMUSERENR), None),
            Reg::Pmuacr if self.v3p9() => pmu(Undef, fgt2(FGT2_N_PMUACR), None),
            Reg::Pmmir if read && self.v3p4() => pmu(Undef, fgt(FGT_PMMIR), None),
            Reg::Pmicntr if self.cfg.icntr => pmu(Uen, fgt2(FGT2_N_PMICNTR), None),
            Reg::Pmicfiltr if self.cfg.icntr => pmu(Uen, fgt2(FGT2_N_PMICFILTR), None),
            Reg::Pmccfiltr => pmu(En, fgt(FGT_PMCCFILTR), None),
            Reg::Pmevcntr(i) => pmu(if read { EnOrEr } else { En }, fgt(FGT_PMEVCNTRN), Some(i)),
            Reg::Pmevtyper(i) => pmu(En, fgt(FGT_PMEVTYPERN), Some(i)),
            // The ID registers read from EL1 (HCR_EL2.TID3 is not modelled); UNDEFINED at EL0.
            Reg::IdDfr0 | Reg::IdDfr1 | Reg::IdMmfr0 if read => Some(Rule {
                el0: Undef,
                fgt: FgtBit::None,
                tpm: false,
                tpmcr: false,
                index: None,
            }),
            // Write-only read, read-only written, features not implemented, EL2 registers,
            // unknown registers.
            _ => None,
        }
    }

    fn el0_permitted(&self, rule: El0Rule) -> bool {
        let u = self.userenr;
        let en = u & USERENR_EN != 0;
        let uen = self.uen();
        match rule {
            El0Rule::Undef => false,
            El0Rule::Any => true,
            El0Rule::En => en || uen,
            El0Rule::EnOrEr => en || u & USERENR_ER != 0 || uen,
            El0Rule::EnOrCr => en || u & USERENR_CR != 0 || uen,
            El0Rule::EnOrSw => en || u & USERENR_SW != 0 || uen,
            El0Rule::Pmcr => en && !uen,
            El0Rule::Uen => uen,
            El0Rule::Pmceid => (en || uen) && !(self.v3p9() && u & USERENR_TID != 0),
        }
    }

    fn fgt_traps(&self, fgt: FgtBit, read: bool) -> bool {
        match fgt {
            FgtBit::None => false,
            FgtBit::Pos(bit) => {
                let r = if read { self.hdfgrtr } else { self.hdfgwtr };
                self.has_fgt() && r >> bit & 1 == 1
            }
            FgtBit::Neg(bit) => {
                let r = if read { self.hdfgrtr2 } else { self.hdfgwtr2 };
                self.has_fgt2() && r >> bit & 1 == 0
            }
        }
    }

    /// Whether the F0 bits of PMCNTEN*, PMINTEN* and PMOVS* can be read and written from EL1:
    /// with FEAT_FGT2, HDFGRTR2_EL2.nPMICFILTR_EL0 = 0 makes them write-only/RAZ and
    /// HDFGWTR2_EL2.nPMICFILTR_EL0 = 0 read-only (both: RAZ/WI). Arm ARM, PMCNTENSET_EL0.F0.
    fn f0_view(&self) -> (bool, bool) {
        if !self.cfg.icntr {
            return (false, false);
        }
        if !self.has_fgt2() {
            return (true, true);
        }
        (
            self.hdfgrtr2 >> FGT2_N_PMICFILTR & 1 == 1,
            self.hdfgwtr2 >> FGT2_N_PMICFILTR & 1 == 1,
        )
    }

    /// The bits of PMCNTENSET/CLR_EL0, PMOVSSET/CLR_EL0 (and, from EL1, PMINTENSET/CLR_EL1)
    /// the guest can read and write: `P<m>` for m below HPMN ("When m >=
    /// GetNumEventCountersAccessible(), access to this field is RAZ/WI"), C, and F0 as
    /// [`CpuPmu::f0_view`] says. At EL0 F0 is RAZ/WI unless UEN and PMUACR_EL1.F0, and with
    /// UEN each bit is RAZ/WI where PMUACR_EL1 is 0 and read-only where ER (P), CR (C) or IR
    /// (F0) is 1.
    fn bitmask_view(&self, el: El) -> (u64, u64) {
        let base = low_mask(self.hpmn()) | C_BIT;
        let (fr, fw) = self.f0_view();
        let mut r = base | if fr { F0_BIT } else { 0 };
        let mut w = base | if fw { F0_BIT } else { 0 };
        if el == El::El0 {
            if self.uen() {
                r &= self.uacr;
                w &= self.uacr & !self.el0_read_only();
            } else {
                r &= !F0_BIT;
                w &= !F0_BIT;
            }
        }
        (r, w)
    }

    /// With UEN, the counters whose EL0 writes PMUSERENR_EL0.{ER, CR, IR} make ignored.
    fn el0_read_only(&self) -> u64 {
        let u = self.userenr;
        let mut m = 0;
        if u & USERENR_ER != 0 {
            m |= P_MASK;
        }
        if u & USERENR_CR != 0 {
            m |= C_BIT;
        }
        if u & USERENR_IR != 0 {
            m |= F0_BIT;
        }
        m
    }

    /// For an access to one counter (`bit` in PMU_COUNTERS layout) or its type: whether the
    /// access can read and write it. Only EL0 with UEN restricts: PMUACR_EL1 0 makes it RAZ/WI,
    /// ER/CR/IR make writes ignored.
    fn counter_view(&self, el: El, bit: u64) -> (bool, bool) {
        if el == El::El1 || !self.uen() {
            return (true, true);
        }
        let ok = self.uacr & bit != 0;
        (ok, ok && self.el0_read_only() & bit == 0)
    }

    fn guest_perform(&mut self, el: El, reg: Reg, write: Option<u64>) -> GuestAccess {
        use GuestAccess::{Read, Written};
        let level = match el {
            El::El0 => Level::El0,
            El::El1 => Level::El1,
        };
        let h = self.hpmn();
        let (rm, wm) = self.bitmask_view(el);
        match (reg, write) {
            // N reads as the Effective value of HPMN at EL1 and EL0.
            (Reg::Pmcr, None) => Read(self.pmcr_read(h)),
            // P resets the first range only when written from EL1 or EL0.
            (Reg::Pmcr, Some(v)) => {
                self.pmcr_write(v, h);
                Written
            }
            (Reg::Pmcntenset | Reg::Pmcntenclr, None) => Read(self.cnten & rm),
            (Reg::Pmcntenset, Some(v)) => {
                self.cnten |= v & wm;
                Written
            }
            (Reg::Pmcntenclr, Some(v)) => {
                self.cnten &= !(v & wm);
                Written
            }
            (Reg::Pmovsset | Reg::Pmovsclr, None) => Read(self.ovs & rm),
            (Reg::Pmovsset, Some(v)) => {
                self.ovs |= v & wm;
                Written
            }
            (Reg::Pmovsclr, Some(v)) => {
                self.ovs &= !(v & wm);
                Written
            }
            (Reg::Pmintenset | Reg::Pmintenclr, None) => Read(self.inten & rm),
            (Reg::Pmintenset, Some(v)) => {
                self.inten |= v & wm;
                Written
            }
            (Reg::Pmintenclr, Some(v)) => {
                self.inten &= !(v & wm);
                Written
            }
            (Reg::Pmswinc, Some(v)) => {
                let mut mask = low_mask(h);
                // With UEN and SW = 0, PMUACR_EL1 selects the counters EL0 may increment.
                if el == El::El0 && self.uen() && self.userenr & USERENR_SW == 0 {
                    mask &= self.uacr;
                }
                self.software_increment(level, v & mask);
                Written
            }
            (Reg::Pmzr, Some(v)) => {
                let mut mask = low_mask(h) | C_BIT;
                // F0: RAZ/WI when FGT2 traps PMICNTR_EL0 writes (HDFGWTR2_EL2.nPMICNTR_EL0 = 0).
                let f0 = self.cfg.icntr
                    && (!self.has_fgt2() || self.hdfgwtr2 >> FGT2_N_PMICNTR & 1 == 1);
                if f0 {
                    mask |= F0_BIT;
                }
                if el == El::El0 {
                    if self.uen() {
                        mask &= self.uacr & !self.el0_read_only();
                    } else {
                        mask &= !F0_BIT;
                    }
                }
                self.zero_counters(v & mask);
                Written
            }
            (Reg::Pmselr, None) => {
                let sel = self.sel();
                if !self.has_fgt() && sel != 31 && sel >= usize::from(self.n) {
                    // Without FEAT_FGT, SEL at or above N (not 31) reads UNKNOWN: the model
                    // returns what was written.
                    self.unpredictable();
                }
                Read(self.selr)
            }
            (Reg::Pmselr, Some(v)) => {
                self.selr = v & 0x1f;
                Written
            }
            (Reg::Pmceid(i), None) => Read(self.pmceid.get(i).copied().unwrap_or(0)),
            (Reg::Pmccntr, w) => self.guest_cycle_counter(el, w),
            (Reg::Pmxevtyper, w) => match self.sel() {
                31 => self.guest_ccfiltr(el, w),
                s => self.guest_evtyper(el, s, w),
            },
            (Reg::Pmxevcntr, w) => {
                let s = self.sel();
                self.guest_evcntr(el, s, w)
            }
            (Reg::Pmuserenr, None) => Read(self.userenr),
            (Reg::Pmuserenr, Some(v)) => {
                self.userenr = v & self.userenr_mask();
                Written
            }
            (Reg::Pmuacr, w) => {
                // "When m >= GetNumEventCountersAccessible(), access to this field is RAZ/WI".
                let acc = (low_mask(h) | C_BIT | F0_BIT) & self.impl_mask();
                match w {
                    None => Read(self.uacr & acc),
                    Some(v) => {
                        self.uacr = (self.uacr & !acc) | (v & acc);
                        Written
                    }
                }
            }
            (Reg::Pmmir, None) => Read(self.pmmir),
            (Reg::Pmicntr, w) => {
                let (r, wr) = self.counter_view(el, F0_BIT);
                match w {
                    None => Read(if r { self.icntr } else { 0 }),
                    Some(v) => {
                        if wr {
                            self.icntr = v;
                        }
                        Written
                    }
                }
            }
            (Reg::Pmicfiltr, w) => {
                let (r, wr) = self.counter_view(el, F0_BIT);
                match w {
                    None => Read(if r { self.icfiltr() } else { 0 }),
                    Some(v) => {
                        if wr {
                            self.icfiltr = v & self.filter_mask();
                        }
                        Written
                    }
                }
            }
            (Reg::Pmccfiltr, w) => self.guest_ccfiltr(el, w),
            (Reg::Pmevcntr(i), w) => self.guest_evcntr(el, i, w),
            (Reg::Pmevtyper(i), w) => self.guest_evtyper(el, i, w),
            (Reg::IdDfr0, None) => Read(self.id_dfr0()),
            (Reg::IdDfr1, None) => Read(self.id_dfr1()),
            (Reg::IdMmfr0, None) => Read(self.id_mmfr0()),
            // Every other combination was refused by guest_rule.
            _ => GuestAccess::Undefined,
        }
    }

    fn guest_cycle_counter(&mut self, el: El, write: Option<u64>) -> GuestAccess {
        let (r, w) = self.counter_view(el, C_BIT);
        match write {
            None => GuestAccess::Read(if r { self.ccntr } else { 0 }),
            Some(v) => {
                if w {
                    self.ccntr = v;
                }
                GuestAccess::Written
            }
        }
    }

    fn guest_ccfiltr(&mut self, el: El, write: Option<u64>) -> GuestAccess {
        let (r, w) = self.counter_view(el, C_BIT);
        match write {
            None => GuestAccess::Read(if r { self.ccfiltr } else { 0 }),
            Some(v) => {
                if w {
                    self.ccfiltr = v & self.filter_mask();
                }
                GuestAccess::Written
            }
        }
    }

    fn guest_evcntr(&mut self, el: El, i: usize, write: Option<u64>) -> GuestAccess {
        let (r, w) = self.counter_view(el, 1u64 << (i & 31));
        match write {
            None => GuestAccess::Read(if r { self.counter(i) } else { 0 }),
            Some(v) => {
                if w {
                    self.set_counter(i, v);
                }
                GuestAccess::Written
            }
        }
    }

    fn guest_evtyper(&mut self, el: El, i: usize, write: Option<u64>) -> GuestAccess {
        let (r, w) = self.counter_view(el, 1u64 << (i & 31));
        match write {
            None => GuestAccess::Read(if r { self.evtyper(i) } else { 0 }),
            Some(v) => {
                if w {
                    self.set_evtyper(i, v);
                }
                GuestAccess::Written
            }
        }
    }
}
