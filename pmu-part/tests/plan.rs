//! The partition, planned from the facts EL2 reads off models of various CPUs, and what the
//! plan's trap values make of the hardware.

mod common;
use common::*;

fn facts(cfg: Config) -> (HardwareFacts, CpuPmu) {
    let mut pmu = CpuPmu::new(cfg);
    pmu.set_logging(true);
    let facts = HardwareFacts::read(&mut pmu);
    // The ID registers, and PMCR_EL0 if there is a PMUv3 (UNDEFINED without).
    let pmcr = u64::from(cfg.pmu_ver.is_implemented());
    assert_eq!((pmu.reads, pmu.writes), (3 + pmcr, 0));
    assert_eq!(pmu.el2_undefined, 0);
    assert_eq!(pmu.constrained_unpredictable, 0);
    pmu.clear_stats();
    (facts, pmu)
}

#[test]
fn facts_are_read_at_el2() {
    let (f, _) = facts(Config::QEMU_MAX);
    assert_eq!(f.counters, 6, "PMCR_EL0.N as EL2 sees it");
    assert_eq!(f.pmu_ver, PmuVer::V3P5);
    assert!(f.hpmn0);
    assert_eq!(f.fgt, FineGrainedTraps::Fgt);
    assert!(!f.instruction_counter);
    assert!(f.pmuv3() && f.pmuv3p1() && f.pmuv3p5());

    let (f, _) = facts(Config {
        counters: 31,
        pmu_ver: PmuVer::V3P9,
        hpmn0: false,
        fgt: Fgt::FGT2,
        icntr: true,
    });
    assert_eq!(f.counters, 31);
    assert!(!f.hpmn0);
    assert_eq!(f.fgt, FineGrainedTraps::Fgt2);
    assert!(f.instruction_counter);

    let (f, _) = facts(Config {
        counters: 4,
        pmu_ver: PmuVer::IMP,
        hpmn0: false,
        fgt: Fgt::NI,
        icntr: false,
    });
    assert_eq!(f.fgt, FineGrainedTraps::None);
    assert!(f.pmuv3() && !f.pmuv3p1());
}

#[test]
fn facts_do_not_depend_on_the_current_partition() {
    // PMCR_EL0.N at EL2 is N whatever MDCR_EL2.HPMN says.
    let mut pmu = CpuPmu::new(cfg(6));
    pmu.set_mdcr(MdcrEl2::from_bits(0).with_hpmn(2).to_bits());
    assert_eq!(HardwareFacts::read(&mut pmu).counters, 6);
}

#[test]
fn a_partition_with_guest_and_host_counters() {
    let (f, mut pmu) = facts(cfg(6));
    let plan = Plan::new(f, 2).unwrap();
    assert_eq!(plan.guest_counters, 4);
    assert_eq!(plan.mode, Mode::Direct);
    assert_eq!(plan.guests_mask(), 0b1111 | C);
    assert_eq!(plan.host_mask, 0b11_0000);
    assert_eq!(plan.hpmn(4), 4);
    assert_eq!(plan.hpmn(1), 1);
    assert_eq!(plan.mode_for(0), Mode::Direct, "FEAT_HPMN0");
    // The host's values keep the partition: the guests' range below HPMN.
    let cpu = PcpuPmu::new(0, &plan, false);
    write_traps(&mut pmu, &cpu.host_traps(true));
    assert_eq!(pmu.hpmn(), 4);
    assert_eq!(pmu.constrained_unpredictable, 0);
}

#[test]
fn no_guest_counters_with_feat_hpmn0() {
    let (f, mut pmu) = facts(cfg(6));
    let plan = Plan::new(f, 6).unwrap();
    assert_eq!(plan.guest_counters, 0);
    assert_eq!(plan.mode, Mode::Direct, "HPMN = 0 is allowed");
    assert_eq!(plan.guests_mask(), C, "the cycle counter only");
    assert_eq!(
        plan.host_mask, 0b11_1111,
        "every event counter is the host's"
    );
    assert_eq!(plan.hpmn(0), 0);
    let v = VcpuPmu::new(0, &plan, 0).unwrap();
    assert_eq!(v.mode(), Mode::Direct);
    write_traps(&mut pmu, &v.traps(false));
    assert_eq!(pmu.hpmn(), 0);
    assert!(!pmu.hpmn_unpredictable());
}

#[test]
fn no_guest_counters_without_feat_hpmn0() {
    let (f, mut pmu) = facts(Config {
        hpmn0: false,
        ..cfg(6)
    });
    let plan = Plan::new(f, 6).unwrap();
    assert_eq!(plan.guest_counters, 0);
    assert_eq!(
        plan.mode,
        Mode::Trapped,
        "HPMN cannot be 0: everything traps"
    );
    assert_eq!(plan.hpmn(0), 1);
    assert_eq!(
        plan.host_mask, 0b11_1110,
        "counter 0 stays below HPMN: nobody's"
    );
    let v = VcpuPmu::new(0, &plan, 0).unwrap();
    assert_eq!(v.mode(), Mode::Trapped);
    write_traps(&mut pmu, &v.traps(false));
    assert!(
        !pmu.hpmn_unpredictable(),
        "HPMN 0 never reaches the hardware"
    );
    assert_eq!(pmu.hpmn(), 1);
    write_traps(&mut pmu, &PcpuPmu::new(0, &plan, false).host_traps(false));
    assert_eq!(pmu.hpmn(), 1);
    assert_eq!(pmu.constrained_unpredictable, 0);

    // With counters, the same CPU runs guests directly.
    let plan = Plan::new(f, 2).unwrap();
    assert_eq!(plan.mode, Mode::Direct);
    assert_eq!(plan.mode_for(0), Mode::Trapped, "a vCPU given no counter");
    assert_eq!(plan.mode_for(1), Mode::Direct);
}

