//! Forwarded overflow ([`OverflowDelivery::Forwarded`]): the guest's overflow flags stay in
//! hardware while its vCPU is loaded, PMOVSSET/CLR_EL0 do not trap, and the physical PMU
//! interrupt is forwarded to the guest (a hardware-mapped list register, modelled by the
//! harness) instead of driving a software line.

mod common;
use common::*;

const FWD: OverflowDelivery = OverflowDelivery::Forwarded;

/// vCPU 0 (4 counters; counter 0 counts CPU_CYCLES with its interrupt on, counter 1 too with
/// its interrupt off) and vCPU 1 (untouched) on CPU 0 of `keep`; the host counts CPU_CYCLES
/// everywhere on counter 4 with its interrupt on, and on counter 5 without.
fn setup_on(keep: &[bool], overflow: OverflowDelivery) -> Hyp {
    let mut h = Hyp::new_with(
        cfg(6),
        2,
        keep,
        &[4, 4],
        EventFilter::allow_all(),
        true,
        overflow,
    );
    for cpu in &mut h.cpus {
        cpu.core.assume_clean();
    }
    h.host_program(0, 4, F_NSH | u64::from(CPU_CYCLES), u64::MAX - 99, true);
    h.host_program(0, 5, F_NSH | u64::from(CPU_CYCLES), u64::MAX - 99, false);
    h.run(0, 0);
    h.write(0, enc::<PMCR_EL0>(), E | LP);
    h.write(0, evtyper(0), u64::from(CPU_CYCLES));
    h.write(0, evtyper(1), u64::from(CPU_CYCLES));
    h.write(0, enc::<PMCNTENSET_EL0>(), 0b11);
    h.write(0, enc::<PMINTENSET_EL1>(), 0b1 | C);
    assert_eq!(
        h.vcpus[0].overflow_forwarded(),
        overflow == FWD,
        "direct mode, owned"
    );
    h
}

fn setup(overflow: OverflowDelivery) -> Hyp {
    setup_on(&[false], overflow)
}

/// A guest access that must not trap: its result.
fn direct(h: &mut Hyp, e: Encoding, write: Option<u64>) -> GuestAccess {
    let out = h.guest_ex(0, El::El1, e, write, 2);
    assert_eq!(out.trapped, None, "{e:?} trapped");
    out.result
}

#[test]
fn forwarded_traps_leave_only_the_overflow_status_untrapped() {
    let mut virt = setup(OverflowDelivery::Virtual);
    let mut fwd = setup(FWD);
    let (tv, tf) = (virt.vcpus[0].traps(true), fwd.vcpus[0].traps(true));
    assert!(
        tv.hdfgrtr.pmovs() && tv.hdfgwtr.pmovs(),
        "Virtual still traps"
    );
    assert!(!tf.hdfgrtr.pmovs() && !tf.hdfgwtr.pmovs());
    assert_eq!(tf.hdfgrtr.with_pmovs(true), tv.hdfgrtr);
    assert_eq!(tf.hdfgwtr.with_pmovs(true), tv.hdfgwtr);
    assert_eq!(tf.mdcr, tv.mdcr);
    // The untouched vCPU traps everything, and so does a forwarded plan's vCPU without
    // FEAT_FGT (trapped mode): neither is forwarded.
    assert!(!fwd.vcpus[1].overflow_forwarded());
    let lazy = fwd.vcpus[1].traps(true);
    assert!(lazy.mdcr.tpm() && lazy.hdfgrtr.pmovs() && lazy.hdfgwtr.pmovs());
    let no_fgt = Config {
        fgt: Fgt::NI,
        ..cfg(6)
    };
    let mut t = Hyp::new_with(
        no_fgt,
        2,
        &[false],
        &[4],
        EventFilter::allow_all(),
        true,
        FWD,
    );
    t.run(0, 0);
    t.read(0, enc::<PMCR_EL0>()); // claims
    assert_eq!(t.vcpus[0].ownership(), Ownership::Owned);
    assert!(
        !t.vcpus[0].overflow_forwarded(),
        "trapped mode is never forwarded"
    );
    assert!(t.vcpus[0].traps(true).mdcr.tpm());

    // On the model: the guest's PMOVSSET/CLR accesses reach the hardware directly.
    for e in [enc::<PMOVSSET_EL0>(), enc::<PMOVSCLR_EL0>()] {
        assert!(matches!(direct(&mut fwd, e, None), GuestAccess::Read(_)));
    }
    let out = virt.guest_ex(0, El::El1, enc::<PMOVSSET_EL0>(), None, 2);
    assert_eq!(out.trapped, Some(TrapCause::FineGrained));
    fwd.exit(0);
    virt.exit(0);
}

