//! The counter numbering every PMU bitmask register uses (PMCNTENSET/CLR, PMINTENSET/CLR,
//! PMOVSSET/CLR, PMSWINC, PMZR): bit n for event counter n (0..=30), bit 31 for the cycle
//! counter PMCCNTR_EL0, bit 32 for the instruction counter PMICNTR_EL0.

/// The cycle counter's bit.
pub const CYCLE: u64 = 1 << 31;
/// The instruction counter's bit (FEAT_PMUv3_ICNTR).
pub const INSTRUCTIONS: u64 = 1 << 32;
/// The most event counters a PMU has.
pub const MAX_EVENT_COUNTERS: u8 = 31;
/// The CPU_CYCLES event, which the cycle counter counts.
pub const CPU_CYCLES: u16 = 0x11;

/// Bits `from..to` (event counters `from` to `to - 1`).
pub const fn range(from: u8, to: u8) -> u64 {
    if to <= from {
        0
    } else {
        let high = if to >= 64 { u64::MAX } else { (1u64 << to) - 1 };
        high & !((1u64 << from) - 1)
    }
}

/// Event counters `0..n`.
pub const fn first(n: u8) -> u64 {
    range(0, n)
}

/// The event counters set in `mask`, in increasing order.
pub fn event_counters(mask: u64) -> impl Iterator<Item = u8> {
    (0..MAX_EVENT_COUNTERS).filter(move |&i| mask & (1 << i) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(range(0, 0), 0);
        assert_eq!(range(0, 3), 0b111);
        assert_eq!(range(4, 6), 0b11_0000);
        assert_eq!(range(6, 4), 0);
        assert_eq!(first(31), 0x7fff_ffff);
    }
}
