//! An architectural model of one CPU's PMUv3, for host tests of the partitioned-PMU core.
//!
//! [`CpuPmu`] holds the Performance Monitors state of one CPU with N event counters (0..=31),
//! the cycle counter (index 31), optionally the instruction counter (index 32,
//! FEAT_PMUv3_ICNTR), MDCR_EL2, the debug fine-grained trap registers (HDFGRTR_EL2/HDFGWTR_EL2
//! with FEAT_FGT, HDFGRTR2_EL2/HDFGWTR2_EL2 with FEAT_FGT2) and the ID registers describing
//! them, built from a [`Config`]. It is driven from three sides:
//!
//! - **EL2 software** (the hypervisor core) through [`aarch64_sysregs::Backend`]: it sees the
//!   whole PMU (PMCR_EL0.N is the real N, PMCR_EL0.P resets every event counter). Every access
//!   is counted ([`CpuPmu::reads`], [`CpuPmu::writes`]) and can be logged ([`CpuPmu::log`]).
//! - **The guest** at EL1 or EL0 with EL2 enabled, one `MRS`/`MSR` at a time:
//!   [`CpuPmu::guest_access`] applies the architecture's checks in its order and answers with
//!   the value read, a trap to EL2 with its real ISS, or UNDEFINED.
//! - **The workload**: [`CpuPmu::count`] makes events happen at an exception level, and the
//!   counters that are enabled, allowed and not filtered count them, overflow and raise the
//!   overflow interrupt request ([`CpuPmu::irq_line`]).
//!
//! ```
//! use aarch64_sysregs::{pmcr_el0::PmcrEl0, Backend, MdcrEl2, SysReg, MDCR_EL2, PMCR_EL0};
//! use aarch64_sysregs::{PMCNTENSET_EL0, PMEVCNTRn_EL0};
//! use pmu_model::{Config, CpuPmu, El, GuestAccess, Level};
//!
//! let mut cpu = CpuPmu::new(Config::QEMU_MAX); // 6 counters, PMUv3p5, FEAT_HPMN0, FEAT_FGT
//! // EL2 gives counters 0 and 1 to the guest, untrapped, and enables the cycle counter.
//! let mdcr = MdcrEl2::from_bits(0).with_hpmn(2).with_hpme(true);
//! unsafe {
//!     cpu.write::<MDCR_EL2>(mdcr);
//!     cpu.modify::<PMCR_EL0>(|v| v.with_e(true));
//!     cpu.modify::<PMCNTENSET_EL0>(|v| v.with_c(true));
//! }
//! assert_eq!((cpu.reads, cpu.writes), (2, 3));
//!
//! // The guest reads PMCR_EL0.N as HPMN, and traps on a host counter.
//! let pmcr = cpu.guest_access(El::El1, PMCR_EL0::ENCODING, None);
//! assert!(matches!(pmcr, GuestAccess::Read(v) if PmcrEl0::from_bits(v).n() == 2));
//! let host = PMEVCNTRn_EL0::encoding(4).unwrap();
//! assert_eq!(
//!     cpu.guest_access(El::El1, host, None),
//!     GuestAccess::Trap { iss: host.iss() | 1 }
//! );
//!
//! // 1000 cycles at EL1: the cycle counter (PMCCFILTR_EL0 = 0: EL0 and EL1) counts them.
//! cpu.count(Level::El1, 0x11, 1000);
//! assert_eq!(cpu.cycle_counter(), 1000);
//! ```
//!
//! The model follows the Arm ARM (DDI0487, the register pages of chapter D24.5 and the
//! "Prohibiting event and cycle counting" rules of chapter D11), not QEMU. Where the architecture
//! is CONSTRAINED UNPREDICTABLE the model makes one documented choice and counts the event in
//! [`CpuPmu::constrained_unpredictable`]; where an EL2 access would be UNDEFINED on hardware
//! (a register the configuration does not implement, a counter at or above N) the access reads
//! as zero and is ignored, and [`CpuPmu::el2_undefined`] counts it, so tests can assert that the
//! core never does either.
//!
//! Security state: Non-secure only, EL3 present (so `PMEVTYPER<n>_EL0`.NSK/NSU/M are implemented;
//! [`CpuPmu::set_el3`] removes EL3), SCR_EL3.FGTEn/FGTEn2 = 1, MDCR_EL3 not restricting
//! anything, HCR_EL2.{E2H,TGE} != {1,1} while the guest runs, EL2 using AArch64.
//!
//! Nothing allocates (fixed-size arrays) and nothing panics, whatever the input.

