//! Counting: which counters count an event at an exception level, overflow, and the overflow
//! interrupt request.
//!
//! The rules are those of the Arm ARM's AArch64.CountPMUEvents() and "Prohibiting event and
//! cycle counting" (D11.5), for Non-secure state and not in Debug state:
//!
//! - enable: event counters below HPMN (the first range), PMCCNTR_EL0 and PMICNTR_EL0 by
//!   PMCR_EL0.E; counters from HPMN to N-1 (the second range) by MDCR_EL2.HPME; and each by its
//!   PMCNTENSET_EL0 bit;
//! - filtering by `PMEVTYPER<n>_EL0`/PMCCFILTR_EL0/PMICFILTR_EL0: at EL0 the counter does not
//!   count if U != NSU, at EL1 if P != NSK (NSK/NSU are RES0 without EL3, so then U and P
//!   alone), at EL2 unless NSH is 1;
//! - prohibition at EL2 (FEAT_PMUv3p1): MDCR_EL2.HPMD stops the first-range counters (and
//!   PMICNTR_EL0, which is never reserved for EL2), and the cycle counter if PMCR_EL0.DP is 1;
//!   MDCR_EL2.HCCD (FEAT_PMUv3p5) stops the cycle counter at EL2 whatever DP says;
//! - freezing (FEAT_PMUv3p7): with PMCR_EL0.FZO, the first-range counters and PMICNTR_EL0
//!   stop while a first-range (or F0) overflow flag is set, and PMCCNTR_EL0 too if PMCR_EL0.DP
//!   is 1; with MDCR_EL2.HPMFZO the second range stops while a second-range flag is set;
//! - width: PMCCNTR_EL0 overflows at 32 bits unless PMCR_EL0.LC; event counters are 32-bit
//!   before PMUv3p5, and 64-bit from PMUv3p5 with the overflow at bit 31 or 63 chosen by
//!   PMCR_EL0.LP (first range) or MDCR_EL2.HLP (second range); PMICNTR_EL0 overflows at 64
//!   bits. An overflow sets the counter's PMOVSSET_EL0 bit and the counter wraps.
//!
//! PMCR_EL0.D (count every 64th cycle) is stored but ignored.

use crate::regs::*;
use crate::{CpuPmu, Level};

impl CpuPmu {
    /// `n` occurrences of `event` happen at `level`. Every event counter whose `PMEVTYPER<n>_EL0`
    /// selects `event` and that counts at `level` (see [`CpuPmu::counter_counts`]) adds `n`;
    /// PMCCNTR_EL0 adds `n` for CPU_CYCLES (0x11) and PMICNTR_EL0 for INST_RETIRED (0x08). An
    /// odd counter selecting CHAIN (0x1E) then adds the number of times the even counter below
    /// it overflowed.
    ///
    /// The batch is atomic: whether each counter counts is decided before any of it is added,
    /// so an overflow in the batch does not freeze (FZO/HPMFZO) another counter part-way.
    /// (Whether events at about the time of an overflow are counted is CONSTRAINED
    /// UNPREDICTABLE, D11.5.2; call `count` in smaller steps for finer behaviour.)
    pub fn count(&mut self, level: Level, event: u16, n: u64) {
        self.increment(level, event, n, u64::MAX);
    }

    /// Whether counter `idx` (an event counter below N, 31 for PMCCNTR_EL0, 32 for
    /// PMICNTR_EL0) is enabled and allowed to count at `level` now: enabled, not filtered, not
    /// prohibited and not frozen. The event it counts is not considered.
    pub fn counter_counts(&self, idx: usize, level: Level) -> bool {
        if !self.pmuv3() {
            return false;
        }
        let h = usize::from(self.hpmn());
        let e = self.pmcr & PMCR_E != 0;
        let (enabled, filter, first) = match idx {
            CYCLE => (e, self.ccfiltr, true),
            INSTR if self.cfg.icntr => (e, self.icfiltr, true),
            i if i < usize::from(self.n) => {
                let first = i < h;
                let enable = if first { e } else { self.mdcr & MDCR_HPME != 0 };
                (enable, self.evtyper(i), first)
            }
            _ => return false,
        };
        if !enabled || self.cnten >> idx & 1 == 0 {
            return false;
        }
        if self.filtered(filter, level) {
            return false;
        }
        if level == Level::El2 && self.prohibited_at_el2(idx, first) {
            return false;
        }
        !self.frozen(idx, first)
    }

    /// The overflow interrupt request: some counter has its PMOVSSET_EL0 and PMINTENSET_EL1
    /// bits set and is enabled by the enable of its range: PMCR_EL0.E for the first range,
    /// PMCCNTR_EL0 and PMICNTR_EL0, MDCR_EL2.HPME for the second range.
    pub fn irq_line(&self) -> bool {
        if !self.pmuv3() {
            return false;
        }
        let pending = self.ovs & self.inten & self.impl_mask();
        let h = self.hpmn();
        let first = low_mask(h) | C_BIT | F0_BIT;
        let second = low_mask(self.n) & !low_mask(h);
        (pending & first != 0 && self.pmcr & PMCR_E != 0)
            || (pending & second != 0 && self.mdcr & MDCR_HPME != 0)
    }

    /// A write of `bits` to PMSWINC_EL0 at `level` (already masked to the counters the level
    /// may increment): each selected counter counting SW_INCR counts one event at `level`.
    pub(crate) fn software_increment(&mut self, level: Level, bits: u64) {
        self.increment(level, EVENT_SW_INCR, 1, bits & P_MASK);
    }

