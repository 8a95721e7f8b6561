//! Overflow interrupts: the host/guest split of the PMU interrupt, and the vCPU's virtual line,
//! PMCR_EL0.E && (its counters & PMOVSSET & PMINTENSET), level-sensitive.

mod common;
use common::*;

/// vCPU 0 (4 counters, interrupts on counter 0 and the cycle counter) running on CPU 0; the host
/// counts CPU_CYCLES everywhere on counter 4 with its interrupt on, and on counter 5 without.
fn setup(config: Config) -> Hyp {
    let mut h = Hyp::new(config, 2, &[false], &[4, 4], EventFilter::allow_all(), true);
    h.cpus[0].core.assume_clean();
    h.host_program(0, 4, F_NSH | u64::from(CPU_CYCLES), u64::MAX - 99, true);
    h.host_program(0, 5, F_NSH | u64::from(CPU_CYCLES), u64::MAX - 99, false);
    h.run(0, 0);
    h.write(0, enc::<PMCR_EL0>(), E | LP);
    h.write(0, evtyper(0), u64::from(CPU_CYCLES));
    h.write(0, evtyper(1), u64::from(CPU_CYCLES));
    h.write(0, enc::<PMCNTENSET_EL0>(), 0b11);
    h.write(0, enc::<PMINTENSET_EL1>(), 0b1 | C);
    h
}

#[test]
fn a_guest_overflow_goes_to_the_guest_only() {
    let mut h = setup(cfg(6));
    h.write(0, evcntr(0), u64::MAX - 9);
    h.count(0, Level::El1, CPU_CYCLES, 10);
    assert!(h.lines.level(0), "the vCPU's line is raised");
    assert_eq!(h.lines.raised[0], 1);
    assert_eq!(h.host_overflow_bits[0], 0, "nothing for the host's handler");
    assert_eq!(h.vcpus[0].regs().pmovs, 0b1);
    assert_eq!(
        h.pmu(0).pmovs() & guest_bits(4),
        0,
        "taken from the hardware"
    );
    assert_eq!(h.value(0, enc::<PMOVSSET_EL0>()), 0b1);
    // Still pending: more overflows do not raise it again.
    h.write(0, evcntr(0), u64::MAX);
    h.count(0, Level::El1, CPU_CYCLES, 1);
    assert_eq!(h.lines.raised[0], 1);
    h.exit(0);
    h.enter(0);
    assert_eq!(
        h.lines.raised[0], 1,
        "an exit resynchronises without a new edge"
    );
    // The guest's handler clears the status: the line drops.
    h.write(0, enc::<PMOVSCLR_EL0>(), 0b1);
    assert!(!h.lines.level(0));
    // The next overflow raises it once more.
    h.write(0, evcntr(0), u64::MAX);
    h.count(0, Level::El1, CPU_CYCLES, 1);
    assert!(h.lines.level(0));
    assert_eq!(h.lines.raised[0], 2);
    assert_eq!(h.lines.raised[1], 0, "no other vCPU hears of it");
    h.exit(0);
    h.check_host(0);
    h.check_architectural();
}

#[test]
fn a_host_overflow_never_reaches_a_guest() {
    let mut h = setup(cfg(6));
    // Guest execution overflows the host's counters (they count EL1 too).
    h.count(0, Level::El1, CPU_CYCLES, 100);
    assert_eq!(
        h.host_overflow_bits[0],
        1 << 4,
        "counter 4's interrupt, for the host"
    );
    assert!(!h.lines.level(0));
    assert_eq!(h.lines.raised[0], 0);
    assert_eq!(h.vcpus[0].regs().pmovs, 0);
    assert_eq!(h.value(0, enc::<PMOVSSET_EL0>()), 0);
    assert_ne!(
        h.pmu(0).pmovs() & 1 << 5,
        0,
        "counter 5's flag (interrupt off) stays for host perf"
    );
    // At EL2 with the vCPU loaded, and with no vCPU loaded.
    h.exit(0);
    h.host_program(0, 4, F_NSH | u64::from(CPU_CYCLES), u64::MAX, true);
    h.count(0, Level::El2, CPU_CYCLES, 1);
    h.put(0);
    h.host_program(0, 4, F_NSH | u64::from(CPU_CYCLES), u64::MAX, true);
    h.count(0, Level::El2, CPU_CYCLES, 1);
    assert_eq!(h.host[0][4].delivered, 3);
    assert_eq!(h.lines.raised, [0; 64]);
    assert_eq!(h.vcpus[0].regs().pmovs, 0);
    // And a vCPU that has not touched its PMU hears nothing either.
    h.run(0, 1);
    h.host_program_in_guest(4);
    h.count(0, Level::El1, CPU_CYCLES, 1);
    assert_eq!(h.host[0][4].delivered, 4);
    assert_eq!(h.lines.raised, [0; 64]);
    assert_eq!(h.vcpus[1].ownership(), Ownership::Untouched);
    h.exit(0);
    h.check_host(0);
    h.check_architectural();
}

