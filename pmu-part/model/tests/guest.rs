//! Guest accesses at EL1/EL0 with EL2 enabled: traps, their priority and ISS, and the EL1 view
//! of a partitioned PMU.

mod common;
use aarch64_sysregs::pmcr_el0::PmcrEl0;
use common::*;

/// 6 counters, the guest owning 0..2 directly (TPM and TPMCR clear), the host 2..5.
fn partitioned() -> CpuPmu {
    let mut p = pmu(6);
    set_mdcr(&mut p, mdcr_partition(2));
    p
}

#[test]
fn iss_is_the_architectural_encoding_of_the_trapped_access() {
    // Op0 [21:20], Op2 [19:17], Op1 [16:14], CRn [13:10], Rt [9:5] = 0, CRm [4:1], Dir [0].
    let expect = |op0: u32, op1: u32, crn: u32, crm: u32, op2: u32, read: bool| {
        op0 << 20 | op2 << 17 | op1 << 14 | crn << 10 | crm << 1 | u32::from(read)
    };
    let mut p = partitioned();
    // MRS PMEVCNTR3_EL0 = S3_3_C14_C8_3 (counter 3 >= HPMN 2).
    assert_eq!(
        gr(&mut p, El::El1, evcntr(3)),
        GuestAccess::Trap {
            iss: expect(3, 3, 14, 8, 3, true)
        }
    );
    // MSR PMEVTYPER4_EL0 = S3_3_C14_C12_4.
    assert_eq!(
        gw(&mut p, El::El1, evtyper(4), 0),
        GuestAccess::Trap {
            iss: expect(3, 3, 14, 12, 4, false)
        }
    );
    // MSR PMCR_EL0 = S3_3_C9_C12_0 under TPMCR.
    set_mdcr(&mut p, mdcr_partition(2) | 1 << 5);
    assert_eq!(
        gw(&mut p, El::El1, enc::<PMCR_EL0>(), 0),
        GuestAccess::Trap {
            iss: expect(3, 3, 9, 12, 0, false)
        }
    );
    // The ISS decodes back to the register.
    if let GuestAccess::Trap { iss } = gr(&mut p, El::El1, enc::<PMCR_EL0>()) {
        assert_eq!(Encoding::from_iss(iss), enc::<PMCR_EL0>());
        assert_eq!(iss & 1, 1);
    } else {
        panic!("PMCR_EL0 read must trap under TPMCR");
    }
}

#[test]
fn pmcr_n_reads_as_hpmn_from_el1_and_el0() {
    let mut p = partitioned();
    p.set_raw(enc::<PMUSERENR_EL0>(), 1);
    for el in [El::El1, El::El0] {
        match gr(&mut p, el, enc::<PMCR_EL0>()) {
            GuestAccess::Read(v) => assert_eq!(PmcrEl0::from_bits(v).n(), 2, "{el:?}"),
            other => panic!("{el:?}: {other:?}"),
        }
    }
    // EL2 still reads the real N.
    assert_eq!(PmcrEl0::from_bits(rd::<PMCR_EL0>(&mut p)).n(), 6);
    // With FEAT_HPMN0 and HPMN = 0 the guest sees no event counter.
    set_mdcr(&mut p, mdcr_partition(0));
    assert_eq!(gr(&mut p, El::El1, enc::<PMCR_EL0>()), GuestAccess::Read(0));
}

#[test]
fn pmcr_control_bits_are_shared_and_p_and_c_read_as_zero() {
    let mut p = partitioned();
    assert_eq!(
        gw(&mut p, El::El1, enc::<PMCR_EL0>(), E | P | CR | LC | LP),
        GuestAccess::Written
    );
    assert_eq!(p.pmcr() & 0xff, E | LC | LP);
    assert_eq!(
        gr(&mut p, El::El1, enc::<PMCR_EL0>()),
        GuestAccess::Read(E | LC | LP | 2 << 11)
    );
}

#[test]
fn pmcr_p_from_el1_resets_only_the_first_range() {
    let mut p = partitioned();
    for i in 0..6 {
        p.set_counter(i, 1000 + i as u64);
    }
    p.set_cycle_counter(5);
    assert_eq!(
        gw(&mut p, El::El1, enc::<PMCR_EL0>(), P),
        GuestAccess::Written
    );
    assert_eq!(
        (0..6).map(|i| p.counter(i)).collect::<Vec<_>>(),
        [0, 0, 1002, 1003, 1004, 1005]
    );
    assert_eq!(p.cycle_counter(), 5);
    // C resets the cycle counter, which belongs to the guest.
    assert_eq!(
        gw(&mut p, El::El1, enc::<PMCR_EL0>(), CR),
        GuestAccess::Written
    );
    assert_eq!(p.cycle_counter(), 0);
    // From EL0 (EN = 1) the same.
    p.set_counter(1, 9);
    p.set_counter(3, 9);
    p.set_raw(enc::<PMUSERENR_EL0>(), 1);
    assert_eq!(
        gw(&mut p, El::El0, enc::<PMCR_EL0>(), P),
        GuestAccess::Written
    );
    assert_eq!((p.counter(1), p.counter(3)), (0, 9));
    // At EL2 the same write resets both ranges.
    wr::<PMCR_EL0>(&mut p, P);
    assert_eq!(p.counter(3), 0);
}