#[test]
fn no_fgt_means_every_access_traps() {
    let (f, _) = facts(Config {
        fgt: Fgt::NI,
        ..cfg(6)
    });
    let plan = Plan::new(f, 2).unwrap();
    assert_eq!(plan.mode, Mode::Trapped);
    assert_eq!(plan.mode_for(4), Mode::Trapped);
    let v = VcpuPmu::new(0, &plan, 4).unwrap();
    let t = v.traps(false);
    assert!(t.hdfgrtr2.is_none() && t.hdfgwtr2.is_none());
}

#[test]
fn invalid_reservations_are_refused() {
    let (f, _) = facts(cfg(6));
    assert_eq!(
        Plan::new(f, 7),
        Err(PlanError::TooManyReserved {
            reserved: 7,
            available: 6
        })
    );
    assert!(Plan::new(f, 6).is_ok());
    let plan = Plan::new(f, 2).unwrap();
    assert!(
        VcpuPmu::new(0, &plan, 5).is_err(),
        "a vCPU cannot have more than G"
    );
    let (f, _) = facts(cfg(0));
    assert!(Plan::new(f, 1).is_err());
    let plan = Plan::new(f, 0).unwrap();
    assert_eq!(plan.guest_counters, 0);
    assert_eq!(plan.host_mask, 0);
    for ver in [PmuVer::NI, PmuVer::IMP_DEF] {
        let (f, _) = facts(Config {
            pmu_ver: ver,
            ..cfg(6)
        });
        assert_eq!(Plan::new(f, 0), Err(PlanError::NoPmuV3));
    }
}

#[test]
fn the_instruction_counter_stays_the_hosts() {
    let (f, _) = facts(Config {
        counters: 8,
        pmu_ver: PmuVer::V3P9,
        hpmn0: true,
        fgt: Fgt::FGT2,
        icntr: true,
    });
    let plan = Plan::new(f, 3).unwrap();
    assert_eq!(plan.host_instruction_counter(), F0);
    assert_eq!(plan.guests_mask() & F0, 0);
    assert_eq!(plan.host_mask & F0, 0, "host_mask is the event counters");
    assert_eq!(plan.mode, Mode::Direct);
}

#[test]
fn registers_only_fgt2_can_trap_need_fgt2_for_direct_mode() {
    // Without FEAT_FGT2 nothing but TPM traps PMICNTR_EL0/PMICFILTR_EL0 (the host's
    // instruction counter) or PMZR_EL0/PMUACR_EL1 (FEAT_PMUv3p9): a guest using its counters
    // directly could reach them.
    for (pmu_ver, icntr) in [(PmuVer::V3P5, true), (PmuVer::V3P9, false)] {
        let (f, _) = facts(Config {
            counters: 6,
            pmu_ver,
            hpmn0: true,
            fgt: Fgt::IMP,
            icntr,
        });
        let plan = Plan::new(f, 2).unwrap();
        assert_eq!(plan.mode, Mode::Trapped, "{pmu_ver:?} icntr {icntr}");
    }
}

#[test]
fn a_pmu_without_event_counters() {
    // N = 0: guests get the cycle counter. With FEAT_HPMN0, HPMN = 0 = N.
    let (f, mut pmu) = facts(cfg(0));
    let plan = Plan::new(f, 0).unwrap();
    assert_eq!(
        (plan.guest_counters, plan.host_mask, plan.mode),
        (0, 0, Mode::Direct)
    );
    write_traps(&mut pmu, &VcpuPmu::new(0, &plan, 0).unwrap().traps(true));
    assert_eq!(pmu.hpmn(), 0);
    assert_eq!(pmu.constrained_unpredictable, 0);
    // Without FEAT_HPMN0 no HPMN value is architecturally clean (0 is not allowed, nor is
    // anything above N): the plan keeps N = 0, MDCR_EL2.HPMN's reset value, rather than
    // inventing a counter 0, and traps every access.
    let (f, mut pmu) = facts(Config {
        hpmn0: false,
        ..cfg(0)
    });
    let plan = Plan::new(f, 0).unwrap();
    assert_eq!(plan.mode, Mode::Trapped);
    assert_eq!(plan.hpmn(0), 0, "not above N");
    let v = VcpuPmu::new(0, &plan, 0).unwrap();
    let t = v.traps(true);
    assert_eq!(t.mdcr.hpmn(), 0);
    assert!(t.mdcr.tpm() && t.mdcr.tpmcr());
    pmu.set_mdcr(t.mdcr.to_bits());
    assert_eq!(pmu.hpmn(), 0);
}
