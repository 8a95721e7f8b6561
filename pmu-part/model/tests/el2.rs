//! EL2 software's view of the PMU, through `aarch64_sysregs::Backend`.

mod common;
use aarch64_sysregs::{
    id_aa64dfr0_el1::{Hpmn0, IdAa64dfr0El1},
    id_aa64dfr1_el1::{IdAa64dfr1El1, Pmicntr},
    id_aa64mmfr0_el1::IdAa64mmfr0El1,
    pmcr_el0::PmcrEl0,
    pmevcntrx_el0::PmevcntrxEl0,
    pmevtyperx_el0::PmevtyperxEl0,
};
use common::*;

#[test]
fn id_registers_describe_the_configuration() {
    let mut p = CpuPmu::new(Config {
        counters: 8,
        pmu_ver: PmuVer::V3P9,
        hpmn0: true,
        fgt: Fgt::FGT2,
        icntr: true,
    });
    let dfr0 = IdAa64dfr0El1::from_bits(rd::<ID_AA64DFR0_EL1>(&mut p));
    assert_eq!(dfr0.pmu_ver(), PmuVer::V3P9);
    assert_eq!(dfr0.hpmn0(), Hpmn0::IMP);
    assert_eq!(dfr0.to_bits() >> 8 & 0xf, 0b1001, "PMUVer is bits 11:8");
    assert_eq!(dfr0.to_bits() >> 60, 1, "HPMN0 is bits 63:60");
    let dfr1 = IdAa64dfr1El1::from_bits(rd::<ID_AA64DFR1_EL1>(&mut p));
    assert_eq!(dfr1.pmicntr(), Pmicntr::IMP);
    assert_eq!(dfr1.to_bits() >> 36 & 0xf, 1, "PMICNTR is bits 39:36");
    let mmfr0 = IdAa64mmfr0El1::from_bits(rd::<ID_AA64MMFR0_EL1>(&mut p));
    assert_eq!(mmfr0.fgt(), Fgt::FGT2);
    assert_eq!(mmfr0.to_bits() >> 56 & 0xf, 2, "FGT is bits 59:56");

    let mut q = CpuPmu::new(Config {
        counters: 3,
        pmu_ver: PmuVer::IMP,
        hpmn0: false,
        fgt: Fgt::NI,
        icntr: false,
    });
    let dfr0 = IdAa64dfr0El1::from_bits(rd::<ID_AA64DFR0_EL1>(&mut q));
    assert_eq!(dfr0.pmu_ver(), PmuVer::IMP);
    assert_eq!(dfr0.hpmn0(), Hpmn0::NI);
    assert_eq!(rd::<ID_AA64DFR1_EL1>(&mut q) >> 36 & 0xf, 0);
    assert_eq!(rd::<ID_AA64MMFR0_EL1>(&mut q) >> 56 & 0xf, 0);
}

#[test]
fn reset_values() {
    let mut p = pmu(6);
    // MDCR_EL2.HPMN resets to PMCR_EL0.N; PMCR_EL0.E resets to 0.
    assert_eq!(p.mdcr() & 0x1f, 6);
    assert_eq!(p.hpmn(), 6);
    assert_eq!(rd::<MDCR_EL2>(&mut p), 6);
    let pmcr = PmcrEl0::from_bits(rd::<PMCR_EL0>(&mut p));
    assert_eq!(pmcr.n(), 6);
    assert!(!pmcr.e());
    // Changing the state and resetting restores it.
    set_mdcr(&mut p, mdcr_partition(2));
    wr::<PMCR_EL0>(&mut p, E);
    p.set_counter(1, 5);
    p.reset();
    assert_eq!(p.mdcr(), 6);
    assert_eq!(p.pmcr(), 6 << 11);
    assert_eq!(p.counter(1), 0);
}

