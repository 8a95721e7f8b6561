//! Accesses by EL2 software: the [`Backend`] implementation.
//!
//! At EL2 the whole PMU is accessible: PMCR_EL0.N reads as the real N, every implemented
//! counter can be read and written, PMCR_EL0.P resets every event counter (Arm ARM, PMCR_EL0.P:
//! "all event counters in the second range" are affected when "the PE is executing at EL2").
//! The EL1 traps (MDCR_EL2, the fine-grained traps, PMUSERENR_EL0) do not apply to EL2.

use crate::regs::*;
use crate::{AccessKind, CpuPmu, Level};
use aarch64_sysregs::{write_bits, Backend, Encoding, Readable, RegisterValue, Writable};

/// How an EL2 access went.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// As the architecture says.
    Ok,
    /// UNDEFINED on hardware; the model read zero or ignored the write.
    Undefined,
    /// CONSTRAINED UNPREDICTABLE; the model made its documented choice (for a counter at or
    /// above N, RAZ/WI, one of the permitted behaviours).
    Unpredictable,
}

impl Backend for CpuPmu {
    fn read<R: Readable>(&mut self) -> R::Value {
        R::Value::from_bits(self.read_encoding(R::ENCODING))
    }

    unsafe fn write<R: Writable>(&mut self, value: R::Value) {
        let bits = write_bits(
            value.to_bits(),
            <R::Value as RegisterValue>::RES0,
            <R::Value as RegisterValue>::RES1,
        );
        self.write_encoding(R::ENCODING, bits)
    }
}

impl CpuPmu {
    /// An `MRS` at EL2 of the register with `encoding`, counted in [`CpuPmu::reads`] and
    /// logged like a [`Backend::read`]. Registers the model does not know read as last written
    /// by EL2 (zero if never).
    pub fn read_encoding(&mut self, encoding: Encoding) -> u64 {
        self.reads = self.reads.saturating_add(1);
        let (value, status) = self.el2_read(decode(encoding), encoding);
        self.note(status);
        self.record(
            encoding,
            AccessKind::Read,
            value,
            status == Status::Undefined,
        );
        value
    }

    /// An `MSR` at EL2 of `value` (used as given: no RES0/RES1 masking of the register type)
    /// to the register with `encoding`, counted in [`CpuPmu::writes`] and logged.
    pub fn write_encoding(&mut self, encoding: Encoding, value: u64) {
        self.writes = self.writes.saturating_add(1);
        let status = self.el2_write(decode(encoding), encoding, value);
        self.note(status);
        self.record(
            encoding,
            AccessKind::Write,
            value,
            status == Status::Undefined,
        );
    }

    /// The register with `encoding` as EL2 would read it, without counting, logging or side
    /// effects (0 where an EL2 read would be UNDEFINED).
    pub fn get_raw(&self, encoding: Encoding) -> u64 {
        self.el2_read(decode(encoding), encoding).0
    }

    /// Sets the state behind the register with `encoding` directly, without counting,
    /// logging or side effects: PMCR_EL0.P/C do nothing, a SET or CLR register takes the whole
    /// value (so `set_raw(PMCNTENCLR_EL0, 0)` clears every enable), read-only registers
    /// PMCEID0/1_EL0 and PMMIR_EL1 take it, unimplemented bits are dropped. Returns false
    /// (and changes nothing) for write-only registers, ID registers, registers the
    /// configuration does not implement, and when the table of other registers is full.
    pub fn set_raw(&mut self, encoding: Encoding, value: u64) -> bool {
        let reg = decode(encoding);
        if reg.is_pmu() && !self.pmuv3() {
            return false;
        }
        let n = usize::from(self.n);
        let imp = self.impl_mask();
        match reg {
            Reg::Pmcr => self.pmcr = value & self.pmcr_mask(),
            Reg::Pmcntenset | Reg::Pmcntenclr => self.cnten = value & imp,
            Reg::Pmovsset | Reg::Pmovsclr => self.ovs = value & imp,
            Reg::Pmintenset | Reg::Pmintenclr => self.inten = value & imp,
            Reg::Pmselr => self.selr = value & 0x1f,
            Reg::Pmceid(i) => {
                if let Some(r) = self.pmceid.get_mut(i) {
                    *r = value;
                }
            }
            Reg::Pmccntr => self.ccntr = value,
            Reg::Pmuserenr => self.userenr = value & self.userenr_mask(),
            Reg::Pmuacr if self.v3p9() => self.uacr = value & imp,
            Reg::Pmmir if self.v3p4() => self.pmmir = value,
            Reg::Pmicntr if self.cfg.icntr => self.icntr = value,
            Reg::Pmicfiltr if self.cfg.icntr => self.icfiltr = value & self.filter_mask(),
            Reg::Pmccfiltr => self.ccfiltr = value & self.filter_mask(),
            Reg::Pmevcntr(i) if i < n => self.set_counter(i, value),
            Reg::Pmevtyper(i) if i < n => self.set_evtyper(i, value),
            Reg::Pmxevcntr | Reg::Pmxevtyper => {
                let sel = self.sel();
                match (reg, sel) {
                    (Reg::Pmxevtyper, 31) => self.ccfiltr = value & self.filter_mask(),
                    (Reg::Pmxevtyper, s) if s < n => self.set_evtyper(s, value),
                    (Reg::Pmxevcntr, s) if s < n => self.set_counter(s, value),
                    _ => return false,
                }
            }
            Reg::Mdcr => self.set_mdcr(value),
            Reg::Hdfgrtr if self.has_fgt() => self.hdfgrtr = value,
            Reg::Hdfgwtr if self.has_fgt() => self.hdfgwtr = value,
            Reg::Hdfgrtr2 if self.has_fgt2() => self.hdfgrtr2 = value,
            Reg::Hdfgwtr2 if self.has_fgt2() => self.hdfgwtr2 = value,
            Reg::Other => return self.other_set(encoding.key(), value),
            _ => return false,
        }
        true
    }

