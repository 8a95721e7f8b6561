//! Counting: enables, filters, prohibition at EL2, widths and overflow, the interrupt request.

mod common;
use common::*;

/// 6 counters, HPMN = 2, PMCR_EL0.E and HPME set, every counter enabled in PMCNTENSET_EL0,
/// counters and the cycle counter counting CPU_CYCLES at EL0, EL1 and EL2 (NSH = 1).
fn counting() -> CpuPmu {
    let mut p = pmu(6);
    set_mdcr(&mut p, mdcr_partition(2));
    wr::<PMCR_EL0>(&mut p, E | LC);
    wr::<PMCNTENSET_EL0>(&mut p, 0x3f | C);
    for i in 0..6 {
        p.write_encoding(evtyper(i), F_NSH | u64::from(CPU_CYCLES));
    }
    wr::<PMCCFILTR_EL0>(&mut p, F_NSH);
    p
}

fn counters(p: &CpuPmu) -> Vec<u64> {
    (0..6).map(|i| p.counter(i)).collect()
}

#[test]
fn enabled_counters_count_their_event() {
    let mut p = counting();
    p.count(Level::El1, CPU_CYCLES, 10);
    assert_eq!(counters(&p), [10; 6]);
    assert_eq!(p.cycle_counter(), 10);
    // Another event: nothing counts it.
    p.count(Level::El1, INST_RETIRED, 10);
    assert_eq!(counters(&p), [10; 6]);
    assert_eq!(p.cycle_counter(), 10);
    // Counters count the event their PMEVTYPER<n>_EL0 selects.
    p.write_encoding(evtyper(1), F_NSH | u64::from(INST_RETIRED));
    p.count(Level::El0, INST_RETIRED, 3);
    assert_eq!(counters(&p), [10, 13, 10, 10, 10, 10]);
    assert_eq!(
        p.cycle_counter(),
        10,
        "the cycle counter counts CPU_CYCLES only"
    );
}

#[test]
fn pmcr_e_enables_the_first_range_and_the_cycle_counter_hpme_the_second() {
    let mut p = counting();
    wr::<PMCR_EL0>(&mut p, LC); // E = 0
    p.count(Level::El1, CPU_CYCLES, 5);
    assert_eq!(counters(&p), [0, 0, 5, 5, 5, 5]);
    assert_eq!(p.cycle_counter(), 0);
    wr::<PMCR_EL0>(&mut p, E | LC);
    set_mdcr(&mut p, MdcrEl2::from_bits(0).with_hpmn(2).to_bits()); // HPME = 0
    p.count(Level::El1, CPU_CYCLES, 5);
    assert_eq!(counters(&p), [5, 5, 5, 5, 5, 5]);
    assert_eq!(p.cycle_counter(), 5);
    // Moving HPMN moves counters between the enables.
    set_mdcr(&mut p, MdcrEl2::from_bits(0).with_hpmn(4).to_bits());
    p.count(Level::El1, CPU_CYCLES, 1);
    assert_eq!(counters(&p), [6, 6, 6, 6, 5, 5]);
    // And each counter needs its PMCNTENSET_EL0 bit.
    wr::<PMCNTENCLR_EL0>(&mut p, 0b1 | C);
    p.count(Level::El1, CPU_CYCLES, 1);
    assert_eq!(counters(&p), [6, 7, 7, 7, 5, 5]);
    assert_eq!(p.cycle_counter(), 6);
}

#[test]
fn exception_level_filters() {
    let mut p = counting();
    p.write_encoding(evtyper(0), F_P | u64::from(CPU_CYCLES)); // not EL1, not EL2
    p.write_encoding(evtyper(1), F_U | u64::from(CPU_CYCLES)); // not EL0, not EL2
    p.write_encoding(evtyper(2), F_NSH | F_P | F_U | u64::from(CPU_CYCLES)); // EL2 only
    p.write_encoding(evtyper(3), u64::from(CPU_CYCLES)); // EL0 and EL1
    p.count(Level::El0, CPU_CYCLES, 1);
    assert_eq!(&counters(&p)[..4], [1, 0, 0, 1]);
    p.count(Level::El1, CPU_CYCLES, 10);
    assert_eq!(&counters(&p)[..4], [1, 10, 0, 11]);
    p.count(Level::El2, CPU_CYCLES, 100);
    assert_eq!(&counters(&p)[..4], [1, 10, 100, 11]);
}

