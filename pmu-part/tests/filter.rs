//! The event filter, end to end: what the guest writes, what the hardware counts.

mod common;
use common::*;

fn denying(events: &[u16]) -> EventFilter {
    let mut f = EventFilter::allow_all();
    for &e in events {
        f.deny(e);
    }
    f
}

/// A running, claimed vCPU with 4 counters on a 6-counter CPU, PMCR.E set and every counter
/// enabled.
fn running(filter: EventFilter, config: Config) -> Hyp {
    let mut h = Hyp::new(config, 2, &[false], &[4], filter, true);
    h.cpus[0].core.assume_clean();
    h.run(0, 0);
    assert_eq!(h.write(0, enc::<PMCR_EL0>(), E | LC), GuestAccess::Written);
    assert_eq!(
        h.write(0, enc::<PMCNTENSET_EL0>(), 0b1111 | C),
        GuestAccess::Written
    );
    h
}

#[test]
fn a_denied_event_is_never_counted() {
    let mut h = running(denying(&[INST_RETIRED]), cfg(6));
    // Every filter combination the guest might try, at EL0 and EL1.
    for (i, filt) in [0, F_NSH, F_NSK | F_NSU, F_P | F_U | F_NSK | F_NSU]
        .into_iter()
        .enumerate()
    {
        h.write(0, evtyper(i), u64::from(INST_RETIRED) | filt);
    }
    h.count(0, Level::El1, INST_RETIRED, 1000);
    h.count(0, Level::El0, INST_RETIRED, 1000);
    for i in 0..4 {
        assert_eq!(h.value(0, evcntr(i)), 0, "counter {i}");
    }
    // Through the selector too.
    h.write(0, enc::<PMSELR_EL0>(), 3);
    h.write(0, enc::<PMXEVTYPER_EL0>(), u64::from(INST_RETIRED));
    h.count(0, Level::El1, INST_RETIRED, 5);
    assert_eq!(h.value(0, evcntr(3)), 0);
    // An allowed event counts.
    h.write(0, evtyper(0), u64::from(CPU_CYCLES));
    h.count(0, Level::El1, CPU_CYCLES, 7);
    assert_eq!(h.value(0, evcntr(0)), 7);
    // After a switch the filter is applied again.
    h.put(0);
    h.run(0, 0);
    h.count(0, Level::El1, INST_RETIRED, 9);
    assert_eq!(h.value(0, evcntr(1)), 0);
    h.check_architectural();
}

#[test]
fn a_denied_cpu_cycles_stops_the_cycle_counter() {
    let mut h = running(denying(&[CPU_CYCLES]), cfg(6));
    h.write(0, enc::<PMCCFILTR_EL0>(), 0);
    h.count(0, Level::El1, CPU_CYCLES, 100);
    assert_eq!(h.value(0, enc::<PMCCNTR_EL0>()), 0);
    h.write(0, evtyper(0), u64::from(CPU_CYCLES));
    h.count(0, Level::El1, CPU_CYCLES, 100);
    assert_eq!(h.value(0, evcntr(0)), 0);
}

#[test]
fn the_guest_reads_back_exactly_what_it_wrote() {
    let mut h = running(denying(&[INST_RETIRED]), cfg(6));
    let values = [
        u64::from(INST_RETIRED) | F_NSH | F_P,
        u64::from(CPU_CYCLES) | F_NSH | F_NSK | F_M,
        u64::from(STALL) | F_U | F_NSU,
        0x4000 | F_NSH,
    ];
    for (i, &v) in values.iter().enumerate() {
        assert_eq!(h.write(0, evtyper(i), v), GuestAccess::Written);
    }
    h.write(0, enc::<PMCCFILTR_EL0>(), F_NSH | F_U);
    for (i, &v) in values.iter().enumerate() {
        assert_eq!(h.value(0, evtyper(i)), v, "PMEVTYPER{i}");
        h.write(0, enc::<PMSELR_EL0>(), i as u64);
        assert_eq!(h.value(0, enc::<PMXEVTYPER_EL0>()), v, "PMXEVTYPER sel {i}");
    }
    assert_eq!(h.value(0, enc::<PMCCFILTR_EL0>()), F_NSH | F_U);
    h.write(0, enc::<PMSELR_EL0>(), 31);
    assert_eq!(h.value(0, enc::<PMXEVTYPER_EL0>()), F_NSH | F_U);
    // The hardware holds the filtered values: no NSH, denied events nowhere.
    let pmu = h.pmu(0);
    for i in 0..4 {
        assert_eq!(pmu.evtyper(i) & F_NSH, 0, "hardware PMEVTYPER{i}");
    }
    assert_eq!(pmu.ccfiltr() & F_NSH, 0);
    assert_eq!(pmu.evtyper(0) & (F_P | F_U | F_NSK | F_NSU), F_P | F_U);
    // And after a switch the guest still reads its own values.
    h.put(0);
    h.run(0, 0);
    for (i, &v) in values.iter().enumerate() {
        assert_eq!(h.value(0, evtyper(i)), v, "PMEVTYPER{i} after a switch");
    }
    assert_eq!(h.value(0, enc::<PMCCFILTR_EL0>()), F_NSH | F_U);
}