#![no_std]
#![deny(missing_docs)]

mod count;
mod el2;
mod guest;
mod regs;

use aarch64_sysregs::{
    id_aa64dfr0_el1::{DebugVer, Hpmn0, IdAa64dfr0El1, PmuVer},
    id_aa64dfr1_el1::{IdAa64dfr1El1, Pmicntr},
    id_aa64mmfr0_el1::{Fgt, IdAa64mmfr0El1},
    Encoding,
};
use core::fmt;
use regs::*;

/// What the modelled CPU implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// PMCR_EL0.N, the number of event counters: 0..=31 (larger values are taken as 31).
    pub counters: u8,
    /// ID_AA64DFR0_EL1.PMUVer. `NI` or `IMP_DEF` means no PMUv3: every PMU register is then
    /// UNDEFINED and nothing counts.
    pub pmu_ver: PmuVer,
    /// FEAT_HPMN0: MDCR_EL2.HPMN may be 0.
    pub hpmn0: bool,
    /// ID_AA64MMFR0_EL1.FGT: `NI`, `IMP` (FEAT_FGT) or `FGT2` (FEAT_FGT2 too).
    pub fgt: Fgt,
    /// FEAT_PMUv3_ICNTR: PMICNTR_EL0, PMICFILTR_EL0 and the F0 bits.
    pub icntr: bool,
}

impl Config {
    /// QEMU 10's `-cpu max` PMU: 6 counters, PMUv3p5, FEAT_HPMN0, FEAT_FGT, no ICNTR.
    pub const QEMU_MAX: Config = Config {
        counters: 6,
        pmu_ver: PmuVer::V3P5,
        hpmn0: true,
        fgt: Fgt::IMP,
        icntr: false,
    };
}

impl Default for Config {
    fn default() -> Self {
        Config::QEMU_MAX
    }
}

/// The exception level a guest access is made from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum El {
    /// EL0 (under the guest's EL1&0 regime).
    El0,
    /// EL1.
    El1,
}

/// The exception level events happen at (Non-secure).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Level {
    /// EL0.
    El0,
    /// EL1.
    El1,
    /// EL2 (the hypervisor, or a VHE host kernel).
    El2,
}

/// The outcome of a guest `MRS`/`MSR`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GuestAccess {
    /// An `MRS` completed with this value.
    Read(u64),
    /// An `MSR` completed (possibly ignored, for RAZ/WI bits or registers).
    Written,
    /// The access traps to EL2 with EC 0x18; `iss` is its ISS: Op0 bits 21:20, Op2 19:17, Op1
    /// 16:14, CRn 13:10, Rt 9:5 (the model uses 0), CRm 4:1, Direction bit 0 (1 = read).
    Trap {
        /// The ISS of the trap.
        iss: u32,
    },
    /// The instruction is UNDEFINED, or (at EL0) trapped to EL1 by PMUSERENR_EL0: an EL1
    /// matter, not an EL2 one.
    Undefined,
}

/// Which control made the last guest access trap to EL2 ([`CpuPmu::last_trap_cause`]). All
/// of them produce the same exception; this is for diagnosing tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TrapCause {
    /// A fine-grained trap bit (HDFGRTR_EL2/HDFGWTR_EL2, or a clear negative-polarity bit of
    /// HDFGRTR2_EL2/HDFGWTR2_EL2).
    FineGrained,
    /// MDCR_EL2.TPM.
    Tpm,
    /// MDCR_EL2.TPMCR (PMCR_EL0 only).
    Tpmcr,
    /// An event counter at or above MDCR_EL2.HPMN (`PMEVCNTR<n>_EL0`, `PMEVTYPER<n>_EL0`, or
    /// PMXEVCNTR_EL0/PMXEVTYPER_EL0 through PMSELR_EL0.SEL).
    Hpmn,
}

/// The direction of a logged EL2 access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessKind {
    /// `MRS`.
    Read,
    /// `MSR`.
    Write,
}

/// One EL2 register access, as recorded by the access log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Access {
    /// The register.
    pub encoding: Encoding,
    /// Read or write.
    pub kind: AccessKind,
    /// The value read, or the value written (with the register type's RES0/RES1 applied).
    pub value: u64,
    /// The access would be UNDEFINED at EL2 on this configuration (the model made it RAZ/WI).
    pub undefined: bool,
}

