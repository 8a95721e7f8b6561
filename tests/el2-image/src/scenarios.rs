//! The end-to-end scenarios: each sets up a fresh partition, runs guests and reports checks.

use crate::guest::{self, Mailbox};
use crate::pmu::{self, Level, CPU_CYCLES, INST_RETIRED, SW_INCR};
use crate::report::Report;
use crate::vm::{Exit, Host, Vcpu};
use aarch64_sysregs::{
    Backend, Hardware, SysReg, MDCR_EL2, PMCCFILTR_EL0, PMCR_EL0, PMEVTYPER0_EL0, PMOVSCLR_EL0,
    PMOVSSET_EL0, PMXEVTYPER_EL0,
};
use core::ptr::addr_of_mut;
use pmu_part::{
    EventFilter, FineGrainedTraps, HardwareFacts, Mode, OverflowDelivery, Ownership, Plan,
};

/// What the scenarios share: the CPU's facts and whether INST_RETIRED counts (QEMU: only with
/// `-icount`, which also makes CPU_CYCLES count one per instruction; without it CPU_CYCLES
/// follows the host's clock, and checks of how many cycles something took cannot be exact).
pub struct Platform {
    pub facts: HardwareFacts,
    pub inst_retired: bool,
}

impl Platform {
    /// Whether cycle counts are deterministic (QEMU `-icount`): checks of cycle amounts run
    /// only then, and report SKIP otherwise.
    fn exact_cycles(&self) -> bool {
        self.inst_retired
    }
}

const STACK_WORDS: usize = 4096; // 64 KiB per guest
static mut STACKS: [[u128; STACK_WORDS]; 2] = [[0; STACK_WORDS]; 2];
static mut MAILBOXES: [Mailbox; 2] = [Mailbox::new(), Mailbox::new()];

/// Guest slot `i`'s mailbox, cleared, with `params` (params[7] is the program).
fn mailbox(i: usize, program: u64, params: &[u64]) -> *mut Mailbox {
    // SAFETY: slot `i` is not used by a running guest: scenarios create guests one set at a
    // time, and only EL2 code runs here.
    unsafe {
        let m = addr_of_mut!(MAILBOXES[i]);
        m.write(Mailbox::new());
        let mbox = &mut *m;
        mbox.params[..params.len()].copy_from_slice(params);
        mbox.params[7] = program;
        m
    }
}

/// vCPU `i` (slot `i`) running `program` with `params`.
fn guest(
    i: usize,
    plan: &Plan,
    counters: u8,
    program: u64,
    params: &[u64],
) -> (Vcpu, *mut Mailbox) {
    let m = mailbox(i, program, params);
    // SAFETY: as above, the stack slot is free.
    let stack: &'static mut [u128] = unsafe { &mut *addr_of_mut!(STACKS[i]) };
    let vcpu = Vcpu::new(
        i as u32,
        plan,
        counters,
        guest::guest_main,
        program,
        m as u64,
        stack,
    );
    (vcpu, m)
}

fn mb(m: *mut Mailbox) -> &'static Mailbox {
    // SAFETY: read by EL2 while its guest is not running.
    unsafe { &*m }
}

/// Loads `vcpu`, runs it to completion (putting and reloading it at every yield), puts it.
fn run_to_done(host: &mut Host, vcpu: &mut Vcpu) -> u64 {
    host.load(vcpu);
    loop {
        match host.run(vcpu) {
            Exit::Done(r) => {
                host.put(vcpu);
                return r;
            }
            Exit::Yield(_) => {
                host.put(vcpu);
                host.load(vcpu);
            }
        }
    }
}

fn plan(p: &Platform, reserved: u8, overflow: OverflowDelivery) -> Plan {
    match Plan::new(p.facts, reserved) {
        Ok(plan) => plan.with_overflow(overflow),
        Err(e) => crate::fatal(format_args!(
            "no partition with {reserved} host counters: {e}"
        )),
    }
}

fn host(p: &Platform, plan: Plan) -> Host {
    Host::new(plan, p.facts.fgt, true, EventFilter::allow_all())
}