#[test]
fn pmcr_n_reads_the_real_n_at_el2_whatever_hpmn_is() {
    let mut p = pmu(6);
    set_mdcr(&mut p, mdcr_partition(2));
    assert_eq!(PmcrEl0::from_bits(rd::<PMCR_EL0>(&mut p)).n(), 6);
    // N is read-only: writing another N changes nothing.
    wr::<PMCR_EL0>(&mut p, PmcrEl0::from_bits(0).with_n(3).to_bits());
    assert_eq!(PmcrEl0::from_bits(rd::<PMCR_EL0>(&mut p)).n(), 6);
    // Counter configurations from none to all 31 (and a value above 31, taken as 31).
    for n in [0u8, 1, 30, 31, 200] {
        let mut q = pmu(n);
        assert_eq!(
            PmcrEl0::from_bits(rd::<PMCR_EL0>(&mut q)).n(),
            n.min(31),
            "N={n}"
        );
        assert_eq!(q.counters(), n.min(31));
    }
}

#[test]
fn pmcr_p_at_el2_resets_every_event_counter_and_c_the_cycle_counter() {
    let mut p = pmu(6);
    set_mdcr(&mut p, mdcr_partition(2));
    for i in 0..6 {
        p.set_counter(i, 100 + i as u64);
    }
    p.set_cycle_counter(77);
    p.set_pmovs(0b11 | C);
    wr::<PMCR_EL0>(&mut p, P);
    for i in 0..6 {
        assert_eq!(p.counter(i), 0, "counter {i}: EL2 resets both ranges");
    }
    assert_eq!(p.cycle_counter(), 77, "P does not reset PMCCNTR_EL0");
    assert_eq!(p.pmovs(), 0b11 | C, "P does not clear overflow flags");
    wr::<PMCR_EL0>(&mut p, CR);
    assert_eq!(p.cycle_counter(), 0);
    // P and C are write-only: they read as zero.
    wr::<PMCR_EL0>(&mut p, E | P | CR | LC);
    assert_eq!(rd::<PMCR_EL0>(&mut p) & 0x7ff, E | LC);
}

#[test]
fn pmcr_reset_clears_all_64_bits_of_a_counter() {
    let mut p = pmu(2);
    p.set_counter(0, 0xdead_0000_beef);
    wr::<PMCR_EL0>(&mut p, P);
    assert_eq!(p.counter(0), 0);
}

#[test]
fn set_and_clear_registers_work_on_implemented_bits() {
    let mut p = pmu(4);
    let all = u64::MAX;
    for (set, clr) in [
        (enc::<PMCNTENSET_EL0>(), enc::<PMCNTENCLR_EL0>()),
        (enc::<PMINTENSET_EL1>(), enc::<PMINTENCLR_EL1>()),
        (enc::<PMOVSSET_EL0>(), enc::<PMOVSCLR_EL0>()),
    ] {
        p.write_encoding(set, all);
        assert_eq!(
            p.read_encoding(set),
            0xf | C,
            "{set:?}: 4 counters and C, no F0"
        );
        assert_eq!(
            p.read_encoding(clr),
            0xf | C,
            "{clr:?} reads the same state"
        );
        p.write_encoding(clr, 0b0101);
        assert_eq!(p.read_encoding(set), 0b1010 | C);
        p.write_encoding(set, 0);
        assert_eq!(
            p.read_encoding(set),
            0b1010 | C,
            "writing 0 changes nothing"
        );
        p.write_encoding(clr, C | 1 << 20);
        assert_eq!(p.read_encoding(set), 0b1010);
        p.write_encoding(clr, all);
        assert_eq!(p.read_encoding(set), 0);
    }
    assert_eq!(p.el2_undefined, 0);
}

#[test]
fn f0_bits_exist_only_with_the_instruction_counter() {
    let mut with = CpuPmu::new(Config {
        icntr: true,
        ..cfg(2)
    });
    wr::<PMCNTENSET_EL0>(&mut with, u64::MAX);
    assert_eq!(rd::<PMCNTENSET_EL0>(&mut with), 0b11 | C | F0);
    let mut without = pmu(2);
    wr::<PMCNTENSET_EL0>(&mut without, u64::MAX);
    assert_eq!(rd::<PMCNTENSET_EL0>(&mut without), 0b11 | C);
}

