//! The trap configuration as the guest meets it: which of its accesses reach EL2, in direct,
//! trapped and untouched (lazy) mode, checked by guest accesses on the model with the core's
//! MDCR_EL2 and fine-grained trap values in place.

mod common;
use common::*;

/// A PMU register access: (name, encoding, is a read).
type Probe = (&'static str, Encoding, bool);

/// Every base PMUv3 register, in each direction it exists, for a guest with `hpmn` counters on
/// a CPU with `n` (event counter n-1 stands for the counters at or above HPMN).
fn probes(n: usize) -> Vec<Probe> {
    let mut v: Vec<Probe> = Vec::new();
    let both = |v: &mut Vec<Probe>, name, e| {
        v.push((name, e, true));
        v.push((name, e, false));
    };
    both(&mut v, "PMCR_EL0", enc::<PMCR_EL0>());
    both(&mut v, "PMCNTENSET_EL0", enc::<PMCNTENSET_EL0>());
    both(&mut v, "PMCNTENCLR_EL0", enc::<PMCNTENCLR_EL0>());
    both(&mut v, "PMINTENSET_EL1", enc::<PMINTENSET_EL1>());
    both(&mut v, "PMINTENCLR_EL1", enc::<PMINTENCLR_EL1>());
    both(&mut v, "PMOVSSET_EL0", enc::<PMOVSSET_EL0>());
    both(&mut v, "PMOVSCLR_EL0", enc::<PMOVSCLR_EL0>());
    v.push(("PMSWINC_EL0", enc::<PMSWINC_EL0>(), false));
    both(&mut v, "PMSELR_EL0", enc::<PMSELR_EL0>());
    v.push(("PMCEID0_EL0", enc::<PMCEID0_EL0>(), true));
    v.push(("PMCEID1_EL0", enc::<PMCEID1_EL0>(), true));
    v.push(("PMMIR_EL1", enc::<PMMIR_EL1>(), true));
    both(&mut v, "PMCCNTR_EL0", enc::<PMCCNTR_EL0>());
    both(&mut v, "PMCCFILTR_EL0", enc::<PMCCFILTR_EL0>());
    both(&mut v, "PMXEVCNTR_EL0", enc::<PMXEVCNTR_EL0>());
    both(&mut v, "PMXEVTYPER_EL0", enc::<PMXEVTYPER_EL0>());
    both(&mut v, "PMUSERENR_EL0", enc::<PMUSERENR_EL0>());
    both(&mut v, "PMEVCNTR0_EL0", evcntr(0));
    both(&mut v, "PMEVTYPER0_EL0", evtyper(0));
    both(&mut v, "PMEVCNTR<N-1>_EL0", evcntr(n - 1));
    both(&mut v, "PMEVTYPER<N-1>_EL0", evtyper(n - 1));
    v
}

/// What `probe` does on `pmu` (PMSELR_EL0 left at 0).
fn attempt(pmu: &mut CpuPmu, probe: Probe) -> (GuestAccess, Option<TrapCause>) {
    pmu.set_raw(enc::<PMSELR_EL0>(), 0);
    let (_, e, read) = probe;
    let r = pmu.guest_access(El::El1, e, if read { None } else { Some(0) });
    (r, pmu.last_trap_cause())
}

/// In direct mode exactly these trap (below HPMN).
fn direct_traps(name: &str, read: bool) -> bool {
    matches!(
        name,
        "PMOVSSET_EL0" | "PMOVSCLR_EL0" | "PMCCFILTR_EL0" | "PMXEVTYPER_EL0" | "PMEVTYPER0_EL0"
    ) || (read && matches!(name, "PMCEID0_EL0" | "PMCEID1_EL0" | "PMMIR_EL1"))
}

#[test]
fn direct_mode_traps_exactly_types_filters_overflow_status_and_ids() {
    // PMUv3p5 has PMMIR_EL1 (PMUv3p4).
    let mut h = Hyp::simple(6, 2, 4, false);
    h.run(0, 0);
    // Claim the PMU (the first access traps).
    let out = h.guest_ex(0, El::El1, enc::<PMCNTENSET_EL0>(), None, 0);
    assert!(out.claimed);
    assert_eq!(h.vcpus[0].ownership(), Ownership::Owned);
    let pmu = h.pmu(0);
    assert_eq!(pmu.hpmn(), 4);
    for probe in probes(6) {
        let (name, _, read) = probe;
        let (r, cause) = attempt(pmu, probe);
        if name.ends_with("<N-1>_EL0") {
            // Counter 5 is the host's: at or above HPMN, so it traps (and is refused); an event
            // type's fine-grained trap comes first.
            let want = if name.starts_with("PMEVTYPER") {
                TrapCause::FineGrained
            } else {
                TrapCause::Hpmn
            };
            assert_eq!(cause, Some(want), "{name} read {read}");
        } else if direct_traps(name, read) {
            assert_eq!(cause, Some(TrapCause::FineGrained), "{name} read {read}");
        } else {
            assert!(
                matches!(r, GuestAccess::Read(_) | GuestAccess::Written),
                "{name} read {read}: {r:?}"
            );
        }
    }
    // PMXEVCNTR_EL0 through a selector at or above HPMN traps like the counter.
    pmu.set_raw(enc::<PMSELR_EL0>(), 4);
    assert!(matches!(
        pmu.guest_access(El::El1, enc::<PMXEVCNTR_EL0>(), None),
        GuestAccess::Trap { .. }
    ));
    assert_eq!(pmu.last_trap_cause(), Some(TrapCause::Hpmn));
    assert_eq!(pmu.el2_undefined + pmu.constrained_unpredictable, 0);
}

#[test]
fn with_fgt2_the_instruction_counter_pmzr_and_pmuacr_trap_too() {
    let config = Config {
        counters: 6,
        pmu_ver: PmuVer::V3P9,
        hpmn0: true,
        fgt: Fgt::FGT2,
        icntr: true,
    };
    let mut h = Hyp::new(config, 2, &[false], &[4], EventFilter::allow_all(), true);
    h.run(0, 0);
    h.read(0, enc::<PMCR_EL0>()); // claims
    let pmu = h.pmu(0);
    let fgt2: [(Encoding, bool); 7] = [
        (enc::<PMICNTR_EL0>(), true),
        (enc::<PMICNTR_EL0>(), false),
        (enc::<PMICFILTR_EL0>(), true),
        (enc::<PMICFILTR_EL0>(), false),
        (enc::<PMZR_EL0>(), false),
        (enc::<PMUACR_EL1>(), true),
        (enc::<PMUACR_EL1>(), false),
    ];
    for (e, read) in fgt2 {
        let r = pmu.guest_access(El::El1, e, if read { None } else { Some(F0 | 1) });
        assert!(matches!(r, GuestAccess::Trap { .. }), "{e:?} read {read}");
        assert_eq!(pmu.last_trap_cause(), Some(TrapCause::FineGrained));
    }
    // The rest is as without FEAT_FGT2.
    for probe in probes(6) {
        let (name, _, read) = probe;
        let (_, cause) = attempt(pmu, probe);
        if !name.ends_with("<N-1>_EL0") {
            assert_eq!(
                cause.is_some(),
                direct_traps(name, read),
                "{name} read {read}"
            );
        }
    }
    // And the core refuses them: the instruction counter is the host's.
    for (e, read) in fgt2 {
        let out = h.guest(0, El::El1, e, if read { None } else { Some(F0 | 1) });
        assert_eq!(out, GuestAccess::Undefined, "{e:?} read {read}");
    }
    h.check_architectural();
}

#[test]
fn trapped_and_untouched_vcpus_trap_everything() {
    // Untouched (lazy) vCPU on a CPU with FEAT_FGT, and an owned vCPU without FEAT_FGT.
    let no_fgt = Config {
        fgt: Fgt::NI,
        ..cfg(6)
    };
    for (config, claim) in [(cfg(6), false), (no_fgt, true), (cfg(6), true)] {
        let mut h = Hyp::new(config, 2, &[false], &[4], EventFilter::allow_all(), false);
        h.run(0, 0);
        if claim {
            let out = h.guest_ex(0, El::El1, enc::<PMCR_EL0>(), None, 0);
            assert!(out.trapped.is_some() && out.claimed);
        }
        let direct = config.fgt == Fgt::IMP && claim;
        assert_eq!(
            h.vcpus[0].ownership(),
            if claim {
                Ownership::Owned
            } else {
                Ownership::Untouched
            }
        );
        let pmu = h.pmu(0);
        for probe in probes(6) {
            let (name, _, read) = probe;
            let (r, cause) = attempt(pmu, probe);
            if direct {
                continue;
            }
            assert!(
                matches!(r, GuestAccess::Trap { .. }),
                "{name} read {read} ({config:?}, claimed {claim}): {r:?}"
            );
            assert!(cause.is_some());
        }
        if !direct {
            let mdcr = MdcrEl2::from_bits(pmu.mdcr());
            assert!(mdcr.tpm() && mdcr.tpmcr());
        }
        assert_eq!(pmu.el2_undefined + pmu.constrained_unpredictable, 0);
    }
}

#[test]
fn el0_accesses_pmuserenr_denies_never_reach_el2() {
    let mut h = Hyp::simple(6, 2, 4, false);
    h.run(0, 0);
    // Untouched: PMUSERENR_EL0 is the reset 0, so EL0 gets UNDEFINED (an EL1 matter).
    assert_eq!(
        h.guest(0, El::El0, enc::<PMCCNTR_EL0>(), None),
        GuestAccess::Undefined
    );
    assert_eq!(h.vcpus[0].ownership(), Ownership::Untouched);
    // The guest's kernel grants EL0 access; then EL0 reads the cycle counter directly.
    assert_eq!(h.write(0, enc::<PMUSERENR_EL0>(), EN), GuestAccess::Written);
    let out = h.guest_ex(0, El::El0, enc::<PMCCNTR_EL0>(), None, 2);
    assert_eq!(out.trapped, None);
    assert!(matches!(out.result, GuestAccess::Read(_)));
}

#[test]
fn the_guest_traps_set_the_counting_controls() {
    let mut h = Hyp::simple(6, 2, 3, false);
    let t = h.vcpus[0].traps(true);
    assert_eq!(t.mdcr.hpmn(), 3);
    assert!(t.mdcr.hpme(), "host counters count while the guest runs");
    assert!(t.mdcr.hpmd() && t.mdcr.hccd(), "guest counters stop at EL2");
    assert!(
        t.mdcr.hlp(),
        "the host's counters keep their 64-bit overflow"
    );
    assert!(!h.vcpus[0].traps(false).mdcr.hlp());
    let host = h.cpus[0].core.host_traps(true);
    assert_eq!(
        host.mdcr.hpmn(),
        4,
        "the partition stays while the host runs"
    );
    assert!(host.mdcr.hpme() && host.mdcr.hpmd() && host.mdcr.hccd() && host.mdcr.hlp());
    assert!(!host.mdcr.tpm() && !host.mdcr.tpmcr());
    // PMUv3 without p1/p5: no HPMD, HCCD, HLP to set (they are RES0).
    let config = Config {
        pmu_ver: PmuVer::IMP,
        ..cfg(6)
    };
    h = Hyp::new(config, 2, &[false], &[4], EventFilter::allow_all(), true);
    let t = h.vcpus[0].traps(true);
    assert!(!t.mdcr.hpmd() && !t.mdcr.hccd() && !t.mdcr.hlp());
}

#[test]
fn without_fgt2_the_hosts_instruction_counter_is_out_of_a_guests_reach() {
    // FEAT_PMUv3_ICNTR without FEAT_FGT2: only TPM can trap PMICNTR_EL0.
    let config = Config {
        counters: 6,
        pmu_ver: PmuVer::V3P5,
        hpmn0: true,
        fgt: Fgt::IMP,
        icntr: true,
    };
    let mut h = Hyp::new(config, 2, &[false], &[4], EventFilter::allow_all(), true);
    h.pmu(0).set_instruction_counter(1234);
    h.run(0, 0);
    h.read(0, enc::<PMCR_EL0>()); // claims
    assert_eq!(
        h.write(0, enc::<PMICNTR_EL0>(), 0),
        GuestAccess::Undefined,
        "the guest must not write the host's instruction counter"
    );
    assert_eq!(h.read(0, enc::<PMICNTR_EL0>()), GuestAccess::Undefined);
    assert_eq!(
        h.write(0, enc::<PMICFILTR_EL0>(), F_U),
        GuestAccess::Undefined
    );
    assert_eq!(h.pmu(0).instruction_counter(), 1234);
    // Nor see its enable or overflow bit.
    unsafe { h.pmu(0).write::<PMCNTENSET_EL0>(PmuCounters::from_bits(F0)) };
    assert_eq!(h.value(0, enc::<PMCNTENSET_EL0>()) & F0, 0);
    h.check_architectural();
}