    fn note(&mut self, status: Status) {
        match status {
            Status::Ok => {}
            Status::Undefined => self.el2_undefined = self.el2_undefined.saturating_add(1),
            Status::Unpredictable => {
                self.constrained_unpredictable = self.constrained_unpredictable.saturating_add(1)
            }
        }
    }

    /// PMSELR_EL0.SEL.
    pub(crate) fn sel(&self) -> usize {
        (self.selr & 0x1f) as usize
    }

    pub(crate) fn set_evtyper(&mut self, n: usize, value: u64) {
        let mask = self.evtyper_mask();
        if n < usize::from(self.n) {
            if let Some(t) = self.evtyper.get_mut(n) {
                *t = value & mask;
            }
        }
    }

    /// An access to event counter `n` (directly or through PMSELR_EL0) at or above N from
    /// EL2: UNDEFINED with FEAT_FGT, CONSTRAINED UNPREDICTABLE without (Arm ARM, `PMEVCNTR<n>_EL0`
    /// and PMXEVCNTR_EL0: "if m >= GetNumEventCountersSelfHosted() then if FEAT_FGT then
    /// UNDEFINED else ConstrainUnpredictableProcedure").
    fn beyond_n(&self) -> Status {
        if self.has_fgt() {
            Status::Undefined
        } else {
            Status::Unpredictable
        }
    }

    fn el2_read(&self, reg: Reg, encoding: Encoding) -> (u64, Status) {
        if reg.is_pmu() && !self.pmuv3() {
            return (0, Status::Undefined);
        }
        let n = usize::from(self.n);
        let ok = |v: u64| (v, Status::Ok);
        let undef = (0, Status::Undefined);
        match reg {
            Reg::Pmcr => ok(self.pmcr_read(self.n)),
            Reg::Pmcntenset | Reg::Pmcntenclr => ok(self.cnten),
            Reg::Pmovsset | Reg::Pmovsclr => ok(self.ovs),
            Reg::Pmintenset | Reg::Pmintenclr => ok(self.inten),
            // Write-only.
            Reg::Pmswinc | Reg::Pmzr => undef,
            Reg::Pmselr => ok(self.selr),
            Reg::Pmceid(i) => ok(self.pmceid.get(i).copied().unwrap_or(0)),
            Reg::Pmccntr => ok(self.ccntr),
            Reg::Pmxevtyper => match self.sel() {
                31 => ok(self.ccfiltr),
                s if s < n => ok(self.evtyper(s)),
                _ => (0, self.beyond_n()),
            },
            // SEL = 31 is at or above N too: PMXEVCNTR_EL0 never reaches PMCCNTR_EL0.
            Reg::Pmxevcntr => match self.sel() {
                s if s < n => ok(self.counter(s)),
                _ => (0, self.beyond_n()),
            },
            Reg::Pmuserenr => ok(self.userenr),
            Reg::Pmuacr if self.v3p9() => ok(self.uacr),
            Reg::Pmmir if self.v3p4() => ok(self.pmmir),
            Reg::Pmicntr if self.cfg.icntr => ok(self.icntr),
            Reg::Pmicfiltr if self.cfg.icntr => ok(self.icfiltr()),
            Reg::Pmccfiltr => ok(self.ccfiltr),
            Reg::Pmevcntr(i) if i < n => ok(self.counter(i)),
            Reg::Pmevtyper(i) if i < n => ok(self.evtyper(i)),
            Reg::Pmevcntr(_) | Reg::Pmevtyper(_) => (0, self.beyond_n()),
            Reg::Mdcr => ok(self.mdcr),
            Reg::Hdfgrtr if self.has_fgt() => ok(self.hdfgrtr),
            Reg::Hdfgwtr if self.has_fgt() => ok(self.hdfgwtr),
            Reg::Hdfgrtr2 if self.has_fgt2() => ok(self.hdfgrtr2),
            Reg::Hdfgwtr2 if self.has_fgt2() => ok(self.hdfgwtr2),
            Reg::IdDfr0 => ok(self.id_dfr0()),
            Reg::IdDfr1 => ok(self.id_dfr1()),
            Reg::IdMmfr0 => ok(self.id_mmfr0()),
            Reg::Other => ok(self.other_get(encoding.key())),
            // Features not implemented: PMUACR (PMUv3p9), PMMIR (PMUv3p4), PMICNTR/PMICFILTR
            // (ICNTR), the FGT registers, PMSSCR/PMECR/PMIAR.
            _ => undef,
        }
    }