/// The guest reads PMCR_EL0.N = HPMN and counts its own cycles and instructions.
pub fn counting(p: &Platform, r: &mut Report) {
    let plan = plan(p, 2, OverflowDelivery::Forwarded);
    let g = plan.guest_counters;
    let mut h = host(p, plan);
    const LOOPS: u64 = 10_000;
    let (mut v, m) = guest(0, &plan, g, guest::COUNT, &[LOOPS]);
    let done = run_to_done(&mut h, &mut v);
    let res = mb(m).results;
    r.check(
        "pmcr_n_is_hpmn",
        done == 0 && res[0] == u64::from(g),
        format_args!(
            "guest PMCR_EL0.N = {} with HPMN = {g} (N = {})",
            res[0], p.facts.counters
        ),
    );
    let cycles_ok = if p.exact_cycles() {
        res[1] >= 2 * LOOPS && res[1] <= 2 * LOOPS + 16
    } else {
        res[1] > 0
    };
    r.check(
        "guest_counts_cycles",
        cycles_ok,
        format_args!(
            "CPU_CYCLES = {} over a {}-instruction loop",
            res[1],
            2 * LOOPS
        ),
    );
    if p.inst_retired {
        r.check(
            "guest_counts_instructions",
            res[2] >= 2 * LOOPS && res[2] <= 2 * LOOPS + 16,
            format_args!(
                "INST_RETIRED = {} for a loop of {} instructions",
                res[2],
                2 * LOOPS
            ),
        );
    } else {
        r.skip(
            "guest_counts_instructions",
            format_args!("INST_RETIRED is not implemented here (QEMU counts it only with -icount)"),
        );
    }
}

/// Direct mode traps only the event-type and filter registers; trapped mode traps every access.
pub fn traps(p: &Platform, r: &mut Report) {
    const READS: u64 = 100;
    // Direct (partitioned) mode.
    let plan_direct = plan(p, 2, OverflowDelivery::Forwarded);
    let mut h = host(p, plan_direct);
    let (mut v, m) = guest(
        0,
        &plan_direct,
        plan_direct.guest_counters,
        guest::WORKLOAD,
        &[READS],
    );
    run_to_done(&mut h, &mut v);
    let s = &v.stats;
    let accesses = mb(m).accesses;
    let types = s.trapped(PMEVTYPER0_EL0::ENCODING)
        + s.trapped(PMXEVTYPER_EL0::ENCODING)
        + s.trapped(PMCCFILTR_EL0::ENCODING);
    // The first access (a PMCR_EL0 read) claims the PMU, so it traps; after it, only the
    // three event-type and filter writes.
    r.check(
        "direct_mode_traps_only_types_and_filters",
        plan_direct.mode == Mode::Direct
            && s.traps == 4
            && types == 3
            && s.trapped(PMCR_EL0::ENCODING) == 1
            && mb(m).results[0] > 0,
        format_args!(
            "{} of {accesses} accesses trapped: 1 claiming PMCR_EL0 read + {types} event-type/filter writes; counter 0 = {}",
            s.traps,
            mb(m).results[0]
        ),
    );
    // Fully trapped mode: the plan of a CPU without fine-grained traps.
    let mut no_fgt = p.facts;
    no_fgt.fgt = FineGrainedTraps::None;
    let plan_trapped = match Plan::new(no_fgt, 2) {
        Ok(pl) => pl,
        Err(e) => crate::fatal(format_args!("{e}")),
    };
    let mut h = host(p, plan_trapped);
    let (mut v, m) = guest(
        0,
        &plan_trapped,
        plan_trapped.guest_counters,
        guest::WORKLOAD,
        &[READS],
    );
    run_to_done(&mut h, &mut v);
    let accesses = mb(m).accesses;
    r.check(
        "trapped_mode_traps_every_access",
        plan_trapped.mode == Mode::Trapped
            && u64::from(v.stats.traps) == accesses
            && accesses > 2 * READS
            && mb(m).results[0] > 0,
        format_args!(
            "{} of {accesses} accesses trapped; counter 0 = {}",
            v.stats.traps,
            mb(m).results[0]
        ),
    );
}

