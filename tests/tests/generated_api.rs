//! What the generated crate does, run on the host against its simulated register file: field
//! accessors, RES0/RES1 handling on write, enum ordering (signed, unsigned, IMP_DEF), encodings
//! and the ISS of a trapped access, families by runtime and compile-time index.

use aarch64_sysregs::{
    id_aa64dfr0_el1::{Hpmn0, IdAa64dfr0El1, PmuVer},
    id_aa64pfr0_el1::{Fp, IdAa64pfr0El1},
    pmcr_el0::PmcrEl0,
    pmevcntrx_el0::PmevcntrxEl0,
    pmu_counters::PmuCounters,
    Backend, Encoding, Nth, PMEVCNTRn_EL0, RegisterFile, SysReg, ID_AA64DFR0_EL1, PMCNTENSET_EL0,
    PMCR_EL0, PMEVCNTR3_EL0,
};

#[test]
fn fields_get_and_set_without_touching_their_neighbours() {
    let v = PmcrEl0::from_bits(u64::MAX).with_n(0).with_e(false);
    assert_eq!(v.n(), 0);
    assert!(!v.e());
    assert!(v.lc(), "neighbouring bits kept");
    assert_eq!(v.to_bits(), !(0x1f << 11) & !1);
    // Values wider than the field are cut to it, never spilling into the next field.
    let w = PmcrEl0::from_bits(0).with_n(0xff);
    assert_eq!(w.n(), 0x1f);
    assert_eq!(w.to_bits(), 0x1f << 11);
}

#[test]
fn writes_keep_res1_set_and_res0_clear() {
    let mut regs = RegisterFile::<16>::new();
    // PMCR_EL0 bits 63:33 are RES0 in the database: a write never sets them.
    unsafe { regs.write::<PMCR_EL0>(PmcrEl0::from_bits(u64::MAX)) };
    let written = regs.get(PMCR_EL0::ENCODING);
    assert_eq!(written & PmcrEl0::RES0, 0);
    assert_ne!(written & 1, 0);
    assert_eq!((regs.reads, regs.writes), (0, 1));
    unsafe { regs.modify::<PMCR_EL0>(|v| v.with_e(false)) };
    assert_eq!(regs.get(PMCR_EL0::ENCODING) & 1, 0);
    assert_eq!((regs.reads, regs.writes), (1, 2));
}

#[test]
fn unsigned_enum_orders_and_imp_def_is_outside_the_order() {
    assert!(PmuVer::V3P5.at_least(PmuVer::V3P1));
    assert!(!PmuVer::V3P1.at_least(PmuVer::V3P5));
    assert!(PmuVer::IMP.is_implemented());
    assert!(!PmuVer::NI.is_implemented());
    // 0b1111 is an IMPLEMENTATION DEFINED PMU, not the newest PMUv3.
    assert!(!PmuVer::IMP_DEF.at_least(PmuVer::IMP));
    assert!(!PmuVer::IMP_DEF.is_implemented());
    // Values the database does not name still round-trip.
    let unnamed = PmuVer::from_bits(0b1010);
    assert_eq!(unnamed.to_bits(), 0b1010);
    assert_eq!(unnamed.name(), None);
    let dfr0 = IdAa64dfr0El1::new()
        .with_pmu_ver(unnamed)
        .with_hpmn0(Hpmn0::IMP);
    assert_eq!(dfr0.pmu_ver(), unnamed);
    assert!(dfr0.hpmn0().is_implemented());
    assert!(!IdAa64dfr0El1::new().hpmn0().is_implemented());
}

#[test]
fn signed_enum_compares_as_signed() {
    // FP: 0b1111 is NI (-1), 0b0000 IMP, 0b0001 FP16.
    assert_eq!(Fp::NI.value(), -1);
    assert!(Fp::IMP.at_least(Fp::NI));
    assert!(!Fp::NI.at_least(Fp::IMP));
    let pfr0 = IdAa64pfr0El1::from_bits(0xf << 16);
    assert_eq!(pfr0.fp(), Fp::NI);
    assert!(!pfr0.fp().at_least(Fp::IMP));
}

#[test]
fn encodings_and_the_iss_of_a_trapped_access() {
    let e = PMCR_EL0::ENCODING;
    assert_eq!(e, Encoding::new(3, 3, 9, 12, 0));
    assert_eq!(format!("{e:?}"), "S3_3_C9_C12_0");
    // An MRS x7, PMCR_EL0 trapped to EL2: ISS = Op0|Op2|Op1|CRn|Rt|CRm|Direction(1 = read).
    let iss = e.iss() | 7 << 5 | 1;
    assert!(e.matches_iss(iss));
    assert_eq!(Encoding::from_iss(iss), e);
    assert!(!PMCNTENSET_EL0::ENCODING.matches_iss(iss));
    assert_eq!(
        aarch64_sysregs::name_of(Encoding::from_iss(iss)),
        Some("PMCR_EL0")
    );
    assert_eq!(
        aarch64_sysregs::name_of(Encoding::new(3, 7, 15, 15, 7)),
        None
    );
    assert_eq!(<ID_AA64DFR0_EL1 as SysReg>::NAME, "ID_AA64DFR0_EL1");
}

#[test]
fn families_by_runtime_and_compile_time_index() {
    let mut regs = RegisterFile::<64>::new();
    for n in 0..PMEVCNTRn_EL0::COUNT {
        let value = PmevcntrxEl0::from_bits(1000 + n as u64);
        assert!(unsafe { PMEVCNTRn_EL0::write(&mut regs, n, value) });
    }
    let zero = PmevcntrxEl0::from_bits(0);
    assert!(
        !unsafe { PMEVCNTRn_EL0::write(&mut regs, 31, zero) },
        "index 31 is not a PMEVCNTR"
    );
    assert_eq!(
        PMEVCNTRn_EL0::read(&mut regs, 30).map(|v| v.to_bits()),
        Some(1030)
    );
    assert_eq!(PMEVCNTRn_EL0::read(&mut regs, 31), None);
    assert_eq!(
        regs.read::<<PMEVCNTRn_EL0 as Nth<3>>::Reg>().to_bits(),
        1003
    );
    assert_eq!(PMEVCNTRn_EL0::index_of(PMEVCNTR3_EL0::ENCODING), Some(3));
    assert_eq!(
        PMEVCNTRn_EL0::encoding(3),
        Some(Encoding::new(3, 3, 14, 8, 3))
    );
    assert_eq!(PMEVCNTRn_EL0::index_of(PMCR_EL0::ENCODING), None);
    // Registers of one family share one value type, and shared layouts are shared too.
    let c: PmuCounters = regs.read::<PMCNTENSET_EL0>();
    assert_eq!(c.to_bits(), 0);
}
