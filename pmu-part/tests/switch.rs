//! Loading and putting vCPUs, checked with the model's access log: what is written and how,
//! the host's state never touched, lazy switching and the same-CPU return.

mod common;
use common::*;

/// A vCPU state that uses the PMU: counters 0..k enabled (counter 1 not), interrupts on some,
/// types and values set.
fn busy(k: u8) -> pmu_part::Registers {
    let mut r = pmu_part::Registers::reset();
    r.pmcr = E | LC | LP;
    r.pmselr = 1;
    r.pmuserenr = EN;
    let mask = guest_bits(k);
    r.pmcnten = mask & !0b10;
    r.pminten = mask & 0b101;
    r.pmccfiltr = F_U;
    r.pmccntr = 77;
    for i in 0..usize::from(k) {
        r.pmevtyper[i] = u64::from(INST_RETIRED) | F_NSH;
        r.pmevcntr[i] = 1000 + i as u64;
    }
    r
}

fn log_of(pmu: &CpuPmu) -> Vec<(String, AccessKind, u64)> {
    assert_eq!(pmu.log_dropped(), 0);
    pmu.log()
        .iter()
        .map(|a| (a.name().unwrap_or("?").to_string(), a.kind, a.value))
        .collect()
}

fn writes_to(log: &[(String, AccessKind, u64)], name: &str) -> Vec<u64> {
    log.iter()
        .filter(|(n, k, _)| n == name && *k == AccessKind::Write)
        .map(|(_, _, v)| *v)
        .collect()
}

/// No write in `log` reaches a host counter, its type, or a host bit of a SET/CLR register.
fn assert_host_untouched(log: &[(String, AccessKind, u64)], plan: &Plan) {
    for (name, kind, value) in log {
        if *kind != AccessKind::Write {
            continue;
        }
        if let Some(rest) = name
            .strip_prefix("PMEVCNTR")
            .or_else(|| name.strip_prefix("PMEVTYPER"))
        {
            let j: usize = rest.trim_end_matches("_EL0").parse().unwrap();
            assert!(
                plan.host_mask >> j & 1 == 0,
                "{name} written: a host counter"
            );
        }
        if name.starts_with("PMCNTEN") || name.starts_with("PMINTEN") || name.starts_with("PMOVS") {
            assert_eq!(
                value & plan.host_mask,
                0,
                "{name} = {value:#x} has host bits"
            );
            assert_eq!(
                value & !plan.guests_mask(),
                0,
                "{name} = {value:#x}: only guest bits"
            );
        }
        assert_ne!(name, "PMSWINC_EL0");
        assert_ne!(name, "PMZR_EL0");
        if name == "PMCR_EL0" {
            assert_eq!(
                value & (P | CR),
                0,
                "PMCR_EL0 written with P or C: {value:#x}"
            );
        }
    }
}