#[test]
fn a_guest_overflow_is_forwarded_and_left_in_hardware() {
    let mut h = setup(FWD);
    h.write(0, evcntr(0), u64::MAX - 9);
    h.count(0, Level::El1, CPU_CYCLES, 10);
    assert_eq!(h.lines.forwarded[0], 1, "forwarded once");
    assert!(!h.lines.level(0), "no software level");
    assert_eq!(h.lines.raised[0], 0);
    assert_eq!(h.host_overflow_bits[0], 0, "nothing for the host's handler");
    assert_eq!(h.pmu(0).pmovs() & guest_bits(4), 0b1, "left in hardware");
    assert_eq!(h.vcpus[0].regs().pmovs, 0, "not in the vCPU's copy");
    assert!(h.cpus[0].ppi_active && h.lrs[0] == Some(Lr::Pending));
    // Active: more overflows are not forwarded again, and an exit keeps the line low.
    h.write(0, evcntr(0), u64::MAX);
    h.count(0, Level::El1, CPU_CYCLES, 1);
    assert_eq!(h.lines.forwarded[0], 1);
    h.exit(0);
    assert!(!h.lines.level(0));
    h.enter(0);
    // The guest's handler: acknowledge, read and clear the flags without trapping, EOI.
    assert!(h.guest_ack(0));
    assert_eq!(
        direct(&mut h, enc::<PMOVSCLR_EL0>(), None),
        GuestAccess::Read(0b1)
    );
    assert_eq!(
        direct(&mut h, enc::<PMOVSCLR_EL0>(), Some(0b1)),
        GuestAccess::Written
    );
    assert_eq!(h.pmu(0).pmovs() & guest_bits(4), 0);
    assert!(h.guest_eoi(0));
    assert!(!h.cpus[0].ppi_active, "the guest's EOI deactivated it");
    assert_eq!(h.lines.forwarded[0], 1, "nothing left to forward");
    // The next overflow is forwarded again.
    h.write(0, evcntr(0), u64::MAX);
    h.count(0, Level::El1, CPU_CYCLES, 1);
    assert_eq!(h.lines.forwarded[0], 2);
    assert_eq!(h.lines.forwarded[1], 0, "no other vCPU hears of it");
    // An EOI with the flag still set: level-sensitive, it fires (and is forwarded) again.
    assert!(h.guest_ack(0));
    assert!(h.guest_eoi(0));
    assert_eq!(h.lines.forwarded[0], 3);
    assert_eq!(h.lines.raised, [0; 64], "the software line is never used");
    h.exit(0);
    h.check_host(0);
    h.check_architectural();
}

#[test]
fn a_sample_costs_no_trap_with_forwarded_overflow_and_two_without() {
    for (overflow, traps) in [(FWD, 0), (OverflowDelivery::Virtual, 2)] {
        let mut h = setup(overflow);
        h.write(0, evcntr(0), u64::MAX - 9);
        let mut trapped = 0;
        for _ in 0..3 {
            h.count(0, Level::El1, CPU_CYCLES, 10);
            if overflow == FWD {
                assert!(h.guest_ack(0));
            } else {
                assert!(h.lines.level(0));
            }
            // perf's handler: read the overflow status, clear it, rearm the counter.
            let accesses = [
                (enc::<PMOVSCLR_EL0>(), None),
                (enc::<PMOVSCLR_EL0>(), Some(0b1)),
                (evcntr(0), Some(u64::MAX - 9)),
            ];
            for (e, write) in accesses {
                let out = h.guest_ex(0, El::El1, e, write, 3);
                trapped += u32::from(out.trapped.is_some());
            }
            if overflow == FWD {
                assert!(h.guest_eoi(0));
            } else {
                assert!(!h.lines.level(0));
            }
        }
        assert_eq!(trapped, 3 * traps, "{overflow:?}");
        assert_eq!(h.lines.forwarded[0] + h.lines.raised[0], 3);
        h.exit(0);
        h.check_host(0);
    }
}