#[test]
fn unimplemented_counters_are_raz_wi_and_counted_as_undefined() {
    let mut p = pmu(4);
    // With FEAT_FGT, PMEVCNTR<n>_EL0 for n >= N is UNDEFINED: the model reads zero, ignores
    // the write and counts the access.
    assert!(unsafe { PMEVCNTRn_EL0::write(&mut p, 4, PmevcntrxEl0::from_bits(9)) });
    assert_eq!(PMEVCNTRn_EL0::read(&mut p, 4).map(|v| v.to_bits()), Some(0));
    assert!(unsafe { PMEVTYPERn_EL0::write(&mut p, 30, PmevtyperxEl0::from_bits(8)) });
    assert_eq!(
        PMEVTYPERn_EL0::read(&mut p, 30).map(|v| v.to_bits()),
        Some(0)
    );
    assert_eq!(p.el2_undefined, 4);
    assert_eq!(p.constrained_unpredictable, 0);
    assert_eq!(p.counter(4), 0);

    // Without FEAT_FGT the same accesses are CONSTRAINED UNPREDICTABLE (the model: RAZ/WI).
    let mut q = CpuPmu::new(Config {
        fgt: Fgt::NI,
        ..cfg(4)
    });
    assert!(unsafe { PMEVCNTRn_EL0::write(&mut q, 5, PmevcntrxEl0::from_bits(9)) });
    assert_eq!(q.el2_undefined, 0);
    assert_eq!(q.constrained_unpredictable, 1);
}

#[test]
fn selected_counter_registers_follow_pmselr() {
    let mut p = pmu(4);
    wr::<PMSELR_EL0>(&mut p, 2);
    wr::<PMXEVCNTR_EL0>(&mut p, 1234);
    wr::<PMXEVTYPER_EL0>(&mut p, F_P | u64::from(INST_RETIRED));
    assert_eq!(p.counter(2), 1234);
    assert_eq!(p.evtyper(2), F_P | u64::from(INST_RETIRED));
    assert_eq!(rd::<PMXEVCNTR_EL0>(&mut p), 1234);
    // SEL = 31: PMXEVTYPER_EL0 is PMCCFILTR_EL0.
    wr::<PMSELR_EL0>(&mut p, 31);
    wr::<PMXEVTYPER_EL0>(&mut p, F_U | F_NSH);
    assert_eq!(rd::<PMCCFILTR_EL0>(&mut p), F_U | F_NSH);
    assert_eq!(rd::<PMXEVTYPER_EL0>(&mut p), F_U | F_NSH);
    assert_eq!(p.el2_undefined, 0);
    // SEL = 31: PMXEVCNTR_EL0 does not reach PMCCNTR_EL0 (SEL >= N: UNDEFINED with FGT).
    p.set_cycle_counter(55);
    assert_eq!(rd::<PMXEVCNTR_EL0>(&mut p), 0);
    wr::<PMXEVCNTR_EL0>(&mut p, 1);
    assert_eq!(p.cycle_counter(), 55);
    assert_eq!(p.el2_undefined, 2);
    // SEL between N and 30 is UNDEFINED for both.
    wr::<PMSELR_EL0>(&mut p, 7);
    assert_eq!(rd::<PMXEVTYPER_EL0>(&mut p), 0);
    assert_eq!(p.el2_undefined, 3);
    // SEL is 5 bits.
    p.write_encoding(enc::<PMSELR_EL0>(), 0xffff_ffe3);
    assert_eq!(rd::<PMSELR_EL0>(&mut p), 3);
}