#[test]
fn bitmask_bits_at_or_above_hpmn_are_raz_wi_from_el1() {
    for (set, clr) in [
        (enc::<PMCNTENSET_EL0>(), enc::<PMCNTENCLR_EL0>()),
        (enc::<PMINTENSET_EL1>(), enc::<PMINTENCLR_EL1>()),
        (enc::<PMOVSSET_EL0>(), enc::<PMOVSCLR_EL0>()),
    ] {
        let mut p = partitioned();
        // The host's counters 3 and 5 have their bits set.
        p.write_encoding(set, 0b101000);
        assert_eq!(gr(&mut p, El::El1, set), GuestAccess::Read(0), "{set:?}");
        assert_eq!(gr(&mut p, El::El1, clr), GuestAccess::Read(0), "{clr:?}");
        // Setting everything from EL1 sets only the guest's bits.
        assert_eq!(gw(&mut p, El::El1, set, u64::MAX), GuestAccess::Written);
        assert_eq!(p.get_raw(set), 0b101011 | C, "{set:?}");
        assert_eq!(gr(&mut p, El::El1, set), GuestAccess::Read(0b11 | C));
        // Clearing everything from EL1 leaves the host's bits alone.
        assert_eq!(gw(&mut p, El::El1, clr, u64::MAX), GuestAccess::Written);
        assert_eq!(p.get_raw(set), 0b101000, "{clr:?}");
    }
}

#[test]
fn hpmn_zero_leaves_the_guest_only_the_cycle_counter() {
    let mut p = pmu(4);
    set_mdcr(&mut p, mdcr_partition(0));
    assert_eq!(
        gw(&mut p, El::El1, enc::<PMCNTENSET_EL0>(), u64::MAX),
        GuestAccess::Written
    );
    assert_eq!(p.pmcnten(), C);
    assert_eq!(gr(&mut p, El::El1, evcntr(0)), trap(evcntr(0), true));
    assert_eq!(
        gw(&mut p, El::El1, enc::<PMCCNTR_EL0>(), 7),
        GuestAccess::Written
    );
    assert_eq!(p.cycle_counter(), 7);
}

#[test]
fn counters_from_hpmn_to_n_trap_and_beyond_n_are_undefined() {
    let mut p = partitioned();
    p.set_counter(1, 11);
    p.set_counter(4, 44);
    assert_eq!(gr(&mut p, El::El1, evcntr(1)), GuestAccess::Read(11));
    assert_eq!(gw(&mut p, El::El1, evcntr(1), 12), GuestAccess::Written);
    assert_eq!(p.counter(1), 12);
    for n in 2..6 {
        assert_eq!(gr(&mut p, El::El1, evcntr(n)), trap(evcntr(n), true));
        assert_eq!(gw(&mut p, El::El1, evcntr(n), 0), trap(evcntr(n), false));
        assert_eq!(gr(&mut p, El::El1, evtyper(n)), trap(evtyper(n), true));
        assert_eq!(gw(&mut p, El::El1, evtyper(n), 0), trap(evtyper(n), false));
        assert_eq!(p.last_trap_cause(), Some(TrapCause::Hpmn));
    }
    assert_eq!(p.counter(4), 44, "the host's counter is untouched");
    for n in 6..31 {
        assert_eq!(gr(&mut p, El::El1, evcntr(n)), GuestAccess::Undefined);
        assert_eq!(gw(&mut p, El::El1, evtyper(n), 0), GuestAccess::Undefined);
    }
    assert_eq!(p.constrained_unpredictable, 0);
}

#[test]
fn without_fgt_the_hpmn_and_n_checks_are_constrained_unpredictable() {
    let mut p = CpuPmu::new(Config {
        fgt: Fgt::NI,
        ..cfg(6)
    });
    set_mdcr(&mut p, mdcr_partition(2));
    // The model picks the trap for HPMN <= n < N and UNDEFINED for n >= N, both permitted.
    assert_eq!(gr(&mut p, El::El1, evcntr(3)), trap(evcntr(3), true));
    assert_eq!(gr(&mut p, El::El1, evcntr(7)), GuestAccess::Undefined);
    assert_eq!(p.constrained_unpredictable, 2);
    // A PMSELR_EL0.SEL at or above N (not 31) reads UNKNOWN: the value written.
    assert_eq!(
        gw(&mut p, El::El1, enc::<PMSELR_EL0>(), 9),
        GuestAccess::Written
    );
    assert_eq!(
        gr(&mut p, El::El1, enc::<PMSELR_EL0>()),
        GuestAccess::Read(9)
    );
    assert_eq!(p.constrained_unpredictable, 3);
}