/// Two guests and the host share the PMU across many switches.
pub fn sharing(p: &Platform, r: &mut Report) {
    const ROUNDS: u64 = 40;
    const WORK: u64 = 20_000;
    let plan = plan(p, 2, OverflowDelivery::Forwarded);
    let g = plan.guest_counters;
    let host_insns = usize::from(g);
    let host_sw = usize::from(g) + 1;
    let mut h = host(p, plan);
    let insn_event = if p.inst_retired {
        INST_RETIRED
    } else {
        CPU_CYCLES
    };
    pmu::host_counter(host_insns, insn_event, Level::El2, 0);
    pmu::host_counter(host_sw, SW_INCR, Level::El2, 0);
    let (mut a, ma) = guest(0, &plan, g, guest::SHARE, &[1, ROUNDS, 3, WORK]);
    let (mut b, mb_) = guest(1, &plan, g - 1, guest::SHARE, &[2, ROUNDS, 5, WORK]);
    let mut switches = 0u64;
    let mut done = [false; 2];
    let mut last_insns = 0u64;
    let mut host_monotonic = true;
    while !(done[0] && done[1]) {
        for (i, v) in [&mut a, &mut b].into_iter().enumerate() {
            if done[i] {
                continue;
            }
            h.load(v);
            if let Exit::Done(_) = h.run(v) {
                done[i] = true;
            }
            h.put(v);
            switches += 1;
            // The host counts too, between the guests.
            pmu::software_increment(1 << host_sw);
            pmu::software_increment(1 << host_sw);
            let insns = pmu::read_counter(host_insns);
            host_monotonic &= insns >= last_insns;
            last_insns = insns;
        }
    }
    let (ra, rb) = (mb(ma).results, mb(mb_).results);
    r.check(
        "guests_see_only_their_own_state",
        ra[0] == 0 && rb[0] == 0,
        format_args!(
            "{ROUNDS} rounds each, {switches} switches: mismatches A = {} (first {}), B = {} (first {})",
            ra[0], ra[1], rb[0], rb[1]
        ),
    );
    r.check(
        "guest_counters_are_exact_across_switches",
        ra[3] == 3 * ROUNDS && rb[3] == 5 * ROUNDS,
        format_args!(
            "software increments A = {} (expected {}), B = {} (expected {})",
            ra[3],
            3 * ROUNDS,
            rb[3],
            5 * ROUNDS
        ),
    );
    if p.exact_cycles() {
        r.check(
            "guest_counters_stop_while_others_run",
            ra[2] < WORK / 4 && rb[2] < WORK / 4,
            format_args!(
                "largest CPU_CYCLES step across a switch: A {}, B {} (each round is >= {} cycles of guest work)",
                ra[2], rb[2], 2 * WORK
            ),
        );
    } else {
        r.skip(
            "guest_counters_stop_while_others_run",
            format_args!(
                "CPU_CYCLES follows the host's clock without -icount (steps seen: A {}, B {})",
                ra[2], rb[2]
            ),
        );
    }
    let sw = pmu::read_counter(host_sw);
    let types_ok = pmu::read_type(host_sw) == pmu::event_type(SW_INCR, Level::El2).to_bits()
        && pmu::read_type(host_insns) == pmu::event_type(insn_event, Level::El2).to_bits();
    let enables = pmu::enabled();
    let host_bits = (1 << host_insns) | (1 << host_sw);
    r.check(
        "host_counters_undisturbed",
        sw == 2 * switches && types_ok && enables & host_bits == host_bits && host_monotonic && last_insns > 0,
        format_args!(
            "host SW_INCR counter {sw} (expected {}), EL2 counter {last_insns} monotonic {host_monotonic}, types kept {types_ok}, enables {enables:#x}",
            2 * switches
        ),
    );
}

/// An event the host denies does not count for the guest, which still reads back its type.
pub fn denied(p: &Platform, r: &mut Report) {
    const LOOPS: u64 = 200;
    let plan = plan(p, 2, OverflowDelivery::Forwarded);
    let mut filter = EventFilter::allow_all();
    filter.deny(CPU_CYCLES);
    let mut h = Host::new(plan, p.facts.fgt, true, filter);
    let (mut v, m) = guest(0, &plan, plan.guest_counters, guest::DENIED, &[LOOPS]);
    run_to_done(&mut h, &mut v);
    let res = mb(m).results;
    let insn_ok = !p.inst_retired || res[2] > 0;
    r.check(
        "denied_event_does_not_count",
        res[0] == 0 && res[3] == 0 && res[1] == LOOPS && insn_ok && res[4] == u64::from(CPU_CYCLES),
        format_args!(
            "denied CPU_CYCLES: counter {} and cycle counter {}; allowed SW_INCR {} (expected {LOOPS}), INST_RETIRED {}; type read back {:#x}",
            res[0], res[3], res[1], res[2], res[4]
        ),
    );
}