#[test]
fn guest_counters_never_count_at_el2() {
    for keep in [false, true] {
        for ver in [PmuVer::IMP, PmuVer::V3P1, PmuVer::V3P5] {
            let config = Config {
                pmu_ver: ver,
                ..cfg(6)
            };
            let mut h = Hyp::new(config, 2, &[keep], &[4], EventFilter::allow_all(), true);
            h.cpus[0].core.assume_clean();
            h.run(0, 0);
            h.write(0, enc::<PMCR_EL0>(), E | DP);
            h.write(0, enc::<PMCNTENSET_EL0>(), 0b1111 | C);
            // The guest asks for EL2 events (NSH): it gets none.
            for i in 0..4 {
                h.write(0, evtyper(i), u64::from(CPU_CYCLES) | F_NSH);
            }
            h.write(0, enc::<PMCCFILTR_EL0>(), F_NSH);
            // Loaded, not running: EL2 code runs (a trap handler, a VHE host).
            h.exit(0);
            h.count(0, Level::El2, CPU_CYCLES, 500);
            h.enter(0);
            for i in 0..4 {
                assert_eq!(h.value(0, evcntr(i)), 0, "{ver:?}: counter {i}");
            }
            assert_eq!(h.value(0, enc::<PMCCNTR_EL0>()), 0, "{ver:?}");
            // Put (resident or not): still nothing at EL2.
            h.put(0);
            h.count(0, Level::El2, CPU_CYCLES, 500);
            for i in 0..4 {
                assert_eq!(h.pmu(0).counter(i), 0);
            }
            assert_eq!(h.pmu(0).cycle_counter(), 0);
            h.run(0, 0);
            h.count(0, Level::El1, CPU_CYCLES, 3);
            assert_eq!(h.value(0, evcntr(2)), 3, "but at EL1 they count");
            assert_eq!(h.value(0, enc::<PMCCNTR_EL0>()), 3);
            h.check_architectural();
        }
    }
}

#[test]
fn ten_bit_event_numbers_before_pmuv3p1() {
    // On PMUv3, 0x408 is event 0x008: the filter judges what the hardware counts.
    let config = Config {
        pmu_ver: PmuVer::IMP,
        ..cfg(6)
    };
    let mut h = running(denying(&[INST_RETIRED]), config);
    h.write(0, evtyper(0), 0x408);
    h.count(0, Level::El1, INST_RETIRED, 10);
    assert_eq!(h.value(0, evcntr(0)), 0);
}

#[test]
fn pmceid_hides_denied_events() {
    let mut h = running(denying(&[INST_RETIRED, 0x4001]), cfg(6));
    let pmu = h.pmu(0);
    let all = 1 << SW_INCR | 1 << INST_RETIRED | 1 << CPU_CYCLES | 1 << CHAIN | 1 << 33;
    pmu.set_pmceid(0, all);
    pmu.set_pmceid(1, 1 << 3 | 1 << 40);
    assert_eq!(
        h.value(0, enc::<PMCEID0_EL0>()),
        all & !(1 << INST_RETIRED) & !(1 << 33)
    );
    assert_eq!(h.value(0, enc::<PMCEID1_EL0>()), 1 << 3 | 1 << 40);
    h.check_architectural();
}

#[test]
fn hardware_types_never_reach_el2_el3_or_another_pe() {
    // EventFilter::hardware_type on every filter combination, with the bits the model does
    // not implement too: MT (FEAT_MTPMU: count other PEs' events), SH and the Realm bits.
    let mut f = EventFilter::allow_all();
    f.deny(INST_RETIRED);
    let other = PmevtyperxEl0::new()
        .with_mt(true)
        .with_sh(true)
        .with_rlk(true)
        .with_rlu(true)
        .with_rlh(true)
        .to_bits();
    for bits in 0..64u64 {
        let filters = bits << 26; // P U NSK NSU NSH M
        for event in [INST_RETIRED, CPU_CYCLES] {
            for cycle in [false, true] {
                let guest = filters | other | u64::from(event);
                let hw = PmevtyperxEl0::from_bits(f.hardware_type(guest, cycle, 16));
                assert!(!hw.nsh() && !hw.mt() && !hw.sh(), "{guest:#x}");
                assert!(!hw.rlk() && !hw.rlu() && !hw.rlh());
                assert_eq!(hw.m(), !hw.p(), "EL3 counts only when M == P");
                if event == INST_RETIRED && !cycle {
                    assert!(
                        hw.p() && hw.u() && !hw.nsk() && !hw.nsu(),
                        "denied: no level"
                    );
                } else {
                    let g = PmevtyperxEl0::from_bits(guest);
                    assert_eq!(
                        (hw.p(), hw.u(), hw.nsk(), hw.nsu()),
                        (g.p(), g.u(), g.nsk(), g.nsu())
                    );
                }
            }
        }
    }
}