#[test]
fn selected_counter_registers_check_pmselr_against_hpmn() {
    let mut p = partitioned();
    p.set_counter(1, 5);
    let xcnt = enc::<PMXEVCNTR_EL0>();
    let xtyp = enc::<PMXEVTYPER_EL0>();
    assert_eq!(
        gw(&mut p, El::El1, enc::<PMSELR_EL0>(), 1),
        GuestAccess::Written
    );
    assert_eq!(gr(&mut p, El::El1, xcnt), GuestAccess::Read(5));
    assert_eq!(
        gw(&mut p, El::El1, xtyp, u64::from(CPU_CYCLES)),
        GuestAccess::Written
    );
    assert_eq!(p.evtyper(1), u64::from(CPU_CYCLES));
    // SEL in the host's range: trap, with the ISS of PMXEV*_EL0 itself.
    for sel in 2..6 {
        gw(&mut p, El::El1, enc::<PMSELR_EL0>(), sel);
        assert_eq!(gr(&mut p, El::El1, xcnt), trap(xcnt, true));
        assert_eq!(gw(&mut p, El::El1, xtyp, 0), trap(xtyp, false));
        assert_eq!(p.last_trap_cause(), Some(TrapCause::Hpmn));
    }
    // SEL beyond N: UNDEFINED.
    gw(&mut p, El::El1, enc::<PMSELR_EL0>(), 17);
    assert_eq!(gr(&mut p, El::El1, xcnt), GuestAccess::Undefined);
    assert_eq!(gr(&mut p, El::El1, xtyp), GuestAccess::Undefined);
    // SEL = 31: PMXEVTYPER_EL0 is PMCCFILTR_EL0, PMXEVCNTR_EL0 is UNDEFINED.
    gw(&mut p, El::El1, enc::<PMSELR_EL0>(), 31);
    assert_eq!(gw(&mut p, El::El1, xtyp, F_P), GuestAccess::Written);
    assert_eq!(p.ccfiltr(), F_P);
    assert_eq!(gr(&mut p, El::El1, xtyp), GuestAccess::Read(F_P));
    assert_eq!(gr(&mut p, El::El1, xcnt), GuestAccess::Undefined);
}

#[test]
fn tpm_traps_every_pmu_register() {
    let mut p = CpuPmu::new(Config {
        fgt: Fgt::FGT2,
        icntr: true,
        pmu_ver: PmuVer::V3P9,
        ..cfg(6)
    });
    set_mdcr(&mut p, mdcr_partition(2) | 1 << 6);
    // FGT2 registers all ones: nothing negative-polarity traps, so TPM is what traps.
    wr::<HDFGRTR2_EL2>(&mut p, u64::MAX);
    wr::<HDFGWTR2_EL2>(&mut p, u64::MAX);
    let mut regs = base_pmu_registers();
    regs.extend([
        (enc::<PMICNTR_EL0>(), true, true),
        (enc::<PMICFILTR_EL0>(), true, true),
        (enc::<PMUACR_EL1>(), true, true),
        (enc::<PMZR_EL0>(), false, true),
    ]);
    for (e, readable, writable) in regs {
        if readable {
            assert_eq!(gr(&mut p, El::El1, e), trap(e, true), "MRS {e:?}");
            assert_eq!(p.last_trap_cause(), Some(TrapCause::Tpm));
        }
        if writable {
            assert_eq!(gw(&mut p, El::El1, e, 0), trap(e, false), "MSR {e:?}");
            assert_eq!(p.last_trap_cause(), Some(TrapCause::Tpm));
        }
    }
    // Not the ID registers.
    assert!(matches!(
        gr(&mut p, El::El1, enc::<ID_AA64DFR0_EL1>()),
        GuestAccess::Read(_)
    ));
}

#[test]
fn tpmcr_traps_pmcr_only() {
    let mut p = partitioned();
    set_mdcr(&mut p, mdcr_partition(2) | 1 << 5);
    let pmcr = enc::<PMCR_EL0>();
    assert_eq!(gr(&mut p, El::El1, pmcr), trap(pmcr, true));
    assert_eq!(gw(&mut p, El::El1, pmcr, E), trap(pmcr, false));
    assert_eq!(p.last_trap_cause(), Some(TrapCause::Tpmcr));
    assert_eq!(p.pmcr() & E, 0, "a trapped write changes nothing");
    assert!(matches!(
        gr(&mut p, El::El1, enc::<PMCCNTR_EL0>()),
        GuestAccess::Read(_)
    ));
    assert_eq!(
        gw(&mut p, El::El1, enc::<PMCNTENSET_EL0>(), 1),
        GuestAccess::Written
    );
}