#[test]
fn write_only_and_read_only_registers() {
    let mut p = pmu(4);
    // MRS of PMSWINC_EL0 or PMZR_EL0 and MSR of PMCEID0/1_EL0 are UNDEFINED.
    assert_eq!(p.read_encoding(enc::<PMSWINC_EL0>()), 0);
    p.write_encoding(enc::<PMCEID0_EL0>(), 0);
    p.write_encoding(enc::<PMCEID1_EL0>(), 0);
    p.write_encoding(enc::<ID_AA64DFR0_EL1>(), 0);
    assert_eq!(p.el2_undefined, 4);
    // PMCEID0_EL0 lists the events the model counts by default and can be set.
    let ceid0 = rd::<PMCEID0_EL0>(&mut p);
    for e in [SW_INCR, INST_RETIRED, CPU_CYCLES, CHAIN] {
        assert_ne!(ceid0 >> e & 1, 0, "event {e:#x}");
    }
    p.set_pmceid(1, 0x55);
    assert_eq!(rd::<PMCEID1_EL0>(&mut p), 0x55);
    // PMMIR_EL1 exists from PMUv3p4.
    p.set_pmmir(0x1234);
    assert_eq!(rd::<PMMIR_EL1>(&mut p), 0x1234);
    let mut old = CpuPmu::new(Config {
        pmu_ver: PmuVer::V3P1,
        ..cfg(4)
    });
    assert_eq!(rd::<PMMIR_EL1>(&mut old), 0);
    assert_eq!(old.el2_undefined, 1);
}

#[test]
fn pmuv3p9_registers() {
    let mut p = CpuPmu::new(Config {
        pmu_ver: PmuVer::V3P9,
        icntr: true,
        ..cfg(4)
    });
    for i in 0..4 {
        p.set_counter(i, 10);
    }
    p.set_cycle_counter(10);
    p.set_instruction_counter(10);
    // PMZR_EL0 zeroes the counters whose bits are set.
    wr::<PMZR_EL0>(&mut p, 0b0101 | F0);
    assert_eq!(
        [p.counter(0), p.counter(1), p.counter(2), p.counter(3)],
        [0, 10, 0, 10]
    );
    assert_eq!(p.cycle_counter(), 10);
    assert_eq!(p.instruction_counter(), 0);
    wr::<PMUACR_EL1>(&mut p, u64::MAX);
    assert_eq!(rd::<PMUACR_EL1>(&mut p), 0xf | C | F0);
    assert_eq!(p.el2_undefined, 0);
    // Before PMUv3p9 both are UNDEFINED.
    let mut q = pmu(4);
    q.set_counter(0, 10);
    wr::<PMZR_EL0>(&mut q, 1);
    assert_eq!(q.counter(0), 10);
    wr::<PMUACR_EL1>(&mut q, 1);
    assert_eq!(q.el2_undefined, 2);
}

#[test]
fn instruction_counter_registers_need_icntr() {
    let mut p = CpuPmu::new(Config {
        icntr: true,
        ..cfg(2)
    });
    wr::<PMICNTR_EL0>(&mut p, u64::MAX - 1);
    assert_eq!(rd::<PMICNTR_EL0>(&mut p), u64::MAX - 1);
    wr::<PMICFILTR_EL0>(&mut p, F_P | 0x11);
    // evtCount is read-only INST_RETIRED.
    assert_eq!(rd::<PMICFILTR_EL0>(&mut p), F_P | u64::from(INST_RETIRED));
    let mut q = pmu(2);
    wr::<PMICNTR_EL0>(&mut q, 1);
    assert_eq!(rd::<PMICNTR_EL0>(&mut q), 0);
    assert_eq!(q.el2_undefined, 2);
}