#[test]
fn nsk_and_nsu_filter_non_secure_el1_and_el0_against_p_and_u() {
    let mut p = counting();
    // NSK != P: not at Non-secure EL1. NSK == P == 1: counts at EL1.
    p.write_encoding(evtyper(0), F_NSK | u64::from(CPU_CYCLES));
    p.write_encoding(evtyper(1), F_P | F_NSK | u64::from(CPU_CYCLES));
    // NSU != U: not at Non-secure EL0. NSU == U == 1: counts at EL0.
    p.write_encoding(evtyper(2), F_NSU | u64::from(CPU_CYCLES));
    p.write_encoding(evtyper(3), F_U | F_NSU | u64::from(CPU_CYCLES));
    p.count(Level::El1, CPU_CYCLES, 1);
    assert_eq!(&counters(&p)[..4], [0, 1, 1, 1]);
    p.count(Level::El0, CPU_CYCLES, 10);
    assert_eq!(&counters(&p)[..4], [10, 11, 1, 11]);
    // Without EL3, NSK/NSU do not exist (RES0): P and U alone decide.
    let mut q = counting();
    q.set_el3(false);
    q.set_raw(evtyper(0), F_P | F_NSK | u64::from(CPU_CYCLES));
    q.count(Level::El1, CPU_CYCLES, 1);
    assert_eq!(q.counter(0), 0);
}

#[test]
fn hpmd_stops_the_first_range_at_el2_but_not_the_second() {
    let mut p = counting();
    set_mdcr(
        &mut p,
        mdcr_partition(2) | MdcrEl2::from_bits(0).with_hpmd(true).to_bits(),
    );
    p.count(Level::El2, CPU_CYCLES, 7);
    assert_eq!(counters(&p), [0, 0, 7, 7, 7, 7]);
    assert_eq!(
        p.cycle_counter(),
        7,
        "without DP, HPMD leaves the cycle counter alone"
    );
    // At EL1 HPMD has no effect.
    p.count(Level::El1, CPU_CYCLES, 1);
    assert_eq!(counters(&p), [1, 1, 8, 8, 8, 8]);
    // HPMD is RES0 before PMUv3p1: counting at EL2 goes on.
    let mut old = CpuPmu::new(Config {
        pmu_ver: PmuVer::IMP,
        ..cfg(6)
    });
    set_mdcr(&mut old, mdcr_partition(2) | 1 << 17);
    wr::<PMCR_EL0>(&mut old, E);
    wr::<PMCNTENSET_EL0>(&mut old, 1);
    old.write_encoding(evtyper(0), F_NSH | u64::from(CPU_CYCLES));
    old.count(Level::El2, CPU_CYCLES, 3);
    assert_eq!(old.counter(0), 3);
}

#[test]
fn pmcr_dp_with_hpmd_stops_the_cycle_counter_at_el2() {
    let mut p = counting();
    set_mdcr(&mut p, mdcr_partition(2) | 1 << 17);
    wr::<PMCR_EL0>(&mut p, E | LC | DP);
    p.count(Level::El2, CPU_CYCLES, 7);
    assert_eq!(p.cycle_counter(), 0);
    p.count(Level::El1, CPU_CYCLES, 2);
    assert_eq!(p.cycle_counter(), 2);
    // HPMN = 0 (FEAT_HPMN0): DP still applies the first range's prohibition to the cycle counter.
    set_mdcr(&mut p, mdcr_partition(0) | 1 << 17);
    p.count(Level::El2, CPU_CYCLES, 7);
    assert_eq!(p.cycle_counter(), 2);
}

#[test]
fn hccd_stops_the_cycle_counter_at_el2_whatever_dp_says() {
    let mut p = counting();
    set_mdcr(
        &mut p,
        mdcr_partition(2) | MdcrEl2::from_bits(0).with_hccd(true).to_bits(),
    );
    p.count(Level::El2, CPU_CYCLES, 7);
    assert_eq!(p.cycle_counter(), 0);
    assert_eq!(counters(&p), [7; 6], "HCCD is about the cycle counter only");
    p.count(Level::El1, CPU_CYCLES, 3);
    assert_eq!(p.cycle_counter(), 3);
    // HCCD is RES0 before PMUv3p5.
    let mut old = CpuPmu::new(Config {
        pmu_ver: PmuVer::V3P4,
        ..cfg(2)
    });
    set_mdcr(&mut old, mdcr_partition(2) | 1 << 23);
    wr::<PMCR_EL0>(&mut old, E);
    wr::<PMCNTENSET_EL0>(&mut old, C);
    wr::<PMCCFILTR_EL0>(&mut old, F_NSH);
    old.count(Level::El2, CPU_CYCLES, 3);
    assert_eq!(old.cycle_counter(), 3);
}