#[test]
fn host_overflows_go_only_to_the_host() {
    let mut h = setup(FWD);
    // Guest execution overflows the host's counters (they count EL1 too).
    h.count(0, Level::El1, CPU_CYCLES, 100);
    assert_eq!(h.host_overflow_bits[0], 1 << 4, "counter 4's, for the host");
    assert_eq!(h.lines.forwarded[0], 0);
    assert!(!h.lines.level(0));
    assert_eq!(
        direct(&mut h, enc::<PMOVSSET_EL0>(), None),
        GuestAccess::Read(0)
    );
    assert_ne!(
        h.pmu(0).pmovs() & 1 << 5,
        0,
        "counter 5's flag stays for host perf"
    );
    assert_eq!(h.host[0][4].delivered, 1);

    // A host overflow while the guest holds the forwarded interrupt waits for its EOI, and
    // then goes to the host alone.
    h.exit(0);
    h.host_program(0, 4, F_NSH | u64::from(CPU_CYCLES), u64::MAX, true);
    h.enter(0);
    h.write(0, evcntr(0), u64::MAX);
    h.count(0, Level::El1, CPU_CYCLES, 1);
    assert_eq!(
        h.lines.forwarded[0], 1,
        "both overflowed: the guest's is forwarded"
    );
    assert_eq!(h.host[0][4].delivered, 2, "the host's came with it");
    h.exit(0);
    h.host_program(0, 4, F_NSH | u64::from(CPU_CYCLES), u64::MAX, true);
    h.enter(0);
    h.count(0, Level::El1, CPU_CYCLES, 1);
    assert_eq!(
        h.host[0][4].pending, 1,
        "the interrupt is active: the host waits"
    );
    h.check_host(0);
    assert!(h.guest_ack(0));
    direct(&mut h, enc::<PMOVSCLR_EL0>(), Some(u64::MAX));
    assert!(h.guest_eoi(0));
    assert_eq!(h.host[0][4].delivered, 3, "delivered at the guest's EOI");
    assert_eq!(h.lines.forwarded[0], 1, "and not to the guest");
    // The same at a put, which deactivates the interrupt the guest did not EOI.
    h.write(0, evcntr(0), u64::MAX);
    h.count(0, Level::El1, CPU_CYCLES, 1);
    assert_eq!(h.lines.forwarded[0], 2);
    h.exit(0);
    h.host_program(0, 4, F_NSH | u64::from(CPU_CYCLES), u64::MAX, true);
    h.count(0, Level::El2, CPU_CYCLES, 1);
    assert_eq!(h.host[0][4].pending, 1);
    h.put(0);
    assert_eq!(h.host[0][4].delivered, 4);
    assert!(!h.cpus[0].ppi_active);
    assert_eq!(h.lines.forwarded[0], 2);
    h.check_host(0);
    h.check_architectural();
}