impl Access {
    const EMPTY: Access = Access {
        encoding: Encoding::new(0, 0, 0, 0, 0),
        kind: AccessKind::Read,
        value: 0,
        undefined: false,
    };

    /// The register's architectural name, if the register database has it.
    pub fn name(&self) -> Option<&'static str> {
        aarch64_sysregs::name_of(self.encoding)
    }
}

/// How many EL2 accesses the log keeps; later ones are counted in [`CpuPmu::log_dropped`].
pub const LOG_CAPACITY: usize = 256;

/// How many registers outside the PMU (written by EL2, say HCR_EL2) the model remembers.
const OTHER_CAPACITY: usize = 32;

/// The PMU of one CPU. See the crate documentation.
#[derive(Clone)]
pub struct CpuPmu {
    cfg: Config,
    /// PMCR_EL0.N, 0..=31.
    n: u8,
    el3: bool,
    evcntr: [u64; 31],
    evtyper: [u64; 31],
    ccntr: u64,
    ccfiltr: u64,
    icntr: u64,
    icfiltr: u64,
    /// PMCR_EL0's stored control bits (E, D, X, DP, LC, LP, FZO); N is added on reads.
    pmcr: u64,
    cnten: u64,
    inten: u64,
    ovs: u64,
    selr: u64,
    userenr: u64,
    uacr: u64,
    pmceid: [u64; 2],
    pmmir: u64,
    mdcr: u64,
    hdfgrtr: u64,
    hdfgwtr: u64,
    hdfgrtr2: u64,
    hdfgwtr2: u64,
    other_keys: [u16; OTHER_CAPACITY],
    other_values: [u64; OTHER_CAPACITY],
    other_len: usize,
    last_trap: Option<TrapCause>,
    log: [Access; LOG_CAPACITY],
    log_len: usize,
    log_on: bool,
    log_dropped: u64,
    /// System-register reads made by EL2 software through the [`aarch64_sysregs::Backend`]
    /// (or [`CpuPmu::read_encoding`]).
    pub reads: u64,
    /// System-register writes made by EL2 software.
    pub writes: u64,
    /// EL2 accesses that would be UNDEFINED on this configuration (made RAZ/WI by the model).
    pub el2_undefined: u64,
    /// Times the model met a CONSTRAINED UNPREDICTABLE case and made its documented choice:
    /// MDCR_EL2.HPMN set above N (or to 0 without FEAT_HPMN0); without FEAT_FGT, a counter
    /// access at or above N or HPMN, or a PMSELR_EL0.SEL read at or above N.
    pub constrained_unpredictable: u64,
}

/// The default PMCEID0_EL0: SW_INCR, INST_RETIRED, CPU_CYCLES and CHAIN, the events the model
/// gives meaning to.
const DEFAULT_PMCEID0: u64 =
    1 << EVENT_SW_INCR | 1 << EVENT_INST_RETIRED | 1 << EVENT_CPU_CYCLES | 1 << EVENT_CHAIN;

impl CpuPmu {
    /// A CPU just out of reset (see [`CpuPmu::reset`]).
    pub fn new(cfg: Config) -> CpuPmu {
        let mut pmu = CpuPmu {
            cfg,
            n: cfg.counters.min(31),
            el3: true,
            evcntr: [0; 31],
            evtyper: [0; 31],
            ccntr: 0,
            ccfiltr: 0,
            icntr: 0,
            icfiltr: 0,
            pmcr: 0,
            cnten: 0,
            inten: 0,
            ovs: 0,
            selr: 0,
            userenr: 0,
            uacr: 0,
            pmceid: [DEFAULT_PMCEID0, 0],
            pmmir: 0,
            mdcr: 0,
            hdfgrtr: 0,
            hdfgwtr: 0,
            hdfgrtr2: 0,
            hdfgwtr2: 0,
            other_keys: [0; OTHER_CAPACITY],
            other_values: [0; OTHER_CAPACITY],
            other_len: 0,
            last_trap: None,
            log: [Access::EMPTY; LOG_CAPACITY],
            log_len: 0,
            log_on: false,
            log_dropped: 0,
            reads: 0,
            writes: 0,
            el2_undefined: 0,
            constrained_unpredictable: 0,
        };
        pmu.reset();
        pmu
    }