/// A guest counter's overflow interrupt is taken at EL2 and reaches the guest exactly once.
pub fn overflow(p: &Platform, r: &mut Report, delivery: OverflowDelivery) {
    let plan = plan(p, 2, delivery);
    let mut h = host(p, plan);
    let (mut v, m) = guest(0, &plan, plan.guest_counters, guest::OVERFLOW, &[20_000]);
    let done = run_to_done(&mut h, &mut v);
    let i = h.irq_stats();
    let g = mb(m);
    let ovs_traps =
        v.stats.trapped(PMOVSCLR_EL0::ENCODING) + v.stats.trapped(PMOVSSET_EL0::ENCODING);
    let (name, path_ok, path) = match delivery {
        OverflowDelivery::Forwarded => (
            "overflow_forwarded_once",
            i.forwarded == 1 && i.raised == 0 && ovs_traps == 0,
            "hardware-mapped list register (HW=1, pINTID 23)",
        ),
        OverflowDelivery::Virtual => (
            "overflow_injected_once",
            i.raised == 1 && i.forwarded == 0 && ovs_traps == 2,
            "software list register, PMOVS trapped",
        ),
    };
    r.check(
        name,
        done == 0 && path_ok && i.pmu_irqs == 1 && g.irqs == 1 && g.irq_flags == 1 && i.host_irqs == 0
            && i.misdirected == 0 && i.other == 0 && g.other_irqs == 0,
        format_args!(
            "via {path}: EL2 took {} PMU interrupt(s), forwarded {}, raised {}; the guest took {} with PMOVS {:#x}; PMOVS traps {ovs_traps}",
            i.pmu_irqs, i.forwarded, i.raised, g.irqs, g.irq_flags
        ),
    );
}

/// A forwarded overflow still pending (the guest has interrupts masked) when its vCPU is
/// switched out is neither lost nor given to the next guest, and arrives once when the vCPU is
/// back and unmasks.
pub fn pending_across_switch(p: &Platform, r: &mut Report) {
    let plan = plan(p, 2, OverflowDelivery::Forwarded);
    let mut h = host(p, plan);
    let (mut a, ma) = guest(
        0,
        &plan,
        plan.guest_counters,
        guest::PENDING_SWITCH,
        &[20_000],
    );
    let (mut b, mb_) = guest(1, &plan, plan.guest_counters, guest::IDLE, &[1]);
    h.load(&mut a);
    let first = h.run(&mut a);
    h.put(&mut a);
    let b_done = run_to_done(&mut h, &mut b);
    let a_done = run_to_done(&mut h, &mut a);
    let i = h.irq_stats();
    let (ga, gb) = (mb(ma), mb(mb_));
    r.check(
        "pending_overflow_survives_a_switch",
        first == Exit::Yield(1)
            && a_done == 0
            && b_done == 0
            && ga.results[1] & 1 == 1
            && ga.results[2] == 0
            && ga.irqs == 1
            && ga.irq_flags == 1
            && gb.irqs == 0
            && gb.other_irqs == 0
            && i.pmu_irqs == 2
            && i.forwarded == 2
            && i.host_irqs == 0
            && i.misdirected == 0
            && i.other == 0,
        format_args!(
            "guest A saw PMOVS {:#x} after the switch and took {} interrupt(s) once unmasked (flags {:#x}); guest B took {}; EL2 took {} PMU interrupts and forwarded {} (before the switch and again at the reload)",
            ga.results[1], ga.irqs, ga.irq_flags, gb.irqs + gb.other_irqs, i.pmu_irqs, i.forwarded
        ),
    );
}

/// A guest that never touches its PMU costs no PMU register access at any switch.
pub fn lazy(p: &Platform, r: &mut Report) {
    const ROUNDS: u64 = 30;
    let plan = plan(p, 2, OverflowDelivery::Forwarded);
    let mut h = Host::new(plan, p.facts.fgt, false, EventFilter::allow_all());
    let (mut v, _m) = guest(0, &plan, plan.guest_counters, guest::IDLE, &[ROUNDS]);
    let before = h.hw.total();
    let done = run_to_done(&mut h, &mut v);
    let accesses = h.hw.total() - before;
    r.check(
        "lazy_guest_causes_no_pmu_switching",
        done == 0
            && accesses == 0
            && v.stats.traps == 0
            && v.pmu.ownership() == Ownership::Untouched,
        format_args!(
            "{} loads and puts: {accesses} PMU register accesses, {} traps, PMU {:?}",
            ROUNDS + 1,
            v.stats.traps,
            v.pmu.ownership()
        ),
    );
}