#[test]
fn put_saves_pending_flags_and_load_restores_them() {
    let mut h = setup_on(&[false, false], FWD);
    // Counter 1 (interrupt off) overflows: a flag, no interrupt.
    h.write(0, evcntr(1), u64::MAX);
    h.count(0, Level::El1, CPU_CYCLES, 1);
    assert_eq!(h.lines.forwarded[0], 0);
    h.put(0);
    assert_eq!(h.vcpus[0].regs().pmovs, 0b10, "saved at put");
    assert_eq!(
        h.pmu(0).pmovs() & guest_bits(4),
        0,
        "taken from the hardware"
    );
    assert!(!h.lines.level(0), "its interrupt is off");
    // Loaded on the other CPU: the flag is in hardware again, the guest's to read and clear.
    let pmu = h.pmu(1);
    pmu.clear_log();
    pmu.set_logging(true);
    h.load(1, 0);
    let sets: Vec<u64> = h.cpus[1]
        .pmu
        .log()
        .iter()
        .filter(|a| a.encoding == enc::<PMOVSSET_EL0>() && a.kind == AccessKind::Write)
        .map(|a| a.value)
        .collect();
    assert_eq!(sets, [0b10], "one PMOVSSET write, the vCPU's flag");
    h.audit(1);
    assert_eq!(h.pmu(1).pmovs() & guest_bits(4), 0b10);
    h.enter(1);
    assert_eq!(h.lines.forwarded[0], 0, "its interrupt is still off");
    let ovs = |h: &mut Hyp| {
        let out = h.guest_ex(1, El::El1, enc::<PMOVSSET_EL0>(), None, 1);
        assert_eq!(out.trapped, None);
        out.result
    };
    assert_eq!(ovs(&mut h), GuestAccess::Read(0b10));
    // Enabling its interrupt raises the physical one, forwarded at once.
    h.write(1, enc::<PMINTENSET_EL1>(), 0b10);
    assert_eq!(h.lines.forwarded[0], 1);
    // Put with the list register still pending: dropped, the interrupt deactivated, the
    // overflow the software line's while the vCPU is out ...
    h.put(1);
    assert_eq!(h.vcpus[0].regs().pmovs, 0b10);
    assert!(!h.cpus[1].ppi_active && h.lrs[0].is_none());
    assert!(
        h.lines.level(0),
        "pending while not loaded: the software line"
    );
    assert_eq!(h.lines.raised[0], 1);
    // ... and the load raises it again in hardware, forwarded before the guest runs; the
    // software line goes down.
    h.load(0, 0);
    h.enter(0);
    assert!(!h.lines.level(0));
    assert_eq!(h.lines.forwarded[0], 2);
    assert_eq!(h.pmu(0).pmovs() & guest_bits(4), 0b10);
    // Put while the guest is in its handler: the list register becomes a software one, the
    // physical interrupt is deactivated, and the guest's EOI after the next load only ends
    // the virtual interrupt.
    assert!(h.guest_ack(0));
    h.put(0);
    assert!(h.soft_active[0] && !h.cpus[0].ppi_active);
    h.run(0, 0);
    assert_eq!(
        h.lines.forwarded[0], 3,
        "the flag is still set: raised again"
    );
    assert!(!h.guest_ack(0), "not while the guest is in its handler");
    direct(&mut h, enc::<PMOVSCLR_EL0>(), Some(0b10));
    assert!(h.guest_eoi(0), "the software one");
    assert!(h.cpus[0].ppi_active, "the forwarded one is still pending");
    assert!(h.guest_ack(0));
    assert!(h.guest_eoi(0));
    assert!(!h.cpus[0].ppi_active);
    assert_eq!(h.lines.forwarded[0], 3, "cleared: not raised again");
    h.put(0);
    assert_eq!(h.vcpus[0].regs().pmovs, 0);
    assert!(!h.lines.level(0));
    h.check_host(0);
    h.check_architectural();
}

#[test]
fn a_resident_return_restores_the_flags_with_one_write() {
    let mut h = setup_on(&[true], FWD);
    h.write(0, evcntr(1), u64::MAX);
    h.count(0, Level::El1, CPU_CYCLES, 1);
    h.put(0);
    assert_eq!(h.vcpus[0].regs().pmovs, 0b10);
    let pmu = h.pmu(0);
    pmu.clear_log();
    pmu.set_logging(true);
    let cost = h.measure(0, |h| h.load(0, 0));
    assert_eq!(cost, (0, 1), "one write");
    let log: Vec<_> = h.pmu(0).log().to_vec();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].encoding, enc::<PMOVSSET_EL0>());
    assert_eq!(log[0].value, 0b10);
    h.audit(0);
    h.enter(0);
    assert_eq!(
        direct(&mut h, enc::<PMOVSSET_EL0>(), None),
        GuestAccess::Read(0b10)
    );
    // Cleared by the guest: the next return costs nothing.
    direct(&mut h, enc::<PMOVSCLR_EL0>(), Some(0b10));
    h.put(0);
    assert_eq!(
        h.vcpus[0].regs().pmovs,
        0,
        "the guest's clear, not the stale copy"
    );
    let cost = h.measure(0, |h| h.load(0, 0));
    assert_eq!(cost, (0, 0));
    h.enter(0);
    assert_eq!(
        direct(&mut h, enc::<PMOVSSET_EL0>(), None),
        GuestAccess::Read(0)
    );
    h.exit(0);
    h.check_host(0);
    h.check_architectural();
}