#[test]
fn fine_grained_trap_registers_exist_with_their_features() {
    let mut none = CpuPmu::new(Config {
        fgt: Fgt::NI,
        ..cfg(4)
    });
    wr::<HDFGRTR_EL2>(&mut none, 1 << 12);
    assert_eq!(rd::<HDFGRTR_EL2>(&mut none), 0);
    assert_eq!(none.el2_undefined, 2);

    let mut fgt = pmu(4);
    wr::<HDFGRTR_EL2>(&mut fgt, 1 << 12);
    wr::<HDFGWTR_EL2>(&mut fgt, 1 << 21);
    assert_eq!(rd::<HDFGRTR_EL2>(&mut fgt), 1 << 12);
    assert_eq!(rd::<HDFGWTR_EL2>(&mut fgt), 1 << 21);
    assert_eq!(fgt.el2_undefined, 0);
    wr::<HDFGRTR2_EL2>(&mut fgt, 0b1100);
    assert_eq!(rd::<HDFGWTR2_EL2>(&mut fgt), 0);
    assert_eq!(fgt.el2_undefined, 2, "HDFG*TR2_EL2 need FEAT_FGT2");

    let mut fgt2 = CpuPmu::new(Config {
        fgt: Fgt::FGT2,
        ..cfg(4)
    });
    wr::<HDFGRTR2_EL2>(&mut fgt2, 0b1100);
    assert_eq!(rd::<HDFGRTR2_EL2>(&mut fgt2), 0b1100);
    assert_eq!(fgt2.hdfgrtr2(), 0b1100);
    assert_eq!(fgt2.el2_undefined, 0);
}

#[test]
fn event_counters_are_32_bit_before_pmuv3p5() {
    let mut old = CpuPmu::new(Config {
        pmu_ver: PmuVer::V3P4,
        ..cfg(2)
    });
    assert!(unsafe { PMEVCNTRn_EL0::write(&mut old, 0, PmevcntrxEl0::from_bits(0x1_2345_6789)) });
    assert_eq!(old.counter(0), 0x2345_6789);
    // The cycle counter is 64-bit in every version.
    wr::<PMCCNTR_EL0>(&mut old, 0x1_0000_0000);
    assert_eq!(rd::<PMCCNTR_EL0>(&mut old), 0x1_0000_0000);
    let mut new = pmu(2);
    assert!(unsafe { PMEVCNTRn_EL0::write(&mut new, 0, PmevcntrxEl0::from_bits(0x1_2345_6789)) });
    assert_eq!(new.counter(0), 0x1_2345_6789);
}

#[test]
fn mdcr_fields_follow_the_pmu_version() {
    let all = MdcrEl2::from_bits(0)
        .with_hpmn(2)
        .with_tpm(true)
        .with_tpmcr(true)
        .with_hpme(true)
        .with_hpmd(true)
        .with_hccd(true)
        .with_hlp(true)
        .with_hpmfzo(true)
        .to_bits();
    let keep = |ver: PmuVer| {
        let mut p = CpuPmu::new(Config {
            pmu_ver: ver,
            ..cfg(4)
        });
        set_mdcr(&mut p, all);
        MdcrEl2::from_bits(rd::<MDCR_EL2>(&mut p))
    };
    let v3 = keep(PmuVer::IMP);
    assert!(v3.tpm() && v3.tpmcr() && v3.hpme() && v3.hpmn() == 2);
    assert!(!v3.hpmd() && !v3.hccd() && !v3.hlp() && !v3.hpmfzo());
    let v3p1 = keep(PmuVer::V3P1);
    assert!(v3p1.hpmd() && !v3p1.hccd() && !v3p1.hlp());
    let v3p5 = keep(PmuVer::V3P5);
    assert!(v3p5.hpmd() && v3p5.hccd() && v3p5.hlp() && !v3p5.hpmfzo());
    let v3p7 = keep(PmuVer::V3P7);
    assert!(v3p7.hpmfzo());
}

#[test]
fn event_type_fields_follow_the_configuration() {
    // evtCount is 10 bits before PMUv3p1, 16 bits from it.
    let mut v3 = CpuPmu::new(Config {
        pmu_ver: PmuVer::IMP,
        ..cfg(2)
    });
    v3.write_encoding(evtyper(0), 0x4011 | F_P);
    assert_eq!(v3.evtyper(0), 0x11 | F_P);
    let mut p = pmu(2);
    p.write_encoding(evtyper(0), 0x4011 | F_P | F_NSK | 1 << 26);
    assert_eq!(p.evtyper(0), 0x4011 | F_P | F_NSK | 1 << 26);
    // Without EL3, NSK, NSU and M are RES0.
    p.set_el3(false);
    p.write_encoding(evtyper(1), 0x11 | F_NSK | F_NSU | 1 << 26 | F_NSH);
    assert_eq!(p.evtyper(1), 0x11 | F_NSH);
    // PMCCFILTR_EL0 has no event number.
    p.write_encoding(enc::<PMCCFILTR_EL0>(), 0x11 | F_U);
    assert_eq!(p.ccfiltr(), F_U);
}