#[test]
fn tpm_traps_even_where_the_fine_grained_traps_do_not() {
    // MDCR_EL2.TPM = 1 with every FGT bit clear: everything still traps. TPM > FGT in the
    // sense that a clear FGT bit never un-traps what TPM traps. (Where both trap, the
    // pseudocode tests the FGT bit first; the exception and ISS are the same.)
    let mut p = partitioned();
    set_mdcr(&mut p, mdcr_partition(2) | 1 << 6);
    wr::<HDFGRTR_EL2>(&mut p, 0);
    wr::<HDFGWTR_EL2>(&mut p, 0);
    let e = enc::<PMCCNTR_EL0>();
    assert_eq!(gr(&mut p, El::El1, e), trap(e, true));
    assert_eq!(p.last_trap_cause(), Some(TrapCause::Tpm));
    // Both set: the same trap, reported in the pseudocode's order.
    wr::<HDFGRTR_EL2>(
        &mut p,
        HdfgrtrEl2::from_bits(0).with_pmccntr_el0(true).to_bits(),
    );
    assert_eq!(gr(&mut p, El::El1, e), trap(e, true));
    assert_eq!(p.last_trap_cause(), Some(TrapCause::FineGrained));
    // For PMCR_EL0 TPM is tested before TPMCR.
    set_mdcr(&mut p, mdcr_partition(2) | 1 << 6 | 1 << 5);
    let pmcr = enc::<PMCR_EL0>();
    assert_eq!(gr(&mut p, El::El1, pmcr), trap(pmcr, true));
    assert_eq!(p.last_trap_cause(), Some(TrapCause::Tpm));
}

#[test]
fn undefined_and_el0_checks_come_before_every_el2_trap() {
    let mut p = partitioned();
    set_mdcr(&mut p, mdcr_partition(2) | 1 << 6 | 1 << 5);
    wr::<HDFGRTR_EL2>(&mut p, u64::MAX);
    // A counter beyond N is UNDEFINED even with TPM and all FGT bits set.
    assert_eq!(gr(&mut p, El::El1, evcntr(9)), GuestAccess::Undefined);
    // EL0 without PMUSERENR_EL0 permission goes to EL1, not EL2, whatever TPM says.
    p.set_raw(enc::<PMUSERENR_EL0>(), 0);
    assert_eq!(
        gr(&mut p, El::El0, enc::<PMCCNTR_EL0>()),
        GuestAccess::Undefined
    );
    assert_eq!(
        gr(&mut p, El::El0, enc::<PMCR_EL0>()),
        GuestAccess::Undefined
    );
    assert_eq!(p.last_trap_cause(), None);
    // Permitted at EL0: now the EL2 traps apply.
    p.set_raw(enc::<PMUSERENR_EL0>(), 1);
    let e = enc::<PMCCNTR_EL0>();
    assert_eq!(gr(&mut p, El::El0, e), trap(e, true));
}

#[test]
fn each_fine_grained_bit_traps_its_registers_in_its_direction() {
    let pos = |bit: u32| 1u64 << bit;
    // (HDFGRTR_EL2 bit, HDFGWTR_EL2 bit, register, readable, writable)
    let cases: Vec<(Option<u32>, Option<u32>, Encoding)> = vec![
        (Some(12), Some(12), evcntr(0)),
        (Some(12), Some(12), enc::<PMXEVCNTR_EL0>()),
        (Some(13), Some(13), evtyper(1)),
        (Some(13), Some(13), enc::<PMXEVTYPER_EL0>()),
        (Some(14), Some(14), enc::<PMCCFILTR_EL0>()),
        (Some(15), Some(15), enc::<PMCCNTR_EL0>()),
        (Some(16), Some(16), enc::<PMCNTENSET_EL0>()),
        (Some(16), Some(16), enc::<PMCNTENCLR_EL0>()),
        (Some(17), Some(17), enc::<PMINTENSET_EL1>()),
        (Some(17), Some(17), enc::<PMINTENCLR_EL1>()),
        (Some(18), Some(18), enc::<PMOVSSET_EL0>()),
        (Some(18), Some(18), enc::<PMOVSCLR_EL0>()),
        (Some(19), Some(19), enc::<PMSELR_EL0>()),
        (None, Some(20), enc::<PMSWINC_EL0>()),
        (None, Some(21), enc::<PMCR_EL0>()),
        (Some(22), None, enc::<PMMIR_EL1>()),
        (Some(57), Some(57), enc::<PMUSERENR_EL0>()),
        (Some(58), None, enc::<PMCEID0_EL0>()),
        (Some(58), None, enc::<PMCEID1_EL0>()),
    ];
    for (rbit, wbit, e) in cases {
        let mut p = partitioned();
        // Everything but this register's bits set: this register is not trapped.
        let others_r = !rbit.map_or(0, pos);
        let others_w = !wbit.map_or(0, pos);
        wr::<HDFGRTR_EL2>(&mut p, others_r);
        wr::<HDFGWTR_EL2>(&mut p, others_w);
        if rbit.is_some() {
            assert!(
                matches!(gr(&mut p, El::El1, e), GuestAccess::Read(_)),
                "MRS {e:?}"
            );
        }
        if wbit.is_some() {
            assert_eq!(gw(&mut p, El::El1, e, 0), GuestAccess::Written, "MSR {e:?}");
        }
        // Only this register's read bit set: reads trap, writes do not.
        wr::<HDFGRTR_EL2>(&mut p, rbit.map_or(0, pos));
        wr::<HDFGWTR_EL2>(&mut p, 0);
        if rbit.is_some() {
            assert_eq!(gr(&mut p, El::El1, e), trap(e, true), "MRS {e:?}");
            assert_eq!(p.last_trap_cause(), Some(TrapCause::FineGrained));
        }
        if wbit.is_some() {
            assert_eq!(gw(&mut p, El::El1, e, 0), GuestAccess::Written, "MSR {e:?}");
        }
        // Only the write bit: writes trap, reads do not.
        wr::<HDFGRTR_EL2>(&mut p, 0);
        wr::<HDFGWTR_EL2>(&mut p, wbit.map_or(0, pos));
        if wbit.is_some() {
            assert_eq!(gw(&mut p, El::El1, e, 0), trap(e, false), "MSR {e:?}");
        }
        if rbit.is_some() {
            assert!(
                matches!(gr(&mut p, El::El1, e), GuestAccess::Read(_)),
                "MRS {e:?}"
            );
        }
    }
}