#[test]
fn a_trapped_overflow_status_access_uses_the_hardware_flags() {
    // A CPU not known to be clean, its guests' flags set: the claiming access clears them.
    let mut h = Hyp::new_with(
        cfg(6),
        2,
        &[false],
        &[4],
        EventFilter::allow_all(),
        true,
        FWD,
    );
    h.pmu(0).set_raw(enc::<PMOVSSET_EL0>(), 0b1111 | C);
    h.run(0, 0);
    let out = h.guest_ex(0, El::El1, enc::<PMOVSSET_EL0>(), None, 4);
    assert!(out.claimed && out.trapped.is_some());
    assert_eq!(
        out.result,
        GuestAccess::Read(0),
        "stale flags are not the guest's"
    );
    assert!(h.vcpus[0].overflow_forwarded());
    // A trapped PMOVSSET write (the claiming access of another guest would be one).
    h.exit(0);
    h.put(0);
    let mut h2 = Hyp::new_with(
        cfg(6),
        2,
        &[false],
        &[4],
        EventFilter::allow_all(),
        true,
        FWD,
    );
    h2.run(0, 0);
    let out = h2.guest_ex(0, El::El1, enc::<PMOVSSET_EL0>(), Some(0b101 | 1 << 5), 4);
    assert!(out.claimed);
    assert_eq!(
        h2.pmu(0).pmovs(),
        0b101,
        "in hardware, limited to its counters"
    );
    assert_eq!(h2.vcpus[0].regs().pmovs, 0, "not in the copy");
    assert_eq!(
        direct(&mut h2, enc::<PMOVSSET_EL0>(), None),
        GuestAccess::Read(0b101)
    );

    // Emulated accesses of a loaded forwarded vCPU, called directly as a hypervisor whose
    // traps are stale would: read, clear and set act on the hardware.
    fn emulate(h: &mut Hyp, e: Encoding, value: Option<u64>) -> Emulation {
        let iss = e.iss() | u32::from(value.is_none());
        let trap = SysRegTrap::from_esr(esr(iss, 0)).unwrap();
        let cpu = &mut h.cpus[0];
        h.vcpus[0]
            .handle_trap(
                &mut cpu.core,
                &h.filter,
                &mut cpu.pmu,
                &mut h.lines,
                trap,
                value.unwrap_or(0),
            )
            .emulation
    }
    assert_eq!(
        emulate(&mut h2, enc::<PMOVSCLR_EL0>(), None),
        Emulation::Read(0b101)
    );
    assert_eq!(
        emulate(&mut h2, enc::<PMOVSCLR_EL0>(), Some(0b1)),
        Emulation::Written
    );
    assert_eq!(h2.pmu(0).pmovs(), 0b100);
    assert_eq!(
        emulate(&mut h2, enc::<PMOVSSET_EL0>(), Some(C)),
        Emulation::Written
    );
    assert_eq!(h2.pmu(0).pmovs(), 0b100 | C);
    assert_eq!(h2.vcpus[0].regs().pmovs, 0);
    // A software increment overflowing a counter sets its flag in hardware too.
    h2.write(0, evtyper(2), u64::from(SW_INCR));
    direct(&mut h2, evcntr(2), Some(0xffff_ffff));
    direct(&mut h2, enc::<PMCNTENSET_EL0>(), Some(0b100));
    direct(&mut h2, enc::<PMCR_EL0>(), Some(E));
    direct(&mut h2, enc::<PMOVSCLR_EL0>(), Some(u64::MAX));
    assert_eq!(
        emulate(&mut h2, enc::<PMSWINC_EL0>(), Some(0b100)),
        Emulation::Written
    );
    assert_eq!(h2.pmu(0).counter(2), 0x1_0000_0000);
    assert_eq!(h2.pmu(0).pmovs(), 0b100);
    assert_eq!(h2.vcpus[0].regs().pmovs, 0);
    assert!(!h2.lines.level(0), "no software level while loaded");
    h2.exit(0);
    h2.put(0);
    assert_eq!(h2.vcpus[0].regs().pmovs, 0b100);
    h2.check_architectural();
}