#[test]
fn no_pmuv3_makes_every_pmu_register_undefined() {
    for ver in [PmuVer::NI, PmuVer::IMP_DEF] {
        let mut p = CpuPmu::new(Config {
            pmu_ver: ver,
            ..cfg(4)
        });
        for (e, readable, writable) in base_pmu_registers() {
            if readable {
                assert_eq!(p.read_encoding(e), 0);
                assert_eq!(gr(&mut p, El::El1, e), GuestAccess::Undefined);
            }
            if writable {
                p.write_encoding(e, u64::MAX);
                assert_eq!(gw(&mut p, El::El1, e, 1), GuestAccess::Undefined);
            }
        }
        assert!(p.el2_undefined > 0);
        p.count(Level::El1, CPU_CYCLES, 10);
        assert_eq!(p.cycle_counter(), 0);
        assert!(!p.irq_line());
        // MDCR_EL2 and the ID registers still exist.
        assert_eq!(
            rd::<ID_AA64DFR0_EL1>(&mut p) >> 8 & 0xf,
            u64::from(ver.to_bits())
        );
    }
}

#[test]
fn other_registers_are_remembered() {
    let mut p = pmu(2);
    wr::<HCR_EL2>(&mut p, 0x8000_0000);
    assert_eq!(rd::<HCR_EL2>(&mut p), 0x8000_0000);
    assert_eq!(p.el2_undefined, 0);
    assert_eq!((p.reads, p.writes), (1, 1));
}

#[test]
fn hpmn_values_the_architecture_does_not_allow() {
    // HPMN > N is CONSTRAINED UNPREDICTABLE; the model behaves as if HPMN were N.
    let mut p = pmu(4);
    set_mdcr(&mut p, mdcr_partition(9));
    assert_eq!(p.constrained_unpredictable, 1);
    assert!(p.hpmn_unpredictable());
    assert_eq!(p.hpmn(), 4);
    assert_eq!(
        rd::<MDCR_EL2>(&mut p) & 0x1f,
        9,
        "reads return the value written"
    );
    // HPMN = 0 needs FEAT_HPMN0.
    let mut q = CpuPmu::new(Config {
        hpmn0: false,
        ..cfg(4)
    });
    set_mdcr(&mut q, mdcr_partition(0));
    assert_eq!(q.constrained_unpredictable, 1);
    assert_eq!(q.hpmn(), 4);
    let mut r = pmu(4);
    set_mdcr(&mut r, mdcr_partition(0));
    assert_eq!(r.constrained_unpredictable, 0);
    assert_eq!(r.hpmn(), 0);
}

#[test]
fn accesses_are_counted() {
    let mut p = pmu(4);
    let _ = rd::<PMCR_EL0>(&mut p);
    wr::<PMSELR_EL0>(&mut p, 1);
    unsafe { p.modify::<PMCR_EL0>(|v| v.with_e(true)) };
    assert_eq!((p.reads, p.writes), (2, 2));
    // Raw state access and guest accesses are not counted.
    let _ = p.get_raw(enc::<PMCR_EL0>());
    assert!(p.set_raw(enc::<PMSELR_EL0>(), 2));
    let _ = gr(&mut p, El::El1, enc::<PMCR_EL0>());
    p.count(Level::El1, CPU_CYCLES, 5);
    assert_eq!((p.reads, p.writes), (2, 2));
    p.clear_stats();
    assert_eq!((p.reads, p.writes), (0, 0));
}