    /// Puts the registers in their reset state: MDCR_EL2.HPMN = N (its architectural reset
    /// value) and every other field the model holds zero (the architecture leaves most of them
    /// UNKNOWN; PMCR_EL0.E and the F0 bits reset to 0, and the negative-polarity FGT2 bits to
    /// 0, their value when EL2 is the highest exception level). PMCEID0/1_EL0 and PMMIR_EL1
    /// keep their values; the statistics and the log are untouched.
    pub fn reset(&mut self) {
        self.evcntr = [0; 31];
        self.evtyper = [0; 31];
        self.ccntr = 0;
        self.ccfiltr = 0;
        self.icntr = 0;
        self.icfiltr = 0;
        self.pmcr = 0;
        self.cnten = 0;
        self.inten = 0;
        self.ovs = 0;
        self.selr = 0;
        self.userenr = 0;
        self.uacr = 0;
        self.mdcr = u64::from(self.n);
        self.hdfgrtr = 0;
        self.hdfgwtr = 0;
        self.hdfgrtr2 = 0;
        self.hdfgwtr2 = 0;
        self.other_len = 0;
        self.last_trap = None;
    }

    /// Whether EL3 is implemented (default true). Without it `PMEVTYPER<n>_EL0`.{NSK, NSU, M}
    /// (and those of PMCCFILTR_EL0/PMICFILTR_EL0) are RES0 and do not filter.
    pub fn set_el3(&mut self, implemented: bool) {
        self.el3 = implemented;
    }

    /// The configuration.
    pub fn config(&self) -> Config {
        self.cfg
    }

    /// N, the number of event counters.
    pub fn counters(&self) -> u8 {
        self.n
    }

    /// The Effective value of MDCR_EL2.HPMN: the number of event counters in the first range
    /// (accessible from EL1/EL0, enabled by PMCR_EL0.E). A value above N, or 0 without
    /// FEAT_HPMN0, is CONSTRAINED UNPREDICTABLE ("behaves as if HPMN had an UNKNOWN non-zero
    /// value not above N", Arm ARM as remembered): the model takes N, the choice that gives
    /// the guest the most, so that a core relying on such a value shows up in isolation tests.
    pub fn hpmn(&self) -> u8 {
        let h = (self.mdcr & MDCR_HPMN) as u8;
        if self.hpmn_unpredictable() {
            self.n
        } else {
            h
        }
    }

    /// Whether MDCR_EL2.HPMN holds a CONSTRAINED UNPREDICTABLE value.
    pub fn hpmn_unpredictable(&self) -> bool {
        let h = (self.mdcr & MDCR_HPMN) as u8;
        h > self.n || (h == 0 && !self.cfg.hpmn0)
    }

    // ---- Raw state, without counting or logging an access ----

    /// Event counter `n` (0 if not implemented).
    pub fn counter(&self, n: usize) -> u64 {
        if n < usize::from(self.n) {
            self.evcntr.get(n).copied().unwrap_or(0)
        } else {
            0
        }
    }

    /// Sets event counter `n` (ignored if not implemented; cut to 32 bits before PMUv3p5).
    pub fn set_counter(&mut self, n: usize, value: u64) {
        let width = self.counter_width_mask();
        if n < usize::from(self.n) {
            if let Some(c) = self.evcntr.get_mut(n) {
                *c = value & width;
            }
        }
    }

    /// `PMEVTYPER<n>_EL0` (0 if not implemented).
    pub fn evtyper(&self, n: usize) -> u64 {
        if n < usize::from(self.n) {
            self.evtyper.get(n).copied().unwrap_or(0)
        } else {
            0
        }
    }

    /// PMCCNTR_EL0.
    pub fn cycle_counter(&self) -> u64 {
        self.ccntr
    }

    /// Sets PMCCNTR_EL0.
    pub fn set_cycle_counter(&mut self, value: u64) {
        self.ccntr = value;
    }

    /// PMCCFILTR_EL0.
    pub fn ccfiltr(&self) -> u64 {
        self.ccfiltr
    }

    /// PMICNTR_EL0 (0 without FEAT_PMUv3_ICNTR).
    pub fn instruction_counter(&self) -> u64 {
        if self.cfg.icntr {
            self.icntr
        } else {
            0
        }
    }