#[test]
fn the_forward_follows_pmcr_e_and_pminten() {
    let mut h = setup(FWD);
    // PMCR_EL0.E off: the guest's flag requests nothing, even when a host overflow brings
    // the handler.
    h.write(0, evcntr(0), u64::MAX);
    h.write(0, enc::<PMCR_EL0>(), LP);
    h.pmu(0).set_raw(enc::<PMOVSSET_EL0>(), 0b1);
    h.exit(0);
    h.host_program(0, 4, F_NSH | u64::from(CPU_CYCLES), u64::MAX, true);
    h.count(0, Level::El2, CPU_CYCLES, 1);
    assert_eq!(h.host[0][4].delivered, 1);
    assert_eq!(h.lines.forwarded[0], 0, "PMCR_EL0.E is off");
    assert_eq!(h.pmu(0).pmovs() & guest_bits(4), 0b1, "still the guest's");
    h.enter(0);
    // Its interrupt off: the flag requests nothing either.
    h.write(0, enc::<PMINTENCLR_EL1>(), 0b1);
    h.write(0, enc::<PMCR_EL0>(), E | LP);
    assert_eq!(h.lines.forwarded[0], 0, "PMINTENSET is off");
    // Both on: forwarded.
    h.write(0, enc::<PMINTENSET_EL1>(), 0b1);
    assert_eq!(h.lines.forwarded[0], 1);
    assert!(!h.lines.level(0));
    h.exit(0);
    h.check_host(0);
    h.check_architectural();
}

/// A flag in the guests' range beyond the loaded vCPU's counters is not the guest's: the full
/// handler clears it, so the interrupt fast path ([`ForwardedOverflow::guests_alone`]) must
/// leave such an interrupt to [`PcpuPmu::handle_overflow`], even with the guest's own overflow
/// to forward. (`service_irq` checks the fast path against the handler at every interrupt.)
#[test]
fn a_stray_flag_sends_the_fast_path_to_the_full_handler() {
    let mut h = Hyp::new_with(
        cfg(6),
        2,
        &[false],
        &[2],
        EventFilter::allow_all(),
        true,
        FWD,
    );
    h.cpus[0].core.assume_clean();
    h.run(0, 0);
    h.write(0, enc::<PMCR_EL0>(), E | LP);
    h.write(0, evtyper(0), u64::from(CPU_CYCLES));
    h.write(0, enc::<PMCNTENSET_EL0>(), 0b1);
    h.write(0, enc::<PMINTENSET_EL1>(), 0b1);
    let fast = h.cpus[0]
        .core
        .forwarded_overflow(&h.vcpus[0])
        .expect("loaded here, owned, forwarded");
    assert!(h.pmu(0).set_raw(enc::<PMOVSSET_EL0>(), 0b1));
    assert!(
        fast.guests_alone(&mut h.pmu(0).clone()),
        "the guest's alone"
    );
    assert!(h.pmu(0).set_raw(enc::<PMOVSSET_EL0>(), 0b1000));
    assert!(
        !fast.guests_alone(&mut h.pmu(0).clone()),
        "counter 3 is not vCPU 0's"
    );
    h.write(0, evcntr(0), u64::MAX);
    h.count(0, Level::El1, CPU_CYCLES, 1);
    assert_eq!(
        h.lines.forwarded[0], 1,
        "the guest's overflow is still forwarded"
    );
    assert_eq!(
        h.pmu(0).pmovs() & guest_bits(4),
        0b1,
        "the stray flag cleared, the guest's kept"
    );
    h.exit(0);
    h.check_host(0);
    // Not loaded (put): no fast path.
    h.put(0);
    assert_eq!(h.cpus[0].core.forwarded_overflow(&h.vcpus[0]), None);
}