#[test]
fn host_and_guest_activity_are_kept_apart_by_hpmd_hccd_and_nsh() {
    // The Partitioned PMU's setting: guest counters (first range, cycle counter) see no EL2
    // activity; host counters in the second range count EL2 and, filtered, the guest too.
    let mut p = counting();
    set_mdcr(
        &mut p,
        mdcr_partition(2)
            | MdcrEl2::from_bits(0)
                .with_hpmd(true)
                .with_hccd(true)
                .to_bits(),
    );
    p.write_encoding(evtyper(5), F_P | F_U | F_NSH | u64::from(CPU_CYCLES)); // host, EL2 only
    p.count(Level::El1, CPU_CYCLES, 10);
    p.count(Level::El2, CPU_CYCLES, 1000);
    assert_eq!(counters(&p), [10, 10, 1010, 1010, 1010, 1000]);
    assert_eq!(p.cycle_counter(), 10);
}

#[test]
fn event_counters_overflow_at_32_bits_before_pmuv3p5() {
    let mut p = CpuPmu::new(Config {
        pmu_ver: PmuVer::V3P4,
        ..cfg(2)
    });
    wr::<PMCR_EL0>(&mut p, E | LP); // LP does not exist before PMUv3p5
    wr::<PMCNTENSET_EL0>(&mut p, 1);
    p.write_encoding(evtyper(0), u64::from(CPU_CYCLES));
    p.set_counter(0, 0xffff_fff0);
    p.count(Level::El1, CPU_CYCLES, 0x20);
    assert_eq!(p.counter(0), 0x10);
    assert_eq!(p.pmovs(), 1);
}

#[test]
fn event_counter_overflow_point_follows_lp_and_hlp() {
    let mut p = counting();
    // LP = 0: 64-bit counters, overflow recorded at bit 31, the count goes on above it.
    p.set_counter(0, 0xffff_fff0);
    p.set_counter(3, 0xffff_fff0);
    p.count(Level::El1, CPU_CYCLES, 0x20);
    assert_eq!(p.counter(0), 0x1_0000_0010);
    assert_eq!(p.pmovs() & 0b1001, 0b1001);
    // LP = 1, HLP = 0: the first range overflows at 64 bits, the second still at 32.
    wr::<PMOVSCLR_EL0>(&mut p, u64::MAX);
    wr::<PMCR_EL0>(&mut p, E | LC | LP);
    p.set_counter(0, 0xffff_fff0);
    p.set_counter(3, 0xffff_fff0);
    p.count(Level::El1, CPU_CYCLES, 0x20);
    assert_eq!(p.pmovs() & 0b1001, 0b1000);
    p.set_counter(0, u64::MAX - 1);
    p.count(Level::El1, CPU_CYCLES, 3);
    assert_eq!(p.counter(0), 1);
    assert_eq!(p.pmovs() & 1, 1);
    // HLP = 1 makes the second range 64-bit; LP does not affect it.
    wr::<PMOVSCLR_EL0>(&mut p, u64::MAX);
    wr::<PMCR_EL0>(&mut p, E | LC);
    set_mdcr(
        &mut p,
        mdcr_partition(2) | MdcrEl2::from_bits(0).with_hlp(true).to_bits(),
    );
    p.set_counter(0, 0xffff_fff0);
    p.set_counter(3, 0xffff_fff0);
    p.count(Level::El1, CPU_CYCLES, 0x20);
    assert_eq!(p.pmovs() & 0b1001, 0b0001);
}