    /// Sets PMICNTR_EL0 (ignored without FEAT_PMUv3_ICNTR).
    pub fn set_instruction_counter(&mut self, value: u64) {
        if self.cfg.icntr {
            self.icntr = value;
        }
    }

    /// PMICFILTR_EL0 as read (evtCount reads as INST_RETIRED).
    pub fn icfiltr(&self) -> u64 {
        if self.cfg.icntr {
            self.icfiltr | u64::from(EVENT_INST_RETIRED)
        } else {
            0
        }
    }

    /// PMCR_EL0 as EL2 reads it: N is the real number of counters, IMP and IDCODE read as 0
    /// (identify the PE by MIDR_EL1), P and C as 0 (write-only).
    pub fn pmcr(&self) -> u64 {
        self.pmcr | u64::from(self.n) << PMCR_N_SHIFT
    }

    /// PMCNTENSET_EL0.
    pub fn pmcnten(&self) -> u64 {
        self.cnten
    }

    /// PMINTENSET_EL1.
    pub fn pminten(&self) -> u64 {
        self.inten
    }

    /// PMOVSSET_EL0: the overflow flags.
    pub fn pmovs(&self) -> u64 {
        self.ovs
    }

    /// Sets the overflow flags (implemented bits only).
    pub fn set_pmovs(&mut self, value: u64) {
        self.ovs = value & self.impl_mask();
    }

    /// PMSELR_EL0.
    pub fn pmselr(&self) -> u64 {
        self.selr
    }

    /// PMUSERENR_EL0.
    pub fn pmuserenr(&self) -> u64 {
        self.userenr
    }

    /// PMUACR_EL1 (FEAT_PMUv3p9).
    pub fn pmuacr(&self) -> u64 {
        self.uacr
    }

    /// MDCR_EL2 as written (HPMN as written, see [`CpuPmu::hpmn`] for its Effective value).
    pub fn mdcr(&self) -> u64 {
        self.mdcr
    }

    /// Sets MDCR_EL2 (fields the configuration does not implement are RES0).
    pub fn set_mdcr(&mut self, value: u64) {
        self.mdcr = value & self.mdcr_mask();
    }

    /// HDFGRTR_EL2.
    pub fn hdfgrtr(&self) -> u64 {
        self.hdfgrtr
    }

    /// HDFGWTR_EL2.
    pub fn hdfgwtr(&self) -> u64 {
        self.hdfgwtr
    }

    /// HDFGRTR2_EL2.
    pub fn hdfgrtr2(&self) -> u64 {
        self.hdfgrtr2
    }

    /// HDFGWTR2_EL2.
    pub fn hdfgwtr2(&self) -> u64 {
        self.hdfgwtr2
    }

    /// Sets PMCEID0_EL0 (`which` 0) or PMCEID1_EL0 (`which` 1), read-only to software.
    pub fn set_pmceid(&mut self, which: usize, value: u64) {
        if let Some(r) = self.pmceid.get_mut(which) {
            *r = value;
        }
    }

    /// Sets PMMIR_EL1 (read-only to software; 0 by default).
    pub fn set_pmmir(&mut self, value: u64) {
        self.pmmir = value;
    }

    /// Which control made the last [`CpuPmu::guest_access`] trap to EL2 (None if it did not).
    pub fn last_trap_cause(&self) -> Option<TrapCause> {
        self.last_trap
    }

    // ---- The access log ----

    /// Turns the log of EL2 accesses on or off (off by default).
    pub fn set_logging(&mut self, on: bool) {
        self.log_on = on;
    }

    /// The EL2 accesses logged since the log was last cleared, oldest first.
    pub fn log(&self) -> &[Access] {
        self.log.get(..self.log_len).unwrap_or(&[])
    }

    /// Empties the log.
    pub fn clear_log(&mut self) {
        self.log_len = 0;
        self.log_dropped = 0;
    }

    /// Accesses not logged because the log was full.
    pub fn log_dropped(&self) -> u64 {
        self.log_dropped
    }

    /// Zeroes [`CpuPmu::reads`], [`CpuPmu::writes`], [`CpuPmu::el2_undefined`] and
    /// [`CpuPmu::constrained_unpredictable`].
    pub fn clear_stats(&mut self) {
        self.reads = 0;
        self.writes = 0;
        self.el2_undefined = 0;
        self.constrained_unpredictable = 0;
    }