#[test]
fn fine_grained_bit_positions_match_the_generated_register_types() {
    // The model's bit positions come from the architecture; the generated crate's from the
    // register database: they must agree.
    let mut p = partitioned();
    let r = HdfgrtrEl2::from_bits(0)
        .with_pmevcntrn_el0(true)
        .with_pmccntr_el0(true)
        .with_pmovs(true)
        .to_bits();
    wr::<HDFGRTR_EL2>(&mut p, r);
    for e in [evcntr(1), enc::<PMCCNTR_EL0>(), enc::<PMOVSSET_EL0>()] {
        assert_eq!(gr(&mut p, El::El1, e), trap(e, true), "{e:?}");
    }
    let w = HdfgwtrEl2::from_bits(0)
        .with_pmcr_el0(true)
        .with_pmswinc_el0(true)
        .with_pmevtypern_el0(true)
        .to_bits();
    wr::<HDFGWTR_EL2>(&mut p, w);
    for e in [enc::<PMCR_EL0>(), enc::<PMSWINC_EL0>(), evtyper(0)] {
        assert_eq!(gw(&mut p, El::El1, e, 0), trap(e, false), "{e:?}");
    }
}

#[test]
fn pmxevtyper_with_sel_31_uses_the_pmevtypern_bit() {
    let mut p = partitioned();
    gw(&mut p, El::El1, enc::<PMSELR_EL0>(), 31);
    let xtyp = enc::<PMXEVTYPER_EL0>();
    wr::<HDFGRTR_EL2>(&mut p, 1 << 14); // PMCCFILTR_EL0 only
    assert!(matches!(gr(&mut p, El::El1, xtyp), GuestAccess::Read(_)));
    assert_eq!(
        gr(&mut p, El::El1, enc::<PMCCFILTR_EL0>()),
        trap(enc::<PMCCFILTR_EL0>(), true)
    );
    wr::<HDFGRTR_EL2>(&mut p, 1 << 13); // PMEVTYPERn_EL0
    assert_eq!(gr(&mut p, El::El1, xtyp), trap(xtyp, true));
}

#[test]
fn pmcr_reads_have_no_fine_grained_trap() {
    let mut p = partitioned();
    wr::<HDFGRTR_EL2>(&mut p, u64::MAX);
    assert!(matches!(
        gr(&mut p, El::El1, enc::<PMCR_EL0>()),
        GuestAccess::Read(_)
    ));
}

#[test]
fn fine_grained_bits_do_nothing_without_fgt() {
    let mut p = CpuPmu::new(Config {
        fgt: Fgt::NI,
        ..cfg(4)
    });
    set_mdcr(&mut p, mdcr_partition(4));
    // The registers are UNDEFINED at EL2; even if state were there it would not trap.
    assert!(!p.set_raw(enc::<HDFGRTR_EL2>(), u64::MAX));
    assert!(matches!(
        gr(&mut p, El::El1, enc::<PMCCNTR_EL0>()),
        GuestAccess::Read(_)
    ));
}