/// FEAT_HPMN0: every event counter the host's, HPMN = 0; the guest keeps the cycle counter.
pub fn hpmn0(p: &Platform, r: &mut Report) {
    if !p.facts.hpmn0 {
        r.check(
            "hpmn0",
            false,
            format_args!("the CPU does not have FEAT_HPMN0"),
        );
        return;
    }
    const LOOPS: u64 = 20_000;
    let plan = plan(p, p.facts.counters, OverflowDelivery::Forwarded);
    let mut h = host(p, plan);
    pmu::host_counter(0, CPU_CYCLES, Level::El1, 0);
    let (mut v, m) = guest(0, &plan, 0, guest::CYCLES, &[LOOPS]);
    h.load(&mut v);
    let hpmn = Hardware.read::<MDCR_EL2>().hpmn();
    let done = loop {
        match h.run(&mut v) {
            Exit::Done(d) => break d,
            Exit::Yield(_) => {}
        }
    };
    h.put(&mut v);
    let res = mb(m).results;
    let host0 = pmu::read_counter(0);
    r.check(
        "hpmn0_allowed",
        done == 0 && plan.mode == Mode::Direct && hpmn == 0 && res[0] == 0,
        format_args!(
            "plan G = {}, mode {:?}, MDCR_EL2.HPMN = {hpmn}, guest PMCR_EL0.N = {}",
            plan.guest_counters, plan.mode, res[0]
        ),
    );
    let amounts_ok = if p.exact_cycles() {
        res[1] >= 2 * LOOPS && res[2] - res[1] < LOOPS / 4 && host0 >= res[1] + 2 * LOOPS
    } else {
        res[1] > 0 && host0 > res[1]
    };
    r.check(
        "hpmn0_guest_cycle_counter_and_host_counter_0",
        amounts_ok,
        format_args!(
            "guest cycle counter {} with PMCR_EL0.E set, {} after as long with it clear; host counter 0 (EL1 cycles, enabled by HPME) {host0}",
            res[1], res[2]
        ),
    );
}