    fn el2_write(&mut self, reg: Reg, encoding: Encoding, value: u64) -> Status {
        if reg.is_pmu() && !self.pmuv3() {
            return Status::Undefined;
        }
        let n = usize::from(self.n);
        let imp = self.impl_mask();
        match reg {
            // At EL2, PMCR_EL0.P resets every event counter, first and second range.
            Reg::Pmcr => self.pmcr_write(value, self.n),
            Reg::Pmcntenset => self.cnten |= value & imp,
            Reg::Pmcntenclr => self.cnten &= !(value & imp),
            Reg::Pmovsset => self.ovs |= value & imp,
            Reg::Pmovsclr => self.ovs &= !(value & imp),
            Reg::Pmintenset => self.inten |= value & imp,
            Reg::Pmintenclr => self.inten &= !(value & imp),
            Reg::Pmswinc => self.software_increment(Level::El2, value & low_mask(self.n)),
            Reg::Pmzr if self.v3p9() => self.zero_counters(value & imp),
            Reg::Pmselr => self.selr = value & 0x1f,
            Reg::Pmccntr => self.ccntr = value,
            Reg::Pmxevtyper => match self.sel() {
                31 => self.ccfiltr = value & self.filter_mask(),
                s if s < n => self.set_evtyper(s, value),
                _ => return self.beyond_n(),
            },
            Reg::Pmxevcntr => match self.sel() {
                s if s < n => self.set_counter(s, value),
                _ => return self.beyond_n(),
            },
            Reg::Pmuserenr => self.userenr = value & self.userenr_mask(),
            Reg::Pmuacr if self.v3p9() => self.uacr = value & imp,
            Reg::Pmicntr if self.cfg.icntr => self.icntr = value,
            Reg::Pmicfiltr if self.cfg.icntr => self.icfiltr = value & self.filter_mask(),
            Reg::Pmccfiltr => self.ccfiltr = value & self.filter_mask(),
            Reg::Pmevcntr(i) if i < n => self.set_counter(i, value),
            Reg::Pmevtyper(i) if i < n => self.set_evtyper(i, value),
            Reg::Pmevcntr(_) | Reg::Pmevtyper(_) => return self.beyond_n(),
            Reg::Mdcr => {
                self.set_mdcr(value);
                if self.hpmn_unpredictable() {
                    return Status::Unpredictable;
                }
            }
            Reg::Hdfgrtr if self.has_fgt() => self.hdfgrtr = value,
            Reg::Hdfgwtr if self.has_fgt() => self.hdfgwtr = value,
            Reg::Hdfgrtr2 if self.has_fgt2() => self.hdfgrtr2 = value,
            Reg::Hdfgwtr2 if self.has_fgt2() => self.hdfgwtr2 = value,
            // A full table drops the write, as RegisterFile does: the model is bounded.
            Reg::Other => {
                let _ = self.other_set(encoding.key(), value);
            }
            // Read-only (PMCEIDn, PMMIR, ID registers) or not implemented.
            _ => return Status::Undefined,
        }
        Status::Ok
    }
}
