//! Trapped-access emulation of every PMU register, in direct mode (where only event types,
//! filters, overflow status and ID-like registers trap) and in trapped mode (everything traps:
//! no FEAT_FGT).

mod common;
use common::*;

/// The two modes: (name, configuration). 6 counters, PMUv3p5 (so PMMIR_EL1 exists).
fn modes() -> [(&'static str, Config); 2] {
    [
        ("direct", cfg(6)),
        (
            "trapped",
            Config {
                fgt: Fgt::NI,
                ..cfg(6)
            },
        ),
    ]
}

/// A vCPU with 3 counters on a CPU whose host keeps counters 4 and 5 counting; counter 3 is in
/// the guests' range but not this vCPU's. The vCPU is running and has claimed its PMU.
fn setup(config: Config) -> Hyp {
    let mut h = Hyp::new(config, 2, &[false], &[3], EventFilter::allow_all(), true);
    h.cpus[0].core.assume_clean();
    h.host_program(0, 4, F_NSH | u64::from(CPU_CYCLES), 0x100, true);
    h.host_program(0, 5, u64::from(INST_RETIRED), 0x200, false);
    h.run(0, 0);
    assert_eq!(h.value(0, enc::<PMCNTENSET_EL0>()), 0, "claims");
    assert_eq!(h.vcpus[0].ownership(), Ownership::Owned);
    h
}

fn finish(h: &mut Hyp) {
    h.exit(0);
    h.check_host(0);
    h.check_architectural();
}

#[test]
fn pmcr_reads_the_vcpus_n_and_p_resets_only_its_counters() {
    for (mode, config) in modes() {
        let mut h = setup(config);
        let pmcr = PmcrEl0::from_bits(h.value(0, enc::<PMCR_EL0>()));
        assert_eq!(pmcr.n(), 3, "{mode}");
        for i in 0..3 {
            h.write(0, evcntr(i), 50 + i as u64);
        }
        h.write(0, enc::<PMCCNTR_EL0>(), 60);
        // Counter 3 (nobody's now) holds a value the guest must not reset either.
        h.pmu(0).set_counter(3, 70);
        assert_eq!(
            h.write(0, enc::<PMCR_EL0>(), E | P | LC),
            GuestAccess::Written
        );
        for i in 0..3 {
            assert_eq!(h.value(0, evcntr(i)), 0, "{mode}: counter {i}");
        }
        assert_eq!(
            h.value(0, enc::<PMCCNTR_EL0>()),
            60,
            "P leaves the cycle counter"
        );
        assert_eq!(h.pmu(0).counter(3), 70, "{mode}");
        h.write(0, enc::<PMCR_EL0>(), E | CR | LC);
        assert_eq!(h.value(0, enc::<PMCCNTR_EL0>()), 0, "{mode}: C");
        let pmcr = h.value(0, enc::<PMCR_EL0>());
        assert_eq!(pmcr & 0xff, E | LC, "{mode}: P and C read as 0");
        assert_eq!(PmcrEl0::from_bits(pmcr).n(), 3);
        finish(&mut h);
    }
}

#[test]
fn the_selector_registers_use_the_hardware_pmselr() {
    for (mode, config) in modes() {
        let mut h = setup(config);
        h.write(0, enc::<PMSELR_EL0>(), 2);
        assert_eq!(
            h.pmu(0).pmselr(),
            2,
            "{mode}: PMSELR is the guest's, in hardware"
        );
        assert_eq!(h.write(0, enc::<PMXEVCNTR_EL0>(), 33), GuestAccess::Written);
        assert_eq!(h.value(0, evcntr(2)), 33, "{mode}");
        assert_eq!(h.value(0, enc::<PMXEVCNTR_EL0>()), 33);
        let t = u64::from(STALL) | F_U;
        assert_eq!(h.write(0, enc::<PMXEVTYPER_EL0>(), t), GuestAccess::Written);
        assert_eq!(h.value(0, evtyper(2)), t, "{mode}");
        assert_eq!(h.value(0, enc::<PMXEVTYPER_EL0>()), t);
        assert_eq!(h.pmu(0).evtyper(2), u64::from(STALL) | F_U | F_M);
        // SEL 31 selects PMCCFILTR_EL0 for the type, nothing for the counter.
        h.write(0, enc::<PMSELR_EL0>(), 31);
        assert_eq!(
            h.write(0, enc::<PMXEVTYPER_EL0>(), F_P),
            GuestAccess::Written
        );
        assert_eq!(h.value(0, enc::<PMCCFILTR_EL0>()), F_P, "{mode}");
        assert_eq!(h.pmu(0).ccfiltr() & (F_P | F_U), F_P);
        assert_eq!(h.read(0, enc::<PMXEVCNTR_EL0>()), GuestAccess::Undefined);
        // SEL at or above the vCPU's counters: refused, the hardware untouched.
        for sel in [3, 4, 5] {
            h.write(0, enc::<PMSELR_EL0>(), sel);
            assert_eq!(h.read(0, enc::<PMXEVCNTR_EL0>()), GuestAccess::Undefined);
            assert_eq!(
                h.write(0, enc::<PMXEVCNTR_EL0>(), 1),
                GuestAccess::Undefined,
                "{mode}: sel {sel}"
            );
            assert_eq!(h.read(0, enc::<PMXEVTYPER_EL0>()), GuestAccess::Undefined);
            assert_eq!(
                h.write(0, enc::<PMXEVTYPER_EL0>(), 0),
                GuestAccess::Undefined
            );
        }
        finish(&mut h);
    }
}

#[test]
fn counters_at_or_above_the_vcpus_hpmn_are_refused() {
    for (mode, config) in modes() {
        let mut h = setup(config);
        for i in 3..6 {
            assert_eq!(h.read(0, evcntr(i)), GuestAccess::Undefined, "{mode} {i}");
            assert_eq!(h.write(0, evcntr(i), 1), GuestAccess::Undefined);
            assert_eq!(h.read(0, evtyper(i)), GuestAccess::Undefined);
            assert_eq!(h.write(0, evtyper(i), 0), GuestAccess::Undefined);
        }
        // Beyond N: UNDEFINED without reaching EL2 (FEAT_FGT) or refused.
        assert_eq!(h.read(0, evcntr(30)), GuestAccess::Undefined);
        // Bits of counters that are not the vCPU's: RAZ/WI.
        for e in [
            enc::<PMCNTENSET_EL0>(),
            enc::<PMINTENSET_EL1>(),
            enc::<PMOVSSET_EL0>(),
        ] {
            h.write(0, e, u64::MAX);
            assert_eq!(h.value(0, e), 0b111 | C, "{mode}: {e:?}");
        }
        for e in [
            enc::<PMCNTENCLR_EL0>(),
            enc::<PMINTENCLR_EL1>(),
            enc::<PMOVSCLR_EL0>(),
        ] {
            h.write(0, e, u64::MAX);
            assert_eq!(h.value(0, e), 0, "{mode}: {e:?}");
        }
        finish(&mut h);
    }
}

#[test]
fn overflow_status_is_the_virtual_copy() {
    for (mode, config) in modes() {
        let mut h = setup(config);
        h.write(0, enc::<PMOVSSET_EL0>(), 0b101);
        assert_eq!(h.value(0, enc::<PMOVSSET_EL0>()), 0b101, "{mode}");
        assert_eq!(h.value(0, enc::<PMOVSCLR_EL0>()), 0b101);
        assert_eq!(h.pmu(0).pmovs() & 0b111, 0, "{mode}: not in hardware");
        h.write(0, enc::<PMOVSCLR_EL0>(), 0b1);
        assert_eq!(h.value(0, enc::<PMOVSSET_EL0>()), 0b100);
        assert_eq!(h.vcpus[0].regs().pmovs, 0b100);
        finish(&mut h);
    }
}

#[test]
fn clearing_an_overflow_the_hardware_still_holds() {
    // A counter overflows with its interrupt off: the flag stays in hardware (no interrupt
    // takes it). The guest clears it without reading it first: it must stay clear.
    for (mode, config) in modes() {
        let mut h = setup(config);
        h.write(0, enc::<PMCR_EL0>(), E);
        h.write(0, enc::<PMCNTENSET_EL0>(), 0b1);
        h.write(0, evtyper(0), u64::from(CPU_CYCLES));
        h.write(0, evcntr(0), 0xffff_fff0);
        h.count(0, Level::El1, CPU_CYCLES, 0x20);
        h.write(0, enc::<PMOVSCLR_EL0>(), 0b1);
        assert_eq!(h.value(0, enc::<PMOVSSET_EL0>()), 0, "{mode}");
        h.put(0);
        assert_eq!(h.vcpus[0].regs().pmovs, 0, "{mode}: after put");
        h.run(0, 0);
        assert_eq!(h.value(0, enc::<PMOVSSET_EL0>()), 0);
        finish(&mut h);
    }
}

#[test]
fn pmmir_reads_zero_and_pmceid_is_filtered() {
    for (mode, config) in modes() {
        let mut h = Hyp::new(config, 2, &[false], &[3], filter_without_inst(), true);
        h.cpus[0].core.assume_clean();
        h.pmu(0).set_pmmir(0xabcd);
        h.run(0, 0);
        assert_eq!(
            h.read(0, enc::<PMMIR_EL1>()),
            GuestAccess::Read(0),
            "{mode}"
        );
        assert_eq!(h.write(0, enc::<PMMIR_EL1>(), 1), GuestAccess::Undefined);
        let ceid = h.value(0, enc::<PMCEID0_EL0>());
        assert_eq!(ceid & 1 << INST_RETIRED, 0, "{mode}");
        assert_ne!(ceid & 1 << CPU_CYCLES, 0);
        assert_eq!(h.write(0, enc::<PMCEID0_EL0>(), 0), GuestAccess::Undefined);
        finish(&mut h);
    }
}

fn filter_without_inst() -> EventFilter {
    let mut f = EventFilter::allow_all();
    f.deny(INST_RETIRED);
    f
}

#[test]
fn counters_enables_and_controls_round_trip() {
    for (mode, config) in modes() {
        let mut h = setup(config);
        for (e, v) in [
            (evcntr(0), 0x1_2345_6789),
            (evcntr(2), 7),
            (enc::<PMCCNTR_EL0>(), u64::MAX - 3),
            (enc::<PMSELR_EL0>(), 1),
            (enc::<PMUSERENR_EL0>(), 0b1101),
        ] {
            assert_eq!(h.write(0, e, v), GuestAccess::Written, "{mode}: {e:?}");
            assert_eq!(h.value(0, e), v, "{mode}: {e:?}");
        }
        h.write(0, enc::<PMCNTENSET_EL0>(), 0b101 | C);
        h.write(0, enc::<PMCNTENCLR_EL0>(), 0b100);
        assert_eq!(h.value(0, enc::<PMCNTENSET_EL0>()), 0b1 | C);
        h.write(0, enc::<PMINTENSET_EL1>(), 0b10);
        assert_eq!(h.value(0, enc::<PMINTENCLR_EL1>()), 0b10);
        // The host's enables are untouched by any of it.
        finish(&mut h);
    }
}

#[test]
fn software_increment_counts_the_guests_sw_incr_counters() {
    for (mode, config) in modes() {
        let mut h = setup(config);
        h.write(0, enc::<PMCR_EL0>(), E);
        h.write(0, enc::<PMCNTENSET_EL0>(), 0b111);
        h.write(0, enc::<PMINTENSET_EL1>(), 0b100);
        h.write(0, evtyper(0), u64::from(SW_INCR));
        h.write(0, evtyper(1), u64::from(SW_INCR) | F_P); // not at EL1
        h.write(0, evtyper(2), u64::from(SW_INCR));
        h.write(0, evcntr(2), 0xffff_ffff);
        // Bits of counters that are not the vCPU's are ignored.
        assert_eq!(
            h.write(0, enc::<PMSWINC_EL0>(), 0b11_1111),
            GuestAccess::Written
        );
        assert_eq!(h.value(0, evcntr(0)), 1, "{mode}");
        assert_eq!(h.value(0, evcntr(1)), 0, "{mode}: filtered at EL1");
        assert_eq!(
            h.value(0, evcntr(2)) & 0xffff_ffff,
            0,
            "{mode}: overflowed at 32 bits (LP = 0)"
        );
        assert_eq!(
            h.value(0, enc::<PMOVSSET_EL0>()),
            0b100,
            "{mode}: overflowed"
        );
        assert!(h.lines.level(0), "{mode}: the overflow interrupt");
        // EL0 with PMUSERENR_EL0.SW.
        h.write(0, enc::<PMUSERENR_EL0>(), 0b10);
        assert_eq!(
            h.guest(0, El::El0, enc::<PMSWINC_EL0>(), Some(0b11)),
            GuestAccess::Written
        );
        assert_eq!(h.value(0, evcntr(0)), 2, "{mode}");
        assert_eq!(h.value(0, evcntr(1)), 1, "{mode}: counts at EL0");
        finish(&mut h);
    }
}

#[test]
fn the_hosts_registers_and_unknown_ones_are_refused() {
    let config = Config {
        counters: 6,
        pmu_ver: PmuVer::V3P9,
        hpmn0: true,
        fgt: Fgt::FGT2,
        icntr: true,
    };
    let mut h = Hyp::new(config, 2, &[false], &[3], EventFilter::allow_all(), true);
    h.pmu(0).set_instruction_counter(77);
    h.run(0, 0);
    for (e, w) in [
        (enc::<PMICNTR_EL0>(), None),
        (enc::<PMICNTR_EL0>(), Some(0)),
        (enc::<PMICFILTR_EL0>(), Some(0)),
        (enc::<PMZR_EL0>(), Some(u64::MAX)),
        (enc::<PMUACR_EL1>(), Some(u64::MAX)),
    ] {
        assert_eq!(h.guest(0, El::El1, e, w), GuestAccess::Undefined, "{e:?}");
    }
    assert_eq!(h.pmu(0).instruction_counter(), 77);
    // A trap of a register that is not the PMU's is for the hypervisor's other handlers.
    let trap = SysRegTrap::from_esr(esr(Encoding::new(3, 0, 1, 0, 0).iss() | 1, 0)).unwrap();
    let cpu = &mut h.cpus[0];
    let before = (cpu.pmu.reads, cpu.pmu.writes);
    let handled = h.vcpus[0].handle_trap(
        &mut cpu.core,
        &h.filter,
        &mut cpu.pmu,
        &mut h.lines,
        trap,
        0,
    );
    assert_eq!(handled.emulation, Emulation::NotPmu);
    assert_eq!((cpu.pmu.reads, cpu.pmu.writes), before);
    h.check_architectural();
}

#[test]
fn a_trap_for_a_vcpu_not_loaded_there_is_refused() {
    let mut h = Hyp::new(
        cfg(6),
        2,
        &[false, false],
        &[3],
        EventFilter::allow_all(),
        true,
    );
    h.run(0, 0);
    let trap = SysRegTrap::from_esr(esr(evcntr(0).iss(), 0)).unwrap();
    let cpu = &mut h.cpus[1];
    let handled = h.vcpus[0].handle_trap(
        &mut cpu.core,
        &h.filter,
        &mut cpu.pmu,
        &mut h.lines,
        trap,
        5,
    );
    assert_eq!(handled.emulation, Emulation::Undefined);
    assert_eq!((cpu.pmu.reads, cpu.pmu.writes), (0, 0));
    assert_eq!(h.vcpus[0].ownership(), Ownership::Untouched);
}

#[test]
fn the_first_access_is_emulated_after_claiming() {
    for (mode, config) in modes() {
        let mut h = Hyp::new(config, 2, &[false], &[3], EventFilter::allow_all(), true);
        h.run(0, 0);
        let out = h.guest_ex(0, El::El1, enc::<PMCNTENSET_EL0>(), Some(0b11 | C), 4);
        assert!(out.claimed, "{mode}");
        assert_eq!(out.result, GuestAccess::Written);
        assert_eq!(h.pmu(0).pmcnten() & guest_bits(3), 0b11 | C, "{mode}");
        assert_eq!(h.value(0, enc::<PMCNTENSET_EL0>()), 0b11 | C);
        h.exit(0);
        h.check_architectural();
    }
}