#[test]
fn fgt2_negative_polarity_traps_the_instruction_counter() {
    let mut p = CpuPmu::new(Config {
        fgt: Fgt::FGT2,
        icntr: true,
        ..cfg(4)
    });
    set_mdcr(&mut p, mdcr_partition(2));
    let icntr = enc::<PMICNTR_EL0>();
    let icfiltr = enc::<PMICFILTR_EL0>();
    // Reset value 0: every negative-polarity bit traps.
    assert_eq!(gr(&mut p, El::El1, icntr), trap(icntr, true));
    assert_eq!(p.last_trap_cause(), Some(TrapCause::FineGrained));
    assert_eq!(gw(&mut p, El::El1, icfiltr, 0), trap(icfiltr, false));
    // nPMICNTR_EL0 = 1 in HDFGRTR2_EL2 only: reads pass, writes still trap.
    wr::<HDFGRTR2_EL2>(
        &mut p,
        Hdfgrtr2El2::from_bits(0).with_n_pmicntr_el0(true).to_bits(),
    );
    p.set_instruction_counter(99);
    assert_eq!(gr(&mut p, El::El1, icntr), GuestAccess::Read(99));
    assert_eq!(gw(&mut p, El::El1, icntr, 1), trap(icntr, false));
    assert_eq!(gr(&mut p, El::El1, icfiltr), trap(icfiltr, true));
    wr::<HDFGWTR2_EL2>(
        &mut p,
        Hdfgwtr2El2::from_bits(0)
            .with_n_pmicntr_el0(true)
            .with_n_pmicfiltr_el0(true)
            .to_bits(),
    );
    assert_eq!(gw(&mut p, El::El1, icntr, 1), GuestAccess::Written);
    assert_eq!(p.instruction_counter(), 1);
    assert_eq!(gw(&mut p, El::El1, icfiltr, F_U), GuestAccess::Written);
    // A set positive-polarity-style bit does not trap: only 0 traps.
    assert_eq!(gr(&mut p, El::El1, icntr), GuestAccess::Read(1));

    // With FEAT_FGT only, the FGT2 controls do not exist: the guest reaches the counter.
    let mut q = CpuPmu::new(Config {
        icntr: true,
        ..cfg(4)
    });
    q.set_instruction_counter(5);
    assert_eq!(gr(&mut q, El::El1, icntr), GuestAccess::Read(5));
    // Without FEAT_PMUv3_ICNTR the registers are UNDEFINED.
    let mut r = pmu(4);
    assert_eq!(gr(&mut r, El::El1, icntr), GuestAccess::Undefined);
}

#[test]
fn fgt2_npmicfiltr_controls_the_f0_bits_at_el1() {
    let mut p = CpuPmu::new(Config {
        fgt: Fgt::FGT2,
        icntr: true,
        ..cfg(4)
    });
    set_mdcr(&mut p, mdcr_partition(2));
    let set = enc::<PMCNTENSET_EL0>();
    p.write_encoding(set, F0);
    // Both nPMICFILTR_EL0 clear (trap): F0 is RAZ/WI from EL1.
    assert_eq!(gr(&mut p, El::El1, set), GuestAccess::Read(0));
    gw(&mut p, El::El1, enc::<PMCNTENCLR_EL0>(), F0);
    assert_eq!(p.pmcnten(), F0);
    // Reads allowed, writes trapped: read-only.
    wr::<HDFGRTR2_EL2>(&mut p, 1 << 3);
    assert_eq!(gr(&mut p, El::El1, set), GuestAccess::Read(F0));
    gw(&mut p, El::El1, enc::<PMCNTENCLR_EL0>(), F0);
    assert_eq!(p.pmcnten(), F0);
    // Both allowed: read/write.
    wr::<HDFGWTR2_EL2>(&mut p, 1 << 3);
    gw(&mut p, El::El1, enc::<PMCNTENCLR_EL0>(), F0);
    assert_eq!(p.pmcnten(), 0);
    // Writes allowed, reads trapped: write-only, reads as zero.
    wr::<HDFGRTR2_EL2>(&mut p, 0);
    gw(&mut p, El::El1, set, F0);
    assert_eq!(p.pmcnten(), F0);
    assert_eq!(gr(&mut p, El::El1, set), GuestAccess::Read(0));
}

#[test]
fn pmzr_and_pmuacr_use_their_fgt2_bits() {
    let mut p = CpuPmu::new(Config {
        fgt: Fgt::FGT2,
        pmu_ver: PmuVer::V3P9,
        ..cfg(4)
    });
    set_mdcr(&mut p, mdcr_partition(2));
    let zr = enc::<PMZR_EL0>();
    let uacr = enc::<PMUACR_EL1>();
    assert_eq!(gw(&mut p, El::El1, zr, 1), trap(zr, false));
    assert_eq!(gr(&mut p, El::El1, uacr), trap(uacr, true));
    wr::<HDFGWTR2_EL2>(
        &mut p,
        Hdfgwtr2El2::from_bits(0)
            .with_n_pmzr_el0(true)
            .with_n_pmuacr_el1(true)
            .to_bits(),
    );
    wr::<HDFGRTR2_EL2>(
        &mut p,
        Hdfgrtr2El2::from_bits(0).with_n_pmuacr_el1(true).to_bits(),
    );
    // PMZR_EL0 from EL1 zeroes only the guest's counters.
    for i in 0..4 {
        p.set_counter(i, 8);
    }
    assert_eq!(gw(&mut p, El::El1, zr, 0xf), GuestAccess::Written);
    assert_eq!(
        (0..4).map(|i| p.counter(i)).collect::<Vec<_>>(),
        [0, 0, 8, 8]
    );
    // PMUACR_EL1 bits at or above HPMN are RAZ/WI from EL1.
    assert_eq!(gw(&mut p, El::El1, uacr, u64::MAX), GuestAccess::Written);
    assert_eq!(gr(&mut p, El::El1, uacr), GuestAccess::Read(0b11 | C));
}