    /// `n` events at `level`, for the counters selected by `select` (PMU_COUNTERS layout).
    fn increment(&mut self, level: Level, event: u16, n: u64, select: u64) {
        if n == 0 || !self.pmuv3() {
            return;
        }
        let nc = usize::from(self.n).min(31);
        let mut counts = [false; 33];
        let mut allowed = [false; 31];
        for (i, (c, a)) in counts
            .iter_mut()
            .zip(allowed.iter_mut())
            .enumerate()
            .take(nc)
        {
            *a = self.counter_counts(i, level);
            *c = *a && select >> i & 1 == 1 && self.event_of(i) == event;
        }
        counts[CYCLE] =
            select & C_BIT != 0 && event == EVENT_CPU_CYCLES && self.counter_counts(CYCLE, level);
        counts[INSTR] = select & F0_BIT != 0
            && event == EVENT_INST_RETIRED
            && self.counter_counts(INSTR, level);

        let mut overflows = [0u64; 31];
        for (idx, &c) in counts.iter().enumerate() {
            if c {
                let o = self.add(idx, n);
                if let Some(slot) = overflows.get_mut(idx) {
                    *slot = o;
                }
            }
        }
        // CHAIN: an odd counter counts the overflows of the even counter below it.
        for odd in (1..nc).step_by(2) {
            let k = overflows.get(odd - 1).copied().unwrap_or(0);
            if k > 0
                && allowed.get(odd).copied().unwrap_or(false)
                && self.event_of(odd) == EVENT_CHAIN
            {
                self.add(odd, k);
            }
        }
    }

    /// The event counter `i` counts.
    fn event_of(&self, i: usize) -> u16 {
        (self.evtyper(i) & 0xffff) as u16
    }

    fn filtered(&self, filter: u64, level: Level) -> bool {
        let bit = |m: u64| filter & m != 0;
        match level {
            Level::El0 if self.el3 => bit(FILT_U) != bit(FILT_NSU),
            Level::El0 => bit(FILT_U),
            Level::El1 if self.el3 => bit(FILT_P) != bit(FILT_NSK),
            Level::El1 => bit(FILT_P),
            Level::El2 => !bit(FILT_NSH),
        }
    }

    /// Counting at EL2 prohibited by MDCR_EL2.HPMD/HCCD.
    fn prohibited_at_el2(&self, idx: usize, first: bool) -> bool {
        let hpmd = self.v3p1() && self.mdcr & MDCR_HPMD != 0;
        if idx == CYCLE {
            // HPMD prohibits the cycle counter only through PMCR_EL0.DP; HCCD is "not
            // overridden by PMCR_EL0.DP" (AArch64.CountPMUEvents).
            (hpmd && self.pmcr & PMCR_DP != 0) || (self.v3p5() && self.mdcr & MDCR_HCCD != 0)
        } else {
            // PMICNTR_EL0 is never reserved for EL2, so HPMD stops it like a first-range
            // counter (Arm ARM as remembered: PMUCounterIsHyp() is false for it).
            first && hpmd
        }
    }

    /// Frozen by PMCR_EL0.FZO / MDCR_EL2.HPMFZO (FEAT_PMUv3p7).
    fn frozen(&self, idx: usize, first: bool) -> bool {
        if !self.v3p7() {
            return false;
        }
        let h = self.hpmn();
        let first_flags = low_mask(h) | if self.cfg.icntr { F0_BIT } else { 0 };
        let second_flags = low_mask(self.n) & !low_mask(h);
        let fzo = self.pmcr & PMCR_FZO != 0 && self.ovs & first_flags != 0;
        let hpmfzo = self.mdcr & MDCR_HPMFZO != 0 && self.ovs & second_flags != 0;
        match idx {
            CYCLE => fzo && self.pmcr & PMCR_DP != 0,
            _ if first => fzo,
            _ => hpmfzo,
        }
    }

    /// Adds `n` to counter `idx`; returns how many times it overflowed (and sets its overflow
    /// flag if it did).
    fn add(&mut self, idx: usize, n: u64) -> u64 {
        let wide = match idx {
            CYCLE => self.pmcr & PMCR_LC != 0,
            INSTR => true,
            i if i < usize::from(self.hpmn()) => self.v3p5() && self.pmcr & PMCR_LP != 0,
            _ => self.v3p5() && self.mdcr & MDCR_HLP != 0,
        };
        let old = match idx {
            CYCLE => self.ccntr,
            INSTR => self.icntr,
            i => self.counter(i),
        };
        let (new, overflows) = if wide {
            let (sum, carry) = old.overflowing_add(n);
            (sum, u64::from(carry))
        } else {
            // The overflow is the carry out of bit 31; a 64-bit counter keeps counting above it.
            let low = u128::from(old & 0xffff_ffff) + u128::from(n);
            let carries = (low >> 32) as u64;
            (old.wrapping_add(n) & self.width_of(idx), carries)
        };
        match idx {
            CYCLE => self.ccntr = new,
            INSTR => self.icntr = new,
            i => self.set_counter(i, new),
        }
        if overflows > 0 {
            self.ovs |= 1u64 << (idx & 63);
        }
        overflows
    }

    /// The bits counter `idx` holds.
    fn width_of(&self, idx: usize) -> u64 {
        match idx {
            CYCLE | INSTR => u64::MAX,
            _ => self.counter_width_mask(),
        }
    }
}