#[test]
fn cycle_counter_overflow_point_follows_lc() {
    let mut p = counting();
    wr::<PMCR_EL0>(&mut p, E); // LC = 0
    p.set_cycle_counter(0xffff_ffff);
    p.count(Level::El1, CPU_CYCLES, 1);
    assert_eq!(
        p.cycle_counter(),
        0x1_0000_0000,
        "the counter is 64-bit whatever LC says"
    );
    assert_eq!(p.pmovs() & C, C);
    wr::<PMOVSCLR_EL0>(&mut p, C);
    wr::<PMCR_EL0>(&mut p, E | LC);
    p.set_cycle_counter(0xffff_ffff);
    p.count(Level::El1, CPU_CYCLES, 1);
    assert_eq!(p.pmovs() & C, 0);
    p.set_cycle_counter(u64::MAX);
    p.count(Level::El1, CPU_CYCLES, 1);
    assert_eq!(p.cycle_counter(), 0);
    assert_eq!(p.pmovs() & C, C);
}

#[test]
fn huge_counts_wrap_without_panicking() {
    let mut p = counting();
    p.set_counter(0, u64::MAX);
    p.set_cycle_counter(u64::MAX);
    p.count(Level::El1, CPU_CYCLES, u64::MAX);
    assert_eq!(p.counter(0), u64::MAX - 1);
    assert_eq!(p.pmovs() & (1 | C), 1 | C);
    p.count(Level::El1, CPU_CYCLES, 0);
}

#[test]
fn overflow_interrupt_request() {
    let mut p = counting();
    assert!(!p.irq_line());
    // Overflow of a guest counter with its interrupt enabled, PMCR_EL0.E = 1.
    wr::<PMINTENSET_EL1>(&mut p, 0b1);
    p.set_counter(0, 0xffff_ffff);
    p.count(Level::El1, CPU_CYCLES, 1);
    assert!(p.irq_line());
    // The first range's request is gated by PMCR_EL0.E, not by HPME.
    wr::<PMCR_EL0>(&mut p, 0);
    assert!(!p.irq_line());
    wr::<PMCR_EL0>(&mut p, E);
    set_mdcr(&mut p, MdcrEl2::from_bits(0).with_hpmn(2).to_bits());
    assert!(p.irq_line());
    wr::<PMOVSCLR_EL0>(&mut p, 1);
    assert!(!p.irq_line());
    // A host counter (second range): gated by HPME, not PMCR_EL0.E.
    wr::<PMINTENSET_EL1>(&mut p, 1 << 4);
    wr::<PMOVSSET_EL0>(&mut p, 1 << 4);
    assert!(!p.irq_line(), "HPME = 0");
    set_mdcr(&mut p, mdcr_partition(2));
    assert!(p.irq_line());
    wr::<PMCR_EL0>(&mut p, 0);
    assert!(
        p.irq_line(),
        "the guest's PMCR_EL0.E does not gate the host's counters"
    );
    wr::<PMOVSCLR_EL0>(&mut p, 1 << 4);
    // The cycle counter goes with PMCR_EL0.E.
    wr::<PMINTENSET_EL1>(&mut p, C);
    wr::<PMOVSSET_EL0>(&mut p, C);
    assert!(!p.irq_line());
    wr::<PMCR_EL0>(&mut p, E);
    assert!(p.irq_line());
    // An overflow flag without its interrupt enable does not request.
    wr::<PMINTENCLR_EL1>(&mut p, C);
    assert!(!p.irq_line());
}

#[test]
fn chain_counts_the_overflows_of_the_even_counter_below() {
    let mut p = counting();
    p.write_encoding(evtyper(1), F_NSH | u64::from(CHAIN));
    p.set_counter(0, 0xffff_fff0);
    p.count(Level::El1, CPU_CYCLES, 0x10);
    assert_eq!(p.counter(1), 1);
    p.count(Level::El1, CPU_CYCLES, 3 << 32);
    assert_eq!(p.counter(1), 4);
    // A disabled chained counter does not count.
    wr::<PMCNTENCLR_EL0>(&mut p, 0b10);
    p.count(Level::El1, CPU_CYCLES, 1 << 32);
    assert_eq!(p.counter(1), 4);
}