#[test]
fn load_writes_the_state_with_set_and_clr_and_never_the_hosts() {
    let mut h = Hyp::simple(8, 3, 5, false);
    let plan = h.plan;
    // Host perf counts with counters 5..7.
    for j in 5..8 {
        h.host_program(0, j, F_NSH | u64::from(CPU_CYCLES), 10 * j as u64, true);
    }
    // Stale state of the guests' range: another vCPU's enables and overflow flags.
    let pmu = h.pmu(0);
    pmu.set_raw(enc::<PMCNTENSET_EL0>(), pmu.pmcnten() | 0b1_1000 | C);
    pmu.set_raw(enc::<PMINTENSET_EL1>(), pmu.pminten() | 0b1_0000);
    pmu.set_raw(enc::<PMOVSSET_EL0>(), 0b1);
    pmu.set_raw(enc::<PMCR_EL0>(), E | DP);
    h.cpus[0].core.host_took_guest_counters(); // the core knows nothing of the guests' range
    h.vcpus[0].set_regs(busy(5));

    let pmu = h.pmu(0);
    pmu.clear_stats();
    pmu.clear_log();
    pmu.set_logging(true);
    h.load(0, 0);
    let log = log_of(h.pmu(0));
    assert_host_untouched(&log, &plan);
    assert!(
        log.iter().all(|(_, k, _)| *k == AccessKind::Write),
        "load only writes"
    );
    // Event types (filtered: no NSH) and counters for 0..5, the cycle counter and its filter.
    for i in 0..5 {
        // NSH cleared, M = !P (never at EL3).
        assert_eq!(
            writes_to(&log, &format!("PMEVTYPER{i}_EL0")),
            [u64::from(INST_RETIRED) | F_M]
        );
        assert_eq!(
            writes_to(&log, &format!("PMEVCNTR{i}_EL0")),
            [1000 + i as u64]
        );
    }
    assert_eq!(writes_to(&log, "PMCCFILTR_EL0"), [F_U | F_M]);
    assert_eq!(writes_to(&log, "PMCCNTR_EL0"), [77]);
    assert_eq!(writes_to(&log, "PMSELR_EL0"), [1]);
    assert_eq!(writes_to(&log, "PMUSERENR_EL0"), [EN]);
    assert_eq!(
        writes_to(&log, "PMCR_EL0"),
        [E | LC | LP],
        "without P and C"
    );
    // Stale flags cleared before the enables go on.
    let ovs = log
        .iter()
        .position(|(n, _, _)| n == "PMOVSCLR_EL0")
        .unwrap();
    let set = log
        .iter()
        .position(|(n, _, _)| n == "PMCNTENSET_EL0")
        .unwrap();
    assert!(ovs < set);
    assert_eq!(writes_to(&log, "PMOVSCLR_EL0"), [plan.guests_mask()]);
    // SET with 1s for the bits to set, CLR with 1s for the bits to clear.
    let want_cnten = guest_bits(5) & !0b10;
    assert_eq!(writes_to(&log, "PMCNTENSET_EL0"), [want_cnten]);
    assert_eq!(
        writes_to(&log, "PMCNTENCLR_EL0"),
        [plan.guests_mask() & !want_cnten]
    );
    assert_eq!(writes_to(&log, "PMINTENSET_EL1"), [0b101]);
    assert_eq!(
        writes_to(&log, "PMINTENCLR_EL1"),
        [plan.guests_mask() & !0b101]
    );
    // The hardware now holds the vCPU's state, the host's untouched.
    let pmu = h.pmu(0);
    assert_eq!(pmu.pmcnten() & plan.guests_mask(), want_cnten);
    assert_eq!(pmu.pminten() & plan.guests_mask(), 0b101);
    assert_eq!(pmu.pmovs() & plan.guests_mask(), 0);
    assert_eq!(pmu.pmcnten() & plan.host_mask, plan.host_mask);
    h.check_host(0);
    h.check_architectural();
}

#[test]
fn put_saves_and_stops_the_guest_on_a_cpu_that_does_not_keep_state() {
    let mut h = Hyp::simple(8, 3, 5, false);
    let plan = h.plan;
    for j in 5..8 {
        h.host_program(0, j, F_NSH | u64::from(CPU_CYCLES), 0, true);
    }
    h.vcpus[0].set_regs(busy(5));
    h.run(0, 0);
    // The guest changes its state directly.
    assert_eq!(h.write(0, evcntr(2), 5), GuestAccess::Written);
    assert_eq!(
        h.write(0, enc::<PMCNTENSET_EL0>(), 0b10),
        GuestAccess::Written
    );
    assert_eq!(
        h.write(0, enc::<PMINTENCLR_EL1>(), 0b1),
        GuestAccess::Written
    );
    h.count(0, Level::El1, INST_RETIRED, 3);
    h.exit(0);
    let pmu = h.pmu(0);
    pmu.clear_stats();
    pmu.clear_log();
    pmu.set_logging(true);
    h.put(0);
    let log = log_of(h.pmu(0));
    assert_host_untouched(&log, &plan);
    let r = h.vcpus[0].regs().clone();
    assert_eq!(r.pmevcntr[2], 8);
    assert_eq!(r.pmevcntr[0], 1003);
    assert_eq!(r.pmcnten, guest_bits(5));
    assert_eq!(r.pminten, 0b100);
    assert_eq!(r.pmcr, E | LC | LP);
    // Guest counters and interrupts disabled in hardware: the bits that were set, by CLR.
    assert_eq!(writes_to(&log, "PMCNTENCLR_EL0"), [guest_bits(5)]);
    assert_eq!(writes_to(&log, "PMINTENCLR_EL1"), [0b100]);
    assert_eq!(
        writes_to(&log, "PMUSERENR_EL0"),
        [0],
        "EL0 access back to the host's"
    );
    let pmu = h.pmu(0);
    assert_eq!(pmu.pmcnten() & plan.guests_mask(), 0);
    assert_eq!(pmu.pminten() & plan.guests_mask(), 0);
    // The host counts at EL0, EL1 and EL2: no guest counter moves.
    let before: Vec<u64> = (0..5).map(|i| h.pmu(0).counter(i)).collect();
    h.count(0, Level::El2, INST_RETIRED, 100);
    h.pmu(0).count(Level::El0, INST_RETIRED, 100);
    h.pmu(0).count(Level::El1, INST_RETIRED, 100);
    let after: Vec<u64> = (0..5).map(|i| h.pmu(0).counter(i)).collect();
    assert_eq!(before, after);
    h.check_host(0);
    h.check_architectural();
}