    fn record(&mut self, encoding: Encoding, kind: AccessKind, value: u64, undefined: bool) {
        if !self.log_on {
            return;
        }
        match self.log.get_mut(self.log_len) {
            Some(slot) => {
                *slot = Access {
                    encoding,
                    kind,
                    value,
                    undefined,
                };
                self.log_len += 1;
            }
            None => self.log_dropped = self.log_dropped.saturating_add(1),
        }
    }

    // ---- Features and masks ----

    fn pmuv3(&self) -> bool {
        self.cfg.pmu_ver.is_implemented()
    }

    fn v3p1(&self) -> bool {
        self.cfg.pmu_ver.at_least(PmuVer::V3P1)
    }

    fn v3p4(&self) -> bool {
        self.cfg.pmu_ver.at_least(PmuVer::V3P4)
    }

    fn v3p5(&self) -> bool {
        self.cfg.pmu_ver.at_least(PmuVer::V3P5)
    }

    fn v3p7(&self) -> bool {
        self.cfg.pmu_ver.at_least(PmuVer::V3P7)
    }

    fn v3p9(&self) -> bool {
        self.cfg.pmu_ver.at_least(PmuVer::V3P9)
    }

    fn has_fgt(&self) -> bool {
        self.cfg.fgt.at_least(Fgt::IMP)
    }

    fn has_fgt2(&self) -> bool {
        self.cfg.fgt.at_least(Fgt::FGT2)
    }

    /// PMUSERENR_EL0.UEN's Effective value (FEAT_PMUv3p9).
    fn uen(&self) -> bool {
        self.v3p9() && self.userenr & USERENR_UEN != 0
    }

    /// The bits of the PMU_COUNTERS registers that are implemented.
    fn impl_mask(&self) -> u64 {
        low_mask(self.n) | C_BIT | if self.cfg.icntr { F0_BIT } else { 0 }
    }

    /// Event counters are 64-bit with FEAT_PMUv3p5, 32-bit (bits 63:32 RES0) before.
    fn counter_width_mask(&self) -> u64 {
        if self.v3p5() {
            u64::MAX
        } else {
            0xffff_ffff
        }
    }

    /// PMCR_EL0's writable bits. D is stored but has no effect (the model does not divide the
    /// cycle count); X is stored (no export bus is modelled); DP exists with EL3, or with
    /// PMUv3p1 and EL2; LP with PMUv3p5; FZO with PMUv3p7. LC is writable (AArch32 is taken
    /// as implemented; without it LC is RES1).
    fn pmcr_mask(&self) -> u64 {
        let mut m = PMCR_E | PMCR_D | PMCR_X | PMCR_LC;
        if self.el3 || self.v3p1() {
            m |= PMCR_DP;
        }
        if self.v3p5() {
            m |= PMCR_LP;
        }
        if self.v3p7() {
            m |= PMCR_FZO;
        }
        m
    }

    /// MDCR_EL2's implemented bits: the PMU fields of the configured PMU version and the
    /// debug/SPE/trace controls (stored only). Fields of features not modelled (MTPMU,
    /// PMUv3_SS, SPEv1p2, EBEP, SPMU, ...) are RES0.
    fn mdcr_mask(&self) -> u64 {
        let mut m = MDCR_HPMN | MDCR_TPMCR | MDCR_TPM | MDCR_HPME | MDCR_DEBUG;
        if self.v3p1() {
            m |= MDCR_HPMD;
        }
        if self.v3p5() {
            m |= MDCR_HCCD | MDCR_HLP;
        }
        if self.v3p7() {
            m |= MDCR_HPMFZO;
        }
        m
    }

    /// The exception-level filter bits of `PMEVTYPER<n>_EL0`/PMCCFILTR_EL0/PMICFILTR_EL0 that
    /// exist (Non-secure; NSK, NSU and M only with EL3).
    fn filter_mask(&self) -> u64 {
        let mut m = FILT_P | FILT_U | FILT_NSH;
        if self.el3 {
            m |= FILT_NSK | FILT_NSU | FILT_M;
        }
        m
    }

    /// `PMEVTYPER<n>_EL0`'s writable bits: the filters and evtCount (16 bits from PMUv3p1, 10
    /// before). Threshold, MT, SH, Realm and SVE fields are not implemented (RES0).
    fn evtyper_mask(&self) -> u64 {
        self.filter_mask() | if self.v3p1() { 0xffff } else { 0x3ff }
    }