/// Architectural properties that belong to the CPU, not to pmu-part: reported as deviations
/// where the platform lacks them.
pub fn probes(p: &Platform, r: &mut Report) {
    let plan = plan(p, 2, OverflowDelivery::Forwarded);
    let g = plan.guest_counters;
    let host_n = usize::from(g);

    // Counters at or above HPMN are not the guest's: an EL1 access traps to EL2.
    let mut h = host(p, plan);
    pmu::host_counter(host_n, SW_INCR, Level::El2, 1000);
    pmu::host_counter(host_n + 1, SW_INCR, Level::El2, 0);
    let (mut v, m) = guest(0, &plan, g, guest::PROBE_HIGH, &[host_n as u64]);
    run_to_done(&mut h, &mut v);
    let res = mb(m).results;
    let host_after = pmu::read_counter(host_n);
    r.probe(
        "counters_above_hpmn_hidden_from_guest",
        res[1] == 1 && res[2] == 1 && res[3] & !plan.guests_mask() == 0 && host_after == 1000,
        format_args!(
            "architecture: EL1 access to PMEVCNTR{host_n}_EL0 (n >= HPMN = {g}) traps to EL2, host enable bits read as 0 / seen: read trapped {}, write trapped {}, read value {}, host counter now {host_after}, guest PMCNTENSET {:#x}",
            res[1], res[2], res[0], res[3]
        ),
    );

    // A guest's PMCR_EL0.P resets only counters below HPMN.
    let mut h = host(p, plan);
    pmu::host_counter(host_n, SW_INCR, Level::El2, 1000);
    let (mut v, _m) = guest(0, &plan, g, guest::PROBE_RESET, &[]);
    run_to_done(&mut h, &mut v);
    let after = pmu::read_counter(host_n);
    r.probe(
        "guest_pmcr_p_spares_host_counters",
        after == 1000,
        format_args!("architecture: an EL1 write of PMCR_EL0.P resets counters 0..HPMN only / seen: host counter {host_n} went 1000 -> {after}"),
    );

    // A host counter's overflow interrupts while the guest runs with its PMCR_EL0.E clear
    // (counters at or above HPMN are enabled by MDCR_EL2.HPME).
    let mut h = host(p, plan);
    pmu::host_counter(host_n, CPU_CYCLES, Level::El1, 0xffff_ffff - 50_000);
    pmu::host_interrupt(host_n);
    let (mut v, _m) = guest(0, &plan, g, guest::HOLD, &[200]);
    run_to_done(&mut h, &mut v);
    let i = h.irq_stats();
    r.probe(
        "host_overflow_interrupts_while_guest_pmu_disabled",
        i.host_irqs == 1 && i.host_overflows == 1 << host_n,
        format_args!(
            "architecture: host counter {host_n}'s overflow raises the PMU interrupt whatever the guest's PMCR_EL0.E / seen: {} host interrupt(s) during the guest, flags {:#x}, PMOVSSET after {:#x}",
            i.host_irqs, i.host_overflows, Hardware.read::<PMOVSSET_EL0>().to_bits()
        ),
    );

    r.probe(
        "feat_fgt2",
        p.facts.fgt == FineGrainedTraps::Fgt2,
        format_args!("FEAT_FGT2 not implemented (fine-grained traps: {:?}): the HDFGRTR2/HDFGWTR2 traps of pmu-part are not exercised", p.facts.fgt),
    );
    r.probe(
        "feat_pmuv3_icntr",
        p.facts.instruction_counter,
        format_args!("FEAT_PMUv3_ICNTR not implemented: the instruction counter (PMICNTR_EL0) paths of pmu-part are not exercised"),
    );
}

/// The seeds' benchmark: a perf-record-style guest, 100 samples, in one of three set-ups.
pub fn bench(p: &Platform, r: &mut Report, name: &str, plan: Plan) {
    const SAMPLES: u64 = 100;
    const PERIOD: u64 = 20_000;
    const WARM_UP: u64 = 10;
    let mut h = host(p, plan);
    let el2_counter = usize::from(plan.guest_counters);
    let (mut v, m) = guest(
        0,
        &plan,
        plan.guest_counters,
        guest::SAMPLE,
        &[SAMPLES, PERIOD],
    );
    // Traps and EL2 instructions from the first exit that sees WARM_UP samples taken.
    // SAFETY: only the field's address is taken.
    let samples_at = unsafe { addr_of_mut!((*m).samples) } as *const u64;
    v.stats.mark = Some((samples_at, WARM_UP, el2_counter));
    // EL2's instructions from here (the vCPU made) to its last put: its whole run.
    pmu::host_counter(el2_counter, INST_RETIRED, Level::El2, 0);
    h.load(&mut v);
    let done = loop {
        match h.run(&mut v) {
            Exit::Done(d) => break d,
            Exit::Yield(_) => {}
        }
    };
    h.put(&mut v);
    let el2 = pmu::read_counter(el2_counter);
    let g = mb(m);
    let overflow_traps = v.stats.trapped(PMOVSCLR_EL0::ENCODING);
    r.check(
        "bench_samples",
        g.samples == SAMPLES && g.irqs == SAMPLES && done == 0,
        format_args!(
            "{name}: {} samples, {} interrupts, {overflow_traps} PMOVSCLR traps",
            g.samples, g.irqs
        ),
    );
    let (t0, e0) = v.stats.marked.unwrap_or((0, 0));
    let steady_samples = g.samples.saturating_sub(WARM_UP).max(1);
    let steady_traps = u64::from(v.stats.traps - t0);
    let steady_el2 = el2.wrapping_sub(e0);
    crate::print!(
        "bench {name}: samples={} traps={} irq_exits={} steady_samples={steady_samples} steady_traps={steady_traps} ",
        g.samples, v.stats.traps, v.stats.irq_exits
    );
    if p.inst_retired {
        crate::println!(
            "el2_instructions={el2} steady_el2_instructions={steady_el2} result={done}"
        );
    } else {
        crate::println!("el2_instructions=n/a steady_el2_instructions=n/a result={done}");
    }
}