#[test]
fn the_log_records_exact_sequences() {
    let mut p = pmu(4);
    let _ = rd::<PMCR_EL0>(&mut p);
    assert!(p.log().is_empty(), "off by default");
    p.set_logging(true);
    wr::<PMSELR_EL0>(&mut p, 3);
    wr::<PMXEVCNTR_EL0>(&mut p, 42);
    let _ = rd::<PMXEVCNTR_EL0>(&mut p);
    let _ = PMEVCNTRn_EL0::read(&mut p, 9); // N = 4: UNDEFINED
    let log = p.log();
    assert_eq!(log.len(), 4);
    assert_eq!(
        log[0],
        Access {
            encoding: enc::<PMSELR_EL0>(),
            kind: AccessKind::Write,
            value: 3,
            undefined: false
        }
    );
    assert_eq!(log[1].name(), Some("PMXEVCNTR_EL0"));
    assert_eq!((log[1].kind, log[1].value), (AccessKind::Write, 42));
    assert_eq!((log[2].kind, log[2].value), (AccessKind::Read, 42));
    assert_eq!(log[3].name(), Some("PMEVCNTR9_EL0"));
    assert!(log[3].undefined);
    p.clear_log();
    assert!(p.log().is_empty());
    // A full log keeps the first LOG_CAPACITY accesses and counts the rest.
    for _ in 0..LOG_CAPACITY + 5 {
        let _ = rd::<PMCCNTR_EL0>(&mut p);
    }
    assert_eq!(p.log().len(), LOG_CAPACITY);
    assert_eq!(p.log_dropped(), 5);
    p.set_logging(false);
    p.clear_log();
    let _ = rd::<PMCCNTR_EL0>(&mut p);
    assert!(p.log().is_empty());
}

#[test]
fn raw_state_access() {
    let mut p = pmu(4);
    assert!(p.set_raw(enc::<PMCNTENSET_EL0>(), u64::MAX));
    assert_eq!(p.pmcnten(), 0xf | C);
    assert!(p.set_raw(enc::<PMCNTENCLR_EL0>(), 0b1));
    assert_eq!(p.pmcnten(), 0b1, "a SET/CLR register takes the whole value");
    // No side effects: P does not reset.
    p.set_counter(0, 3);
    assert!(p.set_raw(enc::<PMCR_EL0>(), P | E));
    assert_eq!(p.counter(0), 3);
    assert_eq!(p.get_raw(enc::<PMCR_EL0>()), E | 4 << 11);
    assert!(p.set_raw(enc::<PMCEID0_EL0>(), 7));
    assert_eq!(p.get_raw(enc::<PMCEID0_EL0>()), 7);
    assert!(!p.set_raw(enc::<PMSWINC_EL0>(), 1));
    assert!(!p.set_raw(enc::<ID_AA64DFR0_EL1>(), 1));
    assert!(!p.set_raw(evcntr(4), 1));
    assert!(p.set_raw(evcntr(3), 1));
    assert_eq!(p.get_raw(evcntr(3)), 1);
    assert_eq!((p.reads, p.writes, p.el2_undefined), (0, 0, 0));
}

#[test]
fn software_increment_from_el2_counts_at_el2() {
    let mut p = pmu(4);
    set_mdcr(&mut p, mdcr_partition(2));
    wr::<PMCR_EL0>(&mut p, E);
    wr::<PMCNTENSET_EL0>(&mut p, 0xf);
    // Counter 0 (first range) includes EL2, counter 3 (second range) includes EL2, counter 2
    // does not, counter 1 counts another event.
    p.write_encoding(evtyper(0), F_NSH | u64::from(SW_INCR));
    p.write_encoding(evtyper(1), F_NSH | u64::from(CPU_CYCLES));
    p.write_encoding(evtyper(2), u64::from(SW_INCR));
    p.write_encoding(evtyper(3), F_NSH | u64::from(SW_INCR));
    wr::<PMSWINC_EL0>(&mut p, 0xf);
    assert_eq!(
        [p.counter(0), p.counter(1), p.counter(2), p.counter(3)],
        [1, 0, 0, 1]
    );
}