trait InGuest {
    fn host_program_in_guest(&mut self, j: usize);
}

impl InGuest for Hyp {
    /// Reprograms host counter `j` to overflow on the next event, from an exit.
    fn host_program_in_guest(&mut self, j: usize) {
        self.exit(0);
        self.host_program(0, j, F_NSH | u64::from(CPU_CYCLES), u64::MAX, true);
        self.enter(0);
    }
}

#[test]
fn the_line_follows_e_and_pminten_and_pmovs() {
    let mut h = setup(cfg(6));
    h.write(0, evcntr(1), u64::MAX);
    h.count(0, Level::El1, CPU_CYCLES, 1);
    // Counter 1's interrupt is off: no interrupt at all, and the flag is still the guest's.
    assert!(!h.lines.level(0));
    assert_eq!(h.value(0, enc::<PMOVSSET_EL0>()), 0b10);
    // Enabling its interrupt (directly, no trap) raises the line at the next resync (exit).
    h.write(0, enc::<PMINTENSET_EL1>(), 0b10);
    h.exit(0);
    assert!(h.lines.level(0));
    h.enter(0);
    // PMCR_EL0.E off: low; on: high.
    h.write(0, enc::<PMCR_EL0>(), LP);
    h.exit(0);
    assert!(!h.lines.level(0));
    h.enter(0);
    h.write(0, enc::<PMCR_EL0>(), E | LP);
    h.exit(0);
    assert!(h.lines.level(0));
    h.enter(0);
    // Interrupt off again: low.
    h.write(0, enc::<PMINTENCLR_EL1>(), 0b10);
    h.exit(0);
    assert!(!h.lines.level(0));
    // A put vCPU keeps its level as its saved state says.
    h.enter(0);
    h.write(0, enc::<PMINTENSET_EL1>(), 0b10);
    h.exit(0);
    h.put(0);
    assert!(h.lines.level(0));
    h.vcpus[0].update_irq(&mut h.cpus[0].pmu, &mut h.lines);
    assert!(h.lines.level(0));
    // A guest may set an overflow itself: PMOVSSET raises the line (emulated, so at once).
    h.run(0, 0);
    h.write(0, enc::<PMOVSCLR_EL0>(), u64::MAX);
    assert!(!h.lines.level(0));
    h.write(0, enc::<PMOVSSET_EL0>(), C);
    assert!(h.lines.level(0), "PMINTENSET.C is set");
    h.exit(0);
    h.check_architectural();
}

#[test]
fn the_line_in_trapped_mode_follows_every_write_at_once() {
    let config = Config {
        fgt: Fgt::NI,
        ..cfg(6)
    };
    let mut h = setup(config);
    h.write(0, evcntr(1), u64::MAX);
    h.count(0, Level::El1, CPU_CYCLES, 1);
    assert!(!h.lines.level(0));
    h.write(0, enc::<PMINTENSET_EL1>(), 0b10);
    assert!(h.lines.level(0));
    h.write(0, enc::<PMCR_EL0>(), 0);
    assert!(!h.lines.level(0));
    h.write(0, enc::<PMCR_EL0>(), E);
    assert!(h.lines.level(0));
    h.write(0, enc::<PMINTENCLR_EL1>(), 0b10);
    assert!(!h.lines.level(0));
    assert_eq!(h.lines.raised[0], 2);
    h.exit(0);
    h.check_architectural();
}

#[test]
fn an_overflow_pending_at_put_is_delivered_after_a_move() {
    let mut h = Hyp::new(
        cfg(6),
        2,
        &[false, true],
        &[4],
        EventFilter::allow_all(),
        true,
    );
    h.cpus[0].core.assume_clean();
    h.run(0, 0);
    h.write(0, enc::<PMCR_EL0>(), E);
    h.write(0, evtyper(2), u64::from(INST_RETIRED));
    h.write(0, enc::<PMCNTENSET_EL0>(), 0b100);
    h.write(0, evcntr(2), 0xffff_ffff);
    h.count(0, Level::El1, INST_RETIRED, 1);
    assert!(!h.lines.level(0), "interrupt off");
    h.put(0);
    assert_eq!(
        h.vcpus[0].regs().pmovs,
        0b100,
        "the hardware flag, saved at put"
    );
    assert_eq!(h.pmu(0).pmovs() & guest_bits(4), 0);
    h.run(1, 0);
    assert_eq!(h.value(1, enc::<PMOVSSET_EL0>()), 0b100);
    assert_eq!(h.pmu(1).pmovs(), 0, "a load never puts flags in hardware");
    h.write(1, enc::<PMINTENSET_EL1>(), 0b100);
    h.exit(1);
    assert!(h.lines.level(0));
    assert_eq!(h.lines.raised[0], 1);
    h.check_architectural();
}