#[test]
fn software_increment_counts_sw_incr_counters_at_the_writers_level() {
    let mut p = counting();
    for i in 0..6 {
        p.write_encoding(evtyper(i), u64::from(SW_INCR)); // EL0 and EL1, not EL2
    }
    p.set_raw(enc::<PMUSERENR_EL0>(), 1 << 1); // SW
    assert_eq!(
        gw(&mut p, El::El0, enc::<PMSWINC_EL0>(), 0b111),
        GuestAccess::Written
    );
    assert_eq!(counters(&p), [1, 1, 0, 0, 0, 0]);
    wr::<PMSWINC_EL0>(&mut p, 0b111); // from EL2: filtered out (NSH = 0)
    assert_eq!(counters(&p), [1, 1, 0, 0, 0, 0]);
}

#[test]
fn the_instruction_counter() {
    let mut p = CpuPmu::new(Config {
        icntr: true,
        ..cfg(2)
    });
    set_mdcr(&mut p, mdcr_partition(0) | 1 << 17);
    wr::<PMCNTENSET_EL0>(&mut p, F0);
    wr::<PMICFILTR_EL0>(&mut p, F_NSH);
    p.count(Level::El1, INST_RETIRED, 5);
    assert_eq!(p.instruction_counter(), 0, "enabled by PMCR_EL0.E");
    wr::<PMCR_EL0>(&mut p, E);
    p.count(Level::El1, INST_RETIRED, 5);
    p.count(Level::El1, CPU_CYCLES, 5);
    assert_eq!(p.instruction_counter(), 5);
    // HPMD stops it at EL2.
    p.count(Level::El2, INST_RETIRED, 5);
    assert_eq!(p.instruction_counter(), 5);
    // It overflows at 64 bits only.
    p.set_instruction_counter(0xffff_ffff);
    p.count(Level::El1, INST_RETIRED, 1);
    assert_eq!(p.pmovs() & F0, 0);
    p.set_instruction_counter(u64::MAX);
    p.count(Level::El1, INST_RETIRED, 1);
    assert_eq!(p.pmovs() & F0, F0);
    assert_eq!(p.instruction_counter(), 0);
    wr::<PMINTENSET_EL1>(&mut p, F0);
    assert!(p.irq_line());
}

#[test]
fn freeze_on_overflow_with_pmuv3p7() {
    let mut p = CpuPmu::new(Config {
        pmu_ver: PmuVer::V3P7,
        ..cfg(4)
    });
    set_mdcr(
        &mut p,
        mdcr_partition(2) | MdcrEl2::from_bits(0).with_hpmfzo(true).to_bits(),
    );
    wr::<PMCR_EL0>(&mut p, E | LC | FZO | DP);
    wr::<PMCNTENSET_EL0>(&mut p, 0xf | C);
    for i in 0..4 {
        p.write_encoding(evtyper(i), u64::from(CPU_CYCLES));
    }
    // A first-range overflow freezes the first range and (DP) the cycle counter.
    wr::<PMOVSSET_EL0>(&mut p, 0b01);
    p.count(Level::El1, CPU_CYCLES, 1);
    assert_eq!(
        (0..4).map(|i| p.counter(i)).collect::<Vec<_>>(),
        [0, 0, 1, 1]
    );
    assert_eq!(p.cycle_counter(), 0);
    // A second-range overflow freezes the second range (HPMFZO).
    wr::<PMOVSCLR_EL0>(&mut p, u64::MAX);
    wr::<PMOVSSET_EL0>(&mut p, 0b1000);
    p.count(Level::El1, CPU_CYCLES, 1);
    assert_eq!(
        (0..4).map(|i| p.counter(i)).collect::<Vec<_>>(),
        [1, 1, 1, 1]
    );
    assert_eq!(p.cycle_counter(), 1);
    // Before PMUv3p7 FZO does not exist.
    let mut q = counting();
    q.write_encoding(enc::<PMCR_EL0>(), E | FZO);
    assert_eq!(q.pmcr() & FZO, 0);
}

#[test]
fn counter_counts_reports_the_decision() {
    let mut p = counting();
    assert!(p.counter_counts(0, Level::El1));
    assert!(p.counter_counts(31, Level::El2));
    assert!(!p.counter_counts(6, Level::El1), "not implemented");
    assert!(!p.counter_counts(32, Level::El1), "no ICNTR");
    assert!(!p.counter_counts(usize::MAX, Level::El1));
    wr::<PMCNTENCLR_EL0>(&mut p, 1);
    assert!(!p.counter_counts(0, Level::El1));
}
