//! One partitioned-PMU round trip, as a hypervisor core would drive the model: EL2 sets up the
//! partition and loads a guest context, the guest runs, events happen at EL1 and EL2, a guest
//! counter overflows, EL2 saves the context.

mod common;
use aarch64_sysregs::pmcr_el0::PmcrEl0;
use common::*;

#[test]
fn a_partitioned_guest_round_trip() {
    let mut p = pmu(6);
    // The host keeps counters 4 and 5 counting CPU_CYCLES at EL2 only.
    for i in [4, 5] {
        p.write_encoding(evtyper(i), F_P | F_U | F_NSH | u64::from(CPU_CYCLES));
    }
    wr::<PMCNTENSET_EL0>(&mut p, 0b11_0000);

    // World switch to the guest: the Partitioned PMU's MDCR_EL2 and fine-grained traps.
    set_mdcr(
        &mut p,
        MdcrEl2::from_bits(0)
            .with_hpmn(2)
            .with_hpme(true)
            .with_hpmd(true)
            .with_hccd(true)
            .to_bits(),
    );
    wr::<HDFGRTR_EL2>(
        &mut p,
        HdfgrtrEl2::from_bits(0)
            .with_pmovs(true)
            .with_pmccfiltr_el0(true)
            .with_pmevtypern_el0(true)
            .with_pmceidn_el0(true)
            .with_pmmir_el1(true)
            .to_bits(),
    );
    wr::<HDFGWTR_EL2>(
        &mut p,
        HdfgwtrEl2::from_bits(0)
            .with_pmovs(true)
            .with_pmccfiltr_el0(true)
            .with_pmevtypern_el0(true)
            .to_bits(),
    );

    // Load the guest's context, logging the accesses.
    p.clear_stats();
    p.set_logging(true);
    p.write_encoding(evtyper(0), F_NSH | u64::from(CPU_CYCLES)); // the core strips NSH...
    p.write_encoding(evtyper(0), u64::from(CPU_CYCLES)); // ...so the guest never counts EL2
    p.write_encoding(evcntr(0), 0xffff_ff00);
    wr::<PMCCFILTR_EL0>(&mut p, 0);
    wr::<PMCCNTR_EL0>(&mut p, 0);
    wr::<PMSELR_EL0>(&mut p, 0);
    wr::<PMCR_EL0>(&mut p, E | LC);
    wr::<PMOVSCLR_EL0>(&mut p, 0b11 | C);
    wr::<PMCNTENSET_EL0>(&mut p, 0b1 | C);
    wr::<PMINTENSET_EL1>(&mut p, 0b1);
    assert_eq!((p.reads, p.writes), (0, 10));
    let names: Vec<_> = p.log().iter().map(|a| a.name().unwrap_or("?")).collect();
    assert_eq!(
        names,
        [
            "PMEVTYPER0_EL0",
            "PMEVTYPER0_EL0",
            "PMEVCNTR0_EL0",
            "PMCCFILTR_EL0",
            "PMCCNTR_EL0",
            "PMSELR_EL0",
            "PMCR_EL0",
            "PMOVSCLR_EL0",
            "PMCNTENSET_EL0",
            "PMINTENSET_EL1",
        ]
    );
    assert!(p.log().iter().all(|a| !a.undefined));

    // The guest sees two counters and its own state, and traps where the core wants.
    let pmcr = gr(&mut p, El::El1, enc::<PMCR_EL0>());
    assert!(matches!(pmcr, GuestAccess::Read(v) if PmcrEl0::from_bits(v).n() == 2));
    assert_eq!(
        gr(&mut p, El::El1, evcntr(0)),
        GuestAccess::Read(0xffff_ff00)
    );
    assert_eq!(
        gr(&mut p, El::El1, enc::<PMCNTENSET_EL0>()),
        GuestAccess::Read(0b1 | C)
    );
    assert_eq!(gw(&mut p, El::El1, evtyper(0), 0), trap(evtyper(0), false));
    assert_eq!(
        gr(&mut p, El::El1, enc::<PMOVSSET_EL0>()),
        trap(enc::<PMOVSSET_EL0>(), true)
    );
    assert_eq!(gr(&mut p, El::El1, evcntr(4)), trap(evcntr(4), true));
    assert_eq!(p.last_trap_cause(), Some(TrapCause::Hpmn));

    // The guest runs 0x100 cycles, the hypervisor 50 (exits), the guest 0x10 more.
    p.count(Level::El1, CPU_CYCLES, 0x100);
    p.count(Level::El2, CPU_CYCLES, 50);
    assert_eq!(
        p.counter(0),
        0x1_0000_0000,
        "PMUv3p5: 64-bit counter, overflow at bit 31"
    );
    assert_eq!(p.cycle_counter(), 0x100, "HCCD: no EL2 cycles");
    assert_eq!((p.counter(4), p.counter(5)), (50, 50));
    assert_eq!(p.pmovs(), 0b1);
    assert!(
        p.irq_line(),
        "the guest's overflow requests the PMU interrupt"
    );

    // The interrupt is the host's: EL2 reads and clears the guest's flag.
    let ovs = rd::<PMOVSSET_EL0>(&mut p) & rd::<PMINTENSET_EL1>(&mut p);
    assert_eq!(ovs, 0b1);
    wr::<PMOVSCLR_EL0>(&mut p, ovs & (0b11 | C));
    assert!(!p.irq_line());

    // World switch back: save and stop the guest's counters.
    let saved_cntr0 = PMEVCNTRn_EL0::read(&mut p, 0).map(|v| v.to_bits());
    assert_eq!(saved_cntr0, Some(0x1_0000_0000));
    wr::<PMCNTENCLR_EL0>(&mut p, 0b11 | C);
    wr::<PMINTENCLR_EL1>(&mut p, 0b11 | C);
    set_mdcr(&mut p, mdcr_partition(6));
    p.count(Level::El2, CPU_CYCLES, 10);
    assert_eq!(p.counter(0), 0x1_0000_0000);
    assert_eq!((p.counter(4), p.counter(5)), (60, 60));
    assert_eq!(p.el2_undefined, 0);
    assert_eq!(p.constrained_unpredictable, 0);
}
