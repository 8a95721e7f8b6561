//! The event filter: which events a VM's counters may count, applied to the hardware event-type
//! registers. The guest keeps reading back exactly what it wrote; only the hardware copy is
//! changed.

use crate::counters::CPU_CYCLES;
use aarch64_sysregs::pmevtyperx_el0::PmevtyperxEl0;

/// An allow/deny set over the 16-bit event numbers (no allocation: 8 KiB of bits).
#[derive(Clone, PartialEq, Eq)]
pub struct EventFilter {
    allowed: [u64; 1024],
}

impl core::fmt::Debug for EventFilter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let allowed: u32 = self.allowed.iter().map(|w| w.count_ones()).sum();
        write!(f, "EventFilter({allowed} of 65536 events allowed)")
    }
}

impl EventFilter {
    /// Every event allowed.
    pub const fn allow_all() -> EventFilter {
        EventFilter {
            allowed: [u64::MAX; 1024],
        }
    }

    /// Every event denied.
    pub const fn deny_all() -> EventFilter {
        EventFilter { allowed: [0; 1024] }
    }

    /// Allows `event`.
    pub fn allow(&mut self, event: u16) -> &mut Self {
        self.allowed[usize::from(event >> 6)] |= 1 << (event & 63);
        self
    }

    /// Denies `event`.
    pub fn deny(&mut self, event: u16) -> &mut Self {
        self.allowed[usize::from(event >> 6)] &= !(1 << (event & 63));
        self
    }

    /// Whether `event` may be counted.
    pub fn allows(&self, event: u16) -> bool {
        self.allowed[usize::from(event >> 6)] & (1 << (event & 63)) != 0
    }

    /// The hardware value for a guest's `PMEVTYPER<n>_EL0` (`cycle` false) or PMCCFILTR_EL0
    /// (`cycle` true, whose event is CPU_CYCLES) value `guest`:
    /// - NSH cleared: a guest counter never counts at EL2;
    /// - MT cleared (FEAT_MTPMU): never another PE's events either (a sibling thread may be
    ///   running the host or another VM);
    /// - M set to the opposite of P: never at EL3 either (EL3 counts only when M equals P);
    /// - Secure and Realm EL2 bits (SH, RLK, RLU, RLH) cleared: a Non-secure guest has none;
    /// - a denied event gets P and U set and NSK, NSU clear, so it counts at no EL
    ///   (Non-secure EL1 counts when P equals NSK, EL0 when U equals NSU).
    pub fn hardware_type(&self, guest: u64, cycle: bool, event_bits: u32) -> u64 {
        let v = PmevtyperxEl0::from_bits(guest);
        let event = if cycle {
            CPU_CYCLES
        } else {
            // Before FEAT_PMUv3p1 event numbers are 10 bits: a guest's higher bits do not select
            // a different event in hardware, so they must not in the filter either.
            v.evt_count() & ((1u32 << event_bits) - 1) as u16
        };
        let mut hw = v
            .with_nsh(false)
            .with_mt(false)
            .with_sh(false)
            .with_rlk(false)
            .with_rlu(false)
            .with_rlh(false);
        if !self.allows(event) {
            hw = hw.with_p(true).with_u(true).with_nsk(false).with_nsu(false);
        }
        hw = hw.with_m(!hw.p());
        hw.to_bits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INST_RETIRED: u16 = 0x08;

    #[test]
    fn denied_events_count_nowhere_and_guest_counters_never_count_at_el2() {
        let mut f = EventFilter::allow_all();
        f.deny(INST_RETIRED);
        let guest = PmevtyperxEl0::new()
            .with_evt_count(INST_RETIRED)
            .with_nsh(true)
            .to_bits();
        let hw = PmevtyperxEl0::from_bits(f.hardware_type(guest, false, 16));
        assert!(hw.p() && hw.u() && !hw.nsk() && !hw.nsu() && !hw.nsh() && !hw.m());
        let allowed = PmevtyperxEl0::new()
            .with_evt_count(0x11)
            .with_nsh(true)
            .with_u(true);
        let hw = PmevtyperxEl0::from_bits(f.hardware_type(allowed.to_bits(), false, 16));
        assert!(!hw.nsh() && hw.u() && !hw.p() && hw.m());
        assert_eq!(hw.evt_count(), 0x11);
    }

    #[test]
    fn the_cycle_filter_is_judged_as_cpu_cycles() {
        let mut f = EventFilter::allow_all();
        f.deny(CPU_CYCLES);
        let hw = PmevtyperxEl0::from_bits(f.hardware_type(0, true, 16));
        assert!(hw.p() && hw.u());
        assert!(f.allows(0));
        assert!(!EventFilter::deny_all().allows(0xffff));
    }

    #[test]
    fn ten_bit_event_numbers_before_pmuv3p1() {
        let mut f = EventFilter::deny_all();
        f.allow(INST_RETIRED);
        // 0x408 selects event 0x008 on a PMUv3 (10-bit) implementation.
        let guest = PmevtyperxEl0::new().with_evt_count(0x408).to_bits();
        assert!(!PmevtyperxEl0::from_bits(f.hardware_type(guest, false, 10)).p());
        assert!(PmevtyperxEl0::from_bits(f.hardware_type(guest, false, 16)).p());
    }
}