#[test]
fn an_untouched_vcpu_costs_nothing_until_its_first_access() {
    let mut h = Hyp::simple(6, 2, 4, false);
    let cost = h.measure(0, |h| {
        h.load(0, 0);
        h.enter(0);
    });
    assert_eq!(cost, (0, 0));
    assert_eq!(h.vcpus[0].ownership(), Ownership::Untouched);
    // Counting in the guest, exits, re-entries: still nothing.
    h.count(0, Level::El1, CPU_CYCLES, 100);
    h.exit(0);
    let cost = h.measure(0, |h| {
        h.enter(0);
        h.put(0);
        h.load(0, 0);
        h.enter(0);
    });
    assert_eq!(cost, (0, 0));
    // The first PMU access traps and claims.
    let out = h.guest_ex(0, El::El1, evcntr(1), None, 7);
    assert!(out.trapped.is_some(), "the first access traps");
    assert!(out.claimed);
    assert_eq!(out.result, GuestAccess::Read(0));
    assert_eq!(h.vcpus[0].ownership(), Ownership::Owned);
    // Afterwards the counters, enables, PMCR, PMSELR and PMUSERENR are the guest's to use.
    for (e, v) in [
        (evcntr(1), 5),
        (enc::<PMCNTENSET_EL0>(), 0b11 | C),
        (enc::<PMCR_EL0>(), E),
        (enc::<PMSELR_EL0>(), 1),
        (enc::<PMXEVCNTR_EL0>(), 9),
        (enc::<PMUSERENR_EL0>(), EN),
        (enc::<PMCCNTR_EL0>(), 1),
        (enc::<PMINTENSET_EL1>(), 0b1),
    ] {
        let out = h.guest_ex(0, El::El1, e, Some(v), 3);
        assert_eq!(out.trapped, None, "{e:?} write");
        let out = h.guest_ex(0, El::El1, e, None, 3);
        assert_eq!(out.trapped, None, "{e:?} read");
    }
    assert_eq!(h.value(0, evcntr(1)), 9);
    h.check_architectural();
}

#[test]
fn an_untouched_vcpu_after_another_on_a_clean_cpu_costs_nothing() {
    let mut h = Hyp::new(cfg(6), 2, &[false], &[4, 4], EventFilter::allow_all(), true);
    h.cpus[0].core.assume_clean();
    h.run(0, 0);
    h.write(0, enc::<PMCNTENSET_EL0>(), 0b1);
    h.write(0, enc::<PMUSERENR_EL0>(), EN);
    h.put(0);
    let cost = h.measure(0, |h| {
        h.load(0, 1);
        h.enter(0);
        h.put(0);
    });
    assert_eq!(cost, (0, 0), "the put left nothing running");
}

#[test]
fn an_untouched_vcpu_gets_no_el0_access_from_the_previous_guest() {
    // On a CPU that keeps state resident, vCPU 0 leaves PMUSERENR_EL0.EN set in hardware.
    let mut h = Hyp::new(cfg(6), 2, &[true], &[4, 4], EventFilter::allow_all(), true);
    h.cpus[0].core.assume_clean();
    h.run(0, 0);
    h.write(0, enc::<PMUSERENR_EL0>(), EN);
    h.write(0, enc::<PMCCNTR_EL0>(), 0x1234);
    h.put(0);
    // vCPU 1 has never used its PMU: its PMUSERENR_EL0 is 0, so its EL0 must not read the
    // cycle counter (UNDEFINED, for its EL1 to handle), and certainly not vCPU 0's.
    h.run(0, 1);
    let r = h.guest(0, El::El0, enc::<PMCCNTR_EL0>(), None);
    assert_eq!(r, GuestAccess::Undefined);
    assert_eq!(h.vcpus[1].ownership(), Ownership::Untouched);
}