    /// PMUSERENR_EL0's writable bits.
    fn userenr_mask(&self) -> u64 {
        let mut m = USERENR_EN | USERENR_SW | USERENR_CR | USERENR_ER;
        if self.v3p9() {
            m |= USERENR_UEN | USERENR_TID;
        }
        if self.cfg.icntr {
            m |= USERENR_IR;
        }
        m
    }

    fn id_dfr0(&self) -> u64 {
        IdAa64dfr0El1::new()
            .with_debug_ver(DebugVer::V8P4)
            .with_pmu_ver(self.cfg.pmu_ver)
            .with_hpmn0(if self.cfg.hpmn0 {
                Hpmn0::IMP
            } else {
                Hpmn0::NI
            })
            .to_bits()
    }

    fn id_dfr1(&self) -> u64 {
        IdAa64dfr1El1::new()
            .with_pmicntr(if self.cfg.icntr {
                Pmicntr::IMP
            } else {
                Pmicntr::NI
            })
            .to_bits()
    }

    fn id_mmfr0(&self) -> u64 {
        IdAa64mmfr0El1::new().with_fgt(self.cfg.fgt).to_bits()
    }

    // ---- Operations shared by EL2 and guest accesses ----

    /// PMCR_EL0 as read with `n` in N.
    fn pmcr_read(&self, n: u8) -> u64 {
        self.pmcr | u64::from(n) << PMCR_N_SHIFT
    }

    /// A write of PMCR_EL0: P resets event counters 0..`reset_upto`-1 (all 64 bits, whatever
    /// LP/HLP say), C resets PMCCNTR_EL0; neither touches the overflow flags nor PMICNTR_EL0.
    fn pmcr_write(&mut self, value: u64, reset_upto: u8) {
        self.pmcr = value & self.pmcr_mask();
        if value & PMCR_P != 0 {
            let upto = usize::from(reset_upto.min(self.n));
            for c in self.evcntr.iter_mut().take(upto) {
                *c = 0;
            }
        }
        if value & PMCR_C != 0 {
            self.ccntr = 0;
        }
    }

    /// PMZR_EL0: zero the counters whose bits are set in `bits` (already masked to what the
    /// accessing level may zero).
    fn zero_counters(&mut self, bits: u64) {
        for (i, c) in self.evcntr.iter_mut().enumerate() {
            if bits >> i & 1 == 1 {
                *c = 0;
            }
        }
        if bits & C_BIT != 0 {
            self.ccntr = 0;
        }
        if bits & F0_BIT != 0 {
            self.icntr = 0;
        }
    }

    fn other_get(&self, key: u16) -> u64 {
        self.other_keys
            .iter()
            .take(self.other_len)
            .position(|&k| k == key)
            .and_then(|i| self.other_values.get(i).copied())
            .unwrap_or(0)
    }

    fn other_set(&mut self, key: u16, value: u64) -> bool {
        let len = self.other_len.min(OTHER_CAPACITY);
        if let Some(i) = self.other_keys.iter().take(len).position(|&k| k == key) {
            if let Some(v) = self.other_values.get_mut(i) {
                *v = value;
            }
            return true;
        }
        match (self.other_keys.get_mut(len), self.other_values.get_mut(len)) {
            (Some(k), Some(v)) => {
                *k = key;
                *v = value;
                self.other_len = len + 1;
                true
            }
            _ => false,
        }
    }
}

impl fmt::Debug for CpuPmu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CpuPmu")
            .field("cfg", &self.cfg)
            .field("pmcr", &format_args!("{:#x}", self.pmcr()))
            .field("mdcr", &format_args!("{:#x}", self.mdcr))
            .field("cnten", &format_args!("{:#x}", self.cnten))
            .field("inten", &format_args!("{:#x}", self.inten))
            .field("ovs", &format_args!("{:#x}", self.ovs))
            .field(
                "evcntr",
                &self.evcntr.get(..usize::from(self.n)).unwrap_or(&[]),
            )
            .field("ccntr", &self.ccntr)
            .field("reads", &self.reads)
            .field("writes", &self.writes)
            .field("el2_undefined", &self.el2_undefined)
            .field("constrained_unpredictable", &self.constrained_unpredictable)
            .field("logged", &self.log_len)
            .finish_non_exhaustive()
    }
}