#[test]
fn el0_obeys_pmuserenr() {
    let mut p = partitioned();
    p.set_counter(0, 3);
    let en = 1;
    let sw = 1 << 1;
    let cr = 1 << 2;
    let er = 1 << 3;
    let ccntr = enc::<PMCCNTR_EL0>();
    let selr = enc::<PMSELR_EL0>();
    let swinc = enc::<PMSWINC_EL0>();
    let cnten = enc::<PMCNTENSET_EL0>();
    // Nothing enabled: everything goes to EL1.
    p.set_raw(enc::<PMUSERENR_EL0>(), 0);
    for (e, _, _) in base_pmu_registers() {
        if e == enc::<PMUSERENR_EL0>() {
            continue;
        }
        assert_eq!(gr(&mut p, El::El0, e), GuestAccess::Undefined, "{e:?}");
        assert_eq!(gw(&mut p, El::El0, e, 0), GuestAccess::Undefined, "{e:?}");
    }
    // PMUSERENR_EL0 itself is readable at EL0, never writable.
    assert_eq!(
        gr(&mut p, El::El0, enc::<PMUSERENR_EL0>()),
        GuestAccess::Read(0)
    );
    // ER: event counter reads and PMSELR_EL0, nothing else.
    p.set_raw(enc::<PMUSERENR_EL0>(), er);
    assert_eq!(gr(&mut p, El::El0, evcntr(0)), GuestAccess::Read(3));
    assert_eq!(gw(&mut p, El::El0, evcntr(0), 0), GuestAccess::Undefined);
    assert_eq!(gw(&mut p, El::El0, selr, 0), GuestAccess::Written);
    assert_eq!(
        gr(&mut p, El::El0, enc::<PMXEVCNTR_EL0>()),
        GuestAccess::Read(3)
    );
    assert_eq!(gr(&mut p, El::El0, evtyper(0)), GuestAccess::Undefined);
    assert_eq!(gr(&mut p, El::El0, ccntr), GuestAccess::Undefined);
    // CR: cycle counter reads only.
    p.set_raw(enc::<PMUSERENR_EL0>(), cr);
    assert_eq!(gr(&mut p, El::El0, ccntr), GuestAccess::Read(0));
    assert_eq!(gw(&mut p, El::El0, ccntr, 1), GuestAccess::Undefined);
    assert_eq!(gr(&mut p, El::El0, cnten), GuestAccess::Undefined);
    // SW: PMSWINC_EL0 only.
    p.set_raw(enc::<PMUSERENR_EL0>(), sw);
    assert_eq!(gw(&mut p, El::El0, swinc, 1), GuestAccess::Written);
    assert_eq!(gr(&mut p, El::El0, selr), GuestAccess::Undefined);
    // EN: everything EL0 can reach, with the EL1 view of the partition.
    p.set_raw(enc::<PMUSERENR_EL0>(), en);
    assert_eq!(gw(&mut p, El::El0, cnten, u64::MAX), GuestAccess::Written);
    assert_eq!(p.pmcnten(), 0b11 | C);
    assert_eq!(gr(&mut p, El::El0, evcntr(2)), trap(evcntr(2), true));
    // Registers without EL0 access stay UNDEFINED.
    assert_eq!(
        gr(&mut p, El::El0, enc::<PMINTENSET_EL1>()),
        GuestAccess::Undefined
    );
    assert_eq!(
        gr(&mut p, El::El0, enc::<PMMIR_EL1>()),
        GuestAccess::Undefined
    );
    assert_eq!(
        gw(&mut p, El::El0, enc::<PMUSERENR_EL0>(), 0),
        GuestAccess::Undefined
    );
    assert_eq!(
        gr(&mut p, El::El0, enc::<ID_AA64DFR0_EL1>()),
        GuestAccess::Undefined
    );
    // PMUSERENR_EL0 written from EL1 takes its implemented bits.
    assert_eq!(
        gw(&mut p, El::El1, enc::<PMUSERENR_EL0>(), u64::MAX),
        GuestAccess::Written
    );
    assert_eq!(p.pmuserenr(), 0xf, "UEN/TID need PMUv3p9, IR needs ICNTR");
}