#[test]
fn a_vcpu_returning_to_the_cpu_it_left_costs_nothing() {
    let mut h = Hyp::new(cfg(6), 2, &[true], &[4, 4], EventFilter::allow_all(), true);
    h.cpus[0].core.assume_clean();
    h.host_program(0, 4, F_NSH | u64::from(CPU_CYCLES), 0, true);
    h.run(0, 0);
    h.write(0, enc::<PMCNTENSET_EL0>(), 0b11 | C);
    h.write(0, enc::<PMCR_EL0>(), E);
    h.write(0, evtyper(0), u64::from(CPU_CYCLES) | F_NSH);
    h.count(0, Level::El1, CPU_CYCLES, 10);
    h.put(0);
    // A host interlude: EL2 runs, the guest's counters stay (enabled) in hardware and still.
    let before = (h.pmu(0).counter(0), h.pmu(0).cycle_counter());
    h.count(0, Level::El2, CPU_CYCLES, 1000);
    assert_eq!((h.pmu(0).counter(0), h.pmu(0).cycle_counter()), before);
    assert_eq!(before, (10, 10));
    let cost = h.measure(0, |h| h.load(0, 0));
    assert_eq!(cost, (0, 0), "nothing else used the counters");
    h.enter(0);
    assert_eq!(h.value(0, evcntr(0)), 10);
    h.count(0, Level::El1, CPU_CYCLES, 5);
    h.put(0);
    assert_eq!(h.vcpus[0].regs().pmevcntr[0], 15);

    // Another vCPU ran in between: a full load.
    h.run(0, 1);
    h.write(0, evcntr(0), 99);
    h.put(0);
    let pmu = h.pmu(0);
    pmu.clear_log();
    pmu.set_logging(true);
    h.load(0, 0);
    let log = log_of(h.pmu(0));
    for i in 0..4 {
        assert_eq!(writes_to(&log, &format!("PMEVCNTR{i}_EL0")).len(), 1);
        assert_eq!(writes_to(&log, &format!("PMEVTYPER{i}_EL0")).len(), 1);
    }
    h.enter(0);
    assert_eq!(h.value(0, evcntr(0)), 15);
    // And vCPU 1 finds its own state when it comes back.
    h.put(0);
    h.run(0, 1);
    assert_eq!(h.value(0, evcntr(0)), 99);
    h.check_host(0);
    h.check_architectural();
}

#[test]
fn a_vcpu_that_moved_is_loaded_in_full_where_it_goes() {
    let mut h = Hyp::new(
        cfg(6),
        2,
        &[true, true],
        &[4],
        EventFilter::allow_all(),
        true,
    );
    for c in 0..2 {
        h.cpus[c].core.assume_clean();
    }
    h.run(0, 0);
    h.write(0, evcntr(3), 42);
    h.put(0);
    h.run(1, 0);
    assert_eq!(h.value(1, evcntr(3)), 42);
    h.write(1, evcntr(3), 43);
    h.put(1);
    // Back on CPU 0, whose hardware still holds the old value: a full load.
    h.run(0, 0);
    assert_eq!(h.value(0, evcntr(3)), 43);
    h.check_architectural();
}

#[test]
fn the_freeze_on_overflow_control_is_switched_with_pmcr() {
    // FEAT_PMUv3p7: PMCR_EL0.FZO is the guest's, written directly.
    let config = Config {
        pmu_ver: PmuVer::V3P7,
        ..cfg(6)
    };
    let mut h = Hyp::new(config, 2, &[false], &[4, 4], EventFilter::allow_all(), true);
    h.cpus[0].core.assume_clean();
    h.run(0, 0);
    h.write(0, enc::<PMCR_EL0>(), E | FZO);
    h.put(0);
    h.run(0, 1);
    h.write(0, enc::<PMCR_EL0>(), E);
    h.put(0);
    // vCPU 0 reads back what it wrote.
    h.run(0, 0);
    assert_eq!(h.value(0, enc::<PMCR_EL0>()) & (E | FZO), E | FZO);
    h.put(0);
    // vCPU 1 does not inherit vCPU 0's FZO.
    h.run(0, 1);
    assert_eq!(h.value(0, enc::<PMCR_EL0>()) & (E | FZO), E);
}

#[test]
fn set_regs_restores_a_vcpu() {
    let mut h = Hyp::simple(6, 2, 4, true);
    h.vcpus[0].set_regs(busy(4));
    assert_eq!(h.vcpus[0].ownership(), Ownership::Owned);
    h.run(0, 0);
    assert_eq!(h.value(0, evcntr(3)), 1003);
    assert_eq!(h.value(0, evtyper(3)), u64::from(INST_RETIRED) | F_NSH);
    assert_eq!(h.value(0, enc::<PMCCFILTR_EL0>()), F_U);
    assert!(!h.vcpus[0].set_regs(busy(4)), "not while loaded");
    h.put(0);
    let mut r = busy(4);
    r.pmevcntr[3] = 5;
    assert!(h.vcpus[0].set_regs(r));
    h.run(0, 0);
    assert_eq!(h.value(0, evcntr(3)), 5, "the resident copy was dropped");
}