#[test]
fn el0_user_enable_with_pmuv3p9() {
    let mut p = CpuPmu::new(Config {
        pmu_ver: PmuVer::V3P9,
        icntr: true,
        fgt: Fgt::FGT2,
        ..cfg(4)
    });
    set_mdcr(&mut p, mdcr_partition(2));
    wr::<HDFGRTR2_EL2>(&mut p, u64::MAX);
    wr::<HDFGWTR2_EL2>(&mut p, u64::MAX);
    let uen = 1 << 4;
    let er = 1 << 3;
    p.set_raw(enc::<PMUSERENR_EL0>(), uen);
    p.set_counter(0, 10);
    p.set_counter(1, 11);
    p.set_instruction_counter(12);
    // PMUACR_EL1 grants counter 0 only.
    p.set_raw(enc::<PMUACR_EL1>(), 1);
    assert_eq!(gr(&mut p, El::El0, evcntr(0)), GuestAccess::Read(10));
    assert_eq!(
        gr(&mut p, El::El0, evcntr(1)),
        GuestAccess::Read(0),
        "RAZ/WI"
    );
    assert_eq!(gw(&mut p, El::El0, evcntr(1), 0), GuestAccess::Written);
    assert_eq!(p.counter(1), 11);
    assert_eq!(
        gr(&mut p, El::El0, enc::<PMICNTR_EL0>()),
        GuestAccess::Read(0)
    );
    // With UEN, PMCR_EL0 traps to EL1 even with EN.
    p.set_raw(enc::<PMUSERENR_EL0>(), uen | 1);
    assert_eq!(
        gr(&mut p, El::El0, enc::<PMCR_EL0>()),
        GuestAccess::Undefined
    );
    // ER with UEN makes event counter writes ignored.
    p.set_raw(enc::<PMUSERENR_EL0>(), uen | er);
    assert_eq!(gw(&mut p, El::El0, evcntr(0), 0), GuestAccess::Written);
    assert_eq!(p.counter(0), 10);
    // The instruction counter needs UEN at EL0 and PMUACR_EL1.F0.
    p.set_raw(enc::<PMUACR_EL1>(), F0);
    assert_eq!(
        gr(&mut p, El::El0, enc::<PMICNTR_EL0>()),
        GuestAccess::Read(12)
    );
    p.set_raw(enc::<PMUSERENR_EL0>(), 1);
    assert_eq!(
        gr(&mut p, El::El0, enc::<PMICNTR_EL0>()),
        GuestAccess::Undefined
    );
    // TID traps PMCEIDn_EL0 reads to EL1.
    p.set_raw(enc::<PMUSERENR_EL0>(), 1 | 1 << 6);
    assert_eq!(
        gr(&mut p, El::El0, enc::<PMCEID0_EL0>()),
        GuestAccess::Undefined
    );
}

#[test]
fn el2_and_unknown_registers_are_undefined_from_the_guest() {
    let mut p = partitioned();
    for e in [
        enc::<MDCR_EL2>(),
        enc::<HDFGRTR_EL2>(),
        enc::<HDFGWTR_EL2>(),
        enc::<HCR_EL2>(),
        // The PMEVCNTR31 slot is unallocated.
        Encoding::new(3, 3, 14, 11, 7),
    ] {
        assert_eq!(gr(&mut p, El::El1, e), GuestAccess::Undefined, "{e:?}");
        assert_eq!(gw(&mut p, El::El1, e, 0), GuestAccess::Undefined, "{e:?}");
    }
    // Wrong direction.
    assert_eq!(
        gr(&mut p, El::El1, enc::<PMSWINC_EL0>()),
        GuestAccess::Undefined
    );
    assert_eq!(
        gw(&mut p, El::El1, enc::<PMCEID0_EL0>(), 0),
        GuestAccess::Undefined
    );
    assert_eq!(
        gw(&mut p, El::El1, enc::<ID_AA64DFR0_EL1>(), 0),
        GuestAccess::Undefined
    );
    // Features not implemented (PMUv3p5, no ICNTR, no PMUv3p9).
    for e in [
        enc::<PMICNTR_EL0>(),
        enc::<PMUACR_EL1>(),
        enc::<aarch64_sysregs::PMSSCR_EL1>(),
    ] {
        assert_eq!(gr(&mut p, El::El1, e), GuestAccess::Undefined, "{e:?}");
    }
    assert_eq!(
        gw(&mut p, El::El1, enc::<PMZR_EL0>(), 1),
        GuestAccess::Undefined
    );
}

#[test]
fn id_registers_read_from_el1() {
    let mut p = partitioned();
    let dfr0 = rd::<ID_AA64DFR0_EL1>(&mut p);
    assert_eq!(
        gr(&mut p, El::El1, enc::<ID_AA64DFR0_EL1>()),
        GuestAccess::Read(dfr0)
    );
}

#[test]
fn software_increment_from_el1_reaches_only_the_first_range() {
    let mut p = partitioned();
    wr::<PMCR_EL0>(&mut p, E);
    wr::<PMCNTENSET_EL0>(&mut p, 0x3f);
    for i in 0..6 {
        p.write_encoding(evtyper(i), u64::from(SW_INCR));
    }
    p.write_encoding(evtyper(1), F_P | u64::from(SW_INCR)); // excludes EL1
    assert_eq!(
        gw(&mut p, El::El1, enc::<PMSWINC_EL0>(), 0x3f),
        GuestAccess::Written
    );
    assert_eq!(
        (0..6).map(|i| p.counter(i)).collect::<Vec<_>>(),
        [1, 0, 0, 0, 0, 0]
    );
}

#[test]
fn guest_accesses_are_neither_counted_nor_logged() {
    let mut p = partitioned();
    p.clear_stats();
    p.set_logging(true);
    let _ = gr(&mut p, El::El1, enc::<PMCCNTR_EL0>());
    let _ = gw(&mut p, El::El1, enc::<PMCCNTR_EL0>(), 1);
    assert_eq!((p.reads, p.writes), (0, 0));
    assert!(p.log().is_empty());
}
