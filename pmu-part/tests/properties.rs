//! Property tests: random interleavings of guest register use, guest and host execution, host
//! perf, overflows, and loads/puts of 3 vCPUs across 2 physical CPUs, on random PMU
//! configurations, checked against independent expectations after every step.
//!
//! Half the cases deliver guests' overflows as `OverflowDelivery::Forwarded` (the flags in
//! hardware, the physical interrupt forwarded through the harness's model of a hardware-mapped
//! list register, which the guests acknowledge and EOI at random), half as `Virtual`.
//!
//! Each vCPU has a reference: a second model of a plain PMU with exactly the vCPU's counters,
//! which sees the vCPU's guest accesses and the events that happen while its guest runs (minus
//! the events the filter denies). What the guest observes of its partitioned PMU must be what
//! it would observe of the reference. Host perf's counters are checked against what host perf
//! programmed plus the events that happened where their filters count.
//!
//! `PMU_PROPTEST_CASES` (default 2000) cases of `PMU_PROPTEST_STEPS` (default 600) steps;
//! `PMU_PROPTEST_SEED` the first case's seed (then +1 per case). A failure prints its seed and
//! the last steps; rerun it with
//! `PMU_PROPTEST_SEED=<seed> PMU_PROPTEST_CASES=1 cargo test -p pmu-part --test properties`.

mod common;
use common::*;
use std::panic::{self, AssertUnwindSafe};

const DEFAULT_CASES: u64 = 2000;
const DEFAULT_STEPS: u64 = 600;
const DEFAULT_SEED: u64 = 0x5eed_0000_0000;

/// Events the workload and the guests use (CHAIN only as a counter's type: denying it would
/// also stop the chaining the reference does).
const TYPE_EVENTS: [u16; 7] = [
    SW_INCR,
    L1D_CACHE,
    INST_RETIRED,
    BR_MIS_PRED,
    CPU_CYCLES,
    CHAIN,
    STALL,
];
const COUNT_EVENTS: [u16; 5] = [L1D_CACHE, INST_RETIRED, BR_MIS_PRED, CPU_CYCLES, STALL];
const DENIABLE: [u16; 5] = [SW_INCR, L1D_CACHE, INST_RETIRED, CPU_CYCLES, STALL];

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    let parsed = match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}={v} is not a number")))
}

#[test]
fn random_interleavings_keep_every_invariant() {
    let cases = env_u64("PMU_PROPTEST_CASES").unwrap_or(DEFAULT_CASES);
    let steps = env_u64("PMU_PROPTEST_STEPS").unwrap_or(DEFAULT_STEPS);
    let first = env_u64("PMU_PROPTEST_SEED").unwrap_or(DEFAULT_SEED);
    let mut stats = Stats::default();
    for case in 0..cases {
        let seed = first.wrapping_add(case);
        let mut trace = Vec::new();
        let result = panic::catch_unwind(AssertUnwindSafe(|| {
            let mut w = World::new(seed);
            trace.push(w.describe());
            for step in 0..steps {
                w.step(step, &mut trace);
            }
            w.stats
        }));
        match result {
            Ok(s) => stats.add(&s),
            Err(e) => {
                eprintln!("\nproperty test failed, seed {seed:#x} (case {case}); last steps:");
                if trace.len() > 41 {
                    eprintln!("  {}\n  ...", trace[0]);
                }
                for line in trace.iter().rev().take(40).rev() {
                    eprintln!("  {line}");
                }
                eprintln!(
                    "rerun: PMU_PROPTEST_SEED={seed:#x} PMU_PROPTEST_CASES=1 \
                     cargo test -p pmu-part --test properties"
                );
                panic::resume_unwind(e);
            }
        }
    }
    eprintln!("{cases} cases x {steps} steps: {stats:?}");
    // The generator reaches what it is meant to.
    if cases >= 16 {
        assert!(stats.traps > 0 && stats.direct > 0 && stats.claims > 0);
        assert!(stats.guest_overflow_irqs > 0 && stats.host_overflow_irqs > 0);
        assert!(stats.resident_returns > 0 && stats.full_loads > 0);
        assert!(stats.denied_counts > 0);
        assert!(stats.forwarded_irqs > 0 && stats.guest_eois > 0);
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Stats {
    guest_accesses: u64,
    traps: u64,
    direct: u64,
    claims: u64,
    undefined: u64,
    guest_overflow_irqs: u64,
    host_overflow_irqs: u64,
    resident_returns: u64,
    full_loads: u64,
    denied_counts: u64,
    view_checks: u64,
    forwarded_irqs: u64,
    guest_eois: u64,
}

impl Stats {
    fn add(&mut self, o: &Stats) {
        self.guest_accesses += o.guest_accesses;
        self.traps += o.traps;
        self.direct += o.direct;
        self.claims += o.claims;
        self.undefined += o.undefined;
        self.guest_overflow_irqs += o.guest_overflow_irqs;
        self.host_overflow_irqs += o.host_overflow_irqs;
        self.resident_returns += o.resident_returns;
        self.full_loads += o.full_loads;
        self.denied_counts += o.denied_counts;
        self.view_checks += o.view_checks;
        self.forwarded_irqs += o.forwarded_irqs;
        self.guest_eois += o.guest_eois;
    }
}

struct World {
    h: Hyp,
    cfg: Config,
    keep: Vec<bool>,
    rng: Rng,
    /// Per vCPU: a plain PMU with the vCPU's counters, what its guest must see.
    refs: Vec<CpuPmu>,
    /// Per vCPU: the reference's interrupt request as last sampled, and its rising edges.
    ref_level: Vec<bool>,
    ref_edges: Vec<u32>,
    /// Per CPU: the vCPU last put there if nothing was loaded since.
    last_put: Vec<Option<usize>>,
    /// Per vCPU: the CPU it was last put on.
    put_on: Vec<Option<usize>>,
    /// Per vCPU: forwards of its interrupt seen so far.
    forwards: Vec<u32>,
    stats: Stats,
}

impl World {
    fn new(seed: u64) -> World {
        let mut rng = Rng::new(seed);
        let counters = rng.pick(&[0u8, 1, 2, 3, 4, 6, 8, 31]);
        let pmu_ver = rng.pick(&[
            PmuVer::IMP,
            PmuVer::V3P1,
            PmuVer::V3P4,
            PmuVer::V3P5,
            PmuVer::V3P5,
            PmuVer::V3P7,
            PmuVer::V3P9,
        ]);
        let fgt = rng.pick(&[Fgt::NI, Fgt::IMP, Fgt::IMP, Fgt::FGT2]);
        let cfg = Config {
            counters,
            pmu_ver,
            // With no event counter and no FEAT_HPMN0 every MDCR_EL2.HPMN value is CONSTRAINED
            // UNPREDICTABLE (0 is not allowed, and neither is anything above N = 0); see
            // plan.rs for that case.
            hpmn0: counters == 0 || rng.bool(),
            fgt,
            icntr: rng.chance(30),
        };
        let reserved = rng.below(u64::from(counters) + 1) as u8;
        let g = counters - reserved;
        let vcpu_counters: Vec<u8> = (0..3)
            .map(|_| {
                if rng.chance(60) {
                    g
                } else {
                    rng.below(u64::from(g) + 1) as u8
                }
            })
            .collect();
        let keep = vec![rng.bool(), rng.bool()];
        let mut filter = EventFilter::allow_all();
        for e in DENIABLE {
            if rng.chance(20) {
                filter.deny(e);
            }
        }
        let host_long = rng.bool();
        let overflow = if rng.bool() {
            OverflowDelivery::Forwarded
        } else {
            OverflowDelivery::Virtual
        };
        let mut h = Hyp::new_with(
            cfg,
            reserved,
            &keep,
            &vcpu_counters,
            filter,
            host_long,
            overflow,
        );
        let pmceid0 = rng.next_u64();
        let pmceid1 = rng.next_u64();
        let mut unknown = Vec::new();
        for (c, cpu) in h.cpus.iter_mut().enumerate() {
            if rng.bool() {
                cpu.core.assume_clean();
            } else {
                unknown.push(c);
            }
            cpu.pmu.set_pmceid(0, pmceid0);
            cpu.pmu.set_pmceid(1, pmceid1);
            cpu.pmu.set_pmmir(0x1234);
        }
        let refs = vcpu_counters
            .iter()
            .map(|&k| {
                let mut r = CpuPmu::new(Config {
                    counters: k,
                    pmu_ver,
                    hpmn0: true,
                    fgt: Fgt::IMP,
                    icntr: false,
                });
                r.set_pmceid(0, pmceid0);
                r.set_pmceid(1, pmceid1);
                r
            })
            .collect();
        let mut w = World {
            h,
            cfg,
            keep,
            rng,
            refs,
            ref_level: vec![false; 3],
            ref_edges: vec![0; 3],
            last_put: vec![None; 2],
            put_on: vec![None; 3],
            forwards: vec![0; 3],
            stats: Stats::default(),
        };
        // A CPU not declared clean starts with anything in the guests' range.
        for c in unknown {
            w.scribble(c);
        }
        w
    }

    /// Leaves anything in what the guests use of CPU `c`'s PMU (with their counters stopped):
    /// event types, counter values, interrupt enables, overflow flags, PMSELR_EL0,
    /// PMUSERENR_EL0, PMCR_EL0 (but not P: at EL2 it would reset the host's counters too).
    fn scribble(&mut self, c: usize) {
        let guests = self.h.plan.guests_mask();
        let pmu = &mut self.h.cpus[c].pmu;
        for i in 0..usize::from(pmu.counters()) {
            if self.h.plan.host_mask >> i & 1 == 0 {
                let t = self.rng.next_u64();
                pmu.set_raw(evtyper(i), t);
                let v = self.rng.next_u64();
                pmu.set_raw(evcntr(i), v);
            }
        }
        let keep = |pmu: &CpuPmu, get: fn(&CpuPmu) -> u64| get(pmu) & !guests;
        let inten = keep(pmu, CpuPmu::pminten) | self.rng.next_u64() & guests;
        let ovs = keep(pmu, CpuPmu::pmovs) | self.rng.next_u64() & guests;
        let cnten = keep(pmu, CpuPmu::pmcnten);
        pmu.set_raw(enc::<PMINTENSET_EL1>(), inten);
        pmu.set_raw(enc::<PMOVSSET_EL0>(), ovs);
        pmu.set_raw(enc::<PMCNTENSET_EL0>(), cnten);
        pmu.set_raw(enc::<PMSELR_EL0>(), self.rng.below(32));
        pmu.set_raw(enc::<PMUSERENR_EL0>(), self.rng.next_u64());
        pmu.set_raw(enc::<PMCCFILTR_EL0>(), self.rng.next_u64());
        pmu.set_raw(enc::<PMCCNTR_EL0>(), self.rng.next_u64());
        pmu.set_raw(enc::<PMCR_EL0>(), self.rng.next_u64() & !(P | CR));
    }

    fn describe(&self) -> String {
        let counters: Vec<u8> = self.h.vcpus.iter().map(|v| v.counters()).collect();
        format!(
            "{:?}, G = {}, plan {:?}, {:?} overflow, host mask {:#x}, vCPU counters \
             {counters:?}, keep resident {:?}, host 64-bit {}, filter {:?}",
            self.cfg,
            self.h.plan.guest_counters,
            self.h.plan.mode,
            self.h.plan.overflow,
            self.h.plan.host_mask,
            self.keep,
            self.h.host_long,
            DENIABLE
                .iter()
                .filter(|&&e| !self.h.filter.allows(e))
                .collect::<Vec<_>>()
        )
    }

    fn step(&mut self, step: u64, trace: &mut Vec<String>) {
        let c = self.rng.below(2) as usize;
        let cpu = &self.h.cpus[c];
        let (loaded, in_guest) = (cpu.loaded, cpu.in_guest);
        let roll = self.rng.below(100);
        let line = if in_guest {
            match roll {
                // The guest's handler of a forwarded interrupt: acknowledge, later EOI.
                40..=44 if self.h.guest_ack(c) => format!("guest on CPU {c} acknowledges"),
                40..=44 if self.h.guest_eoi(c) => {
                    self.stats.guest_eois += 1;
                    format!("guest on CPU {c}: EOI")
                }
                0..=44 => self.guest_access(c),
                45..=49 => self.guest_program(c),
                50..=74 => self.guest_count(c),
                75..=89 => {
                    self.exit(c);
                    format!("exit CPU {c}")
                }
                _ => {
                    let v = self.put(c);
                    format!("put vCPU {v} from CPU {c}")
                }
            }
        } else if let Some(v) = loaded {
            match roll {
                0..=49 => {
                    self.enter(c);
                    format!("enter vCPU {v} on CPU {c}")
                }
                50..=64 => self.el2_count(c),
                65..=74 => self.host_perf(c),
                _ => {
                    let v = self.put(c);
                    format!("put vCPU {v} from CPU {c}")
                }
            }
        } else {
            match roll {
                0..=59 => match self.free_vcpu() {
                    Some(v) if self.rng.chance(5) => {
                        // Save and restore, as a migration would.
                        let regs = self.h.vcpus[v].regs().clone();
                        let owned = self.h.vcpus[v].ownership() == Ownership::Owned;
                        assert!(self.h.vcpus[v].set_regs(regs));
                        assert!(!owned || self.h.vcpus[v].ownership() == Ownership::Owned);
                        for last in &mut self.last_put {
                            if *last == Some(v) {
                                *last = None;
                            }
                        }
                        format!("restore vCPU {v}'s saved registers")
                    }
                    Some(v) => {
                        self.load(c, v);
                        format!("load vCPU {v} on CPU {c}")
                    }
                    None => self.el2_count(c),
                },
                60..=79 => self.el2_count(c),
                80..=84 => {
                    // The host uses the guests' counters for a while, then stops them.
                    self.h.cpus[c].core.host_took_guest_counters();
                    self.scribble(c);
                    self.last_put[c] = None;
                    format!("host takes the guests' counters on CPU {c}")
                }
                _ => self.host_perf(c),
            }
        };
        trace.push(format!("{step}: {line}"));
        self.check_always();
    }

    fn free_vcpu(&mut self) -> Option<usize> {
        let free: Vec<usize> = (0..3)
            .filter(|&v| self.h.cpus.iter().all(|cpu| cpu.loaded != Some(v)))
            .collect();
        (!free.is_empty()).then(|| self.rng.pick(&free))
    }

    // ---- World switch ----

    fn load(&mut self, c: usize, v: usize) {
        let vcpu = &self.h.vcpus[v];
        let owned = vcpu.ownership() == Ownership::Owned;
        let returning = self.keep[c] && owned && self.last_put[c] == Some(v);
        // With forwarded overflow, pending flags go back into the hardware: one PMOVSSET.
        let restores = vcpu.overflow_forwarded() && vcpu.regs().pmovs & vcpu.mask() != 0;
        let (reads, writes) = self.h.measure(c, |h| h.load(c, v));
        if returning {
            assert_eq!(
                (reads, writes),
                (0, u64::from(restores)),
                "a vCPU returning to the CPU it left, nothing else having run there"
            );
            self.stats.resident_returns += 1;
        } else if !owned {
            assert_eq!(reads, 0, "an untouched vCPU's load reads nothing");
            assert!(
                writes <= 3,
                "an untouched vCPU's load writes at most PMCNTENCLR, PMUSERENR and PMSELR"
            );
        } else {
            self.stats.full_loads += 1;
        }
        self.last_put[c] = None;
        for other in 0..2 {
            if other != c && self.last_put[other] == Some(v) {
                // Its state on the other CPU is stale now.
                self.last_put[other] = None;
            }
        }
    }

    fn enter(&mut self, c: usize) {
        self.h.enter(c);
        let v = self.h.cpus[c].loaded.unwrap();
        if self.h.vcpus[v].ownership() == Ownership::Owned {
            self.check_view(c, v);
        }
    }

    fn exit(&mut self, c: usize) {
        self.h.exit(c);
        let v = self.h.cpus[c].loaded.unwrap();
        self.sample_ref(v);
        if self.h.vcpus[v].overflow_forwarded() {
            self.check_forwarded(v);
        } else {
            assert_eq!(
                self.h.lines.level(v as u32),
                self.refs[v].irq_line(),
                "vCPU {v}'s interrupt line after an exit (reference {:?})",
                self.refs[v]
            );
        }
    }

    /// A loaded vCPU with forwarded overflow, its guest run: its software line is low, and
    /// while its reference requests the interrupt, the guest has it (a hardware-mapped list
    /// register, pending or active; it may also have one its guest has not handled yet after
    /// the request went down, as with any level-sensitive interrupt).
    fn check_forwarded(&self, v: usize) {
        assert!(
            !self.h.lines.level(v as u32),
            "vCPU {v}'s software line while loaded with forwarded overflow"
        );
        assert!(
            !self.refs[v].irq_line() || self.h.lrs[v].is_some(),
            "vCPU {v}'s interrupt is requested but not forwarded (reference {:?})",
            self.refs[v]
        );
    }

    fn put(&mut self, c: usize) -> usize {
        if self.h.cpus[c].in_guest {
            self.exit(c);
        }
        let v = self.h.cpus[c].loaded.unwrap();
        let owned = self.h.vcpus[v].ownership() == Ownership::Owned;
        let cost = self.h.measure(c, |h| {
            h.put(c);
        });
        if !owned {
            assert_eq!(cost, (0, 0), "an untouched vCPU's put costs nothing");
        }
        if !self.keep[c] {
            // Nothing of the guest's keeps counting or interrupting (an untouched vCPU's put
            // writes nothing: it enabled nothing), and the host's EL0 gets no PMU access
            // from it.
            let pmu = &self.h.cpus[c].pmu;
            if owned {
                let guests = self.h.plan.guests_mask();
                assert_eq!(
                    pmu.pmcnten() & guests,
                    0,
                    "guest counters enabled after put"
                );
                assert_eq!(
                    pmu.pminten() & guests,
                    0,
                    "guest interrupts enabled after put"
                );
            }
            assert_eq!(pmu.pmuserenr(), 0, "PMUSERENR_EL0 after put");
        }
        self.last_put[c] = Some(v);
        self.put_on[v] = Some(c);
        self.check_saved(v);
        // Nothing of the vCPU runs now: its line is what its saved state says.
        assert_eq!(self.h.lines.level(v as u32), self.refs[v].irq_line());
        v
    }

    // ---- Execution ----

    fn guest_count(&mut self, c: usize) -> String {
        let v = self.h.cpus[c].loaded.unwrap();
        let level = if self.rng.bool() {
            Level::El0
        } else {
            Level::El1
        };
        let event = self.rng.pick(&COUNT_EVENTS);
        let n = self.amount();
        let before = self.h.cpus[c].pmu.clone();
        self.h.count(c, level, event, n);
        if self.h.filter.allows(event) {
            self.refs[v].count(level, event, n);
        } else {
            self.stats.denied_counts += 1;
            // A denied event moves no counter of the guest's.
            let k = usize::from(self.h.vcpus[v].counters());
            for i in 0..k {
                if before.counter(i) != self.h.cpus[c].pmu.counter(i)
                    && self.h.cpus[c].pmu.evtyper(i) & 0xffff == u64::from(event)
                {
                    panic!("counter {i} counted denied event {event:#x}");
                }
            }
        }
        self.after_guest_step(c, v);
        format!("guest of vCPU {v} on CPU {c}: {n} x event {event:#x} at {level:?}")
    }

    /// EL2 (or, with nothing loaded on a CPU that does not keep state, the host's own EL0/EL1)
    /// runs: no counter of the guests' range moves.
    fn el2_count(&mut self, c: usize) -> String {
        let level = if self.h.cpus[c].loaded.is_none() && !self.keep[c] && self.rng.chance(40) {
            self.rng.pick(&[Level::El0, Level::El1])
        } else {
            Level::El2
        };
        let event = self.rng.pick(&COUNT_EVENTS);
        let n = self.amount();
        let before = self.guest_range(c);
        self.h.count(c, level, event, n);
        assert_eq!(
            self.guest_range(c),
            before,
            "a counter of the guests' range counted at {level:?} (host context)"
        );
        format!("host on CPU {c}: {n} x event {event:#x} at {level:?}")
    }

    /// Every counter that is not the host's, and the cycle counter.
    fn guest_range(&self, c: usize) -> Vec<u64> {
        let pmu = &self.h.cpus[c].pmu;
        let mut v: Vec<u64> = (0..usize::from(pmu.counters()))
            .filter(|&i| self.h.plan.host_mask >> i & 1 == 0)
            .map(|i| pmu.counter(i))
            .collect();
        v.push(pmu.cycle_counter());
        v
    }

    fn amount(&mut self) -> u64 {
        match self.rng.below(10) {
            0..=5 => 1 + self.rng.below(100),
            6..=8 => 1 + self.rng.below(0x1_0000),
            _ => 1 + self.rng.below(1 << 33),
        }
    }

    fn host_perf(&mut self, c: usize) -> String {
        let host: Vec<usize> = (0..31)
            .filter(|&j| self.h.plan.host_mask >> j & 1 == 1)
            .collect();
        if host.is_empty() {
            return self.el2_count(c);
        }
        let j = self.rng.pick(&host);
        if self.h.host[c][j].enabled && self.rng.chance(25) {
            self.h.host_stop(c, j);
            return format!("host perf on CPU {c}: stop counter {j}");
        }
        // Host perf counts anything but CHAIN (the partition does not chain across HPMN).
        let event = self.rng.pick(&COUNT_EVENTS);
        let filters = self.rng.next_u64() & FILTER_BITS;
        let value = self.counter_value();
        let inten = self.rng.chance(70);
        self.h
            .host_program(c, j, u64::from(event) | filters, value, inten);
        format!(
            "host perf on CPU {c}: counter {j} = {value:#x}, event {event:#x}, filters {filters:#x}, \
             interrupt {inten}"
        )
    }

    // ---- Guest register accesses ----

    fn counter_value(&mut self) -> u64 {
        match self.rng.below(6) {
            0 | 1 => self.rng.below(1000),
            2 => 0xffff_ffff - self.rng.below(64),
            3 => u64::MAX - self.rng.below(64),
            4 => 0x1_0000_0000 - self.rng.below(3),
            _ => self.rng.next_u64(),
        }
    }

    fn type_value(&mut self) -> u64 {
        u64::from(self.rng.pick(&TYPE_EVENTS)) | self.rng.next_u64() & FILTER_BITS
    }

    fn bits_value(&mut self) -> u64 {
        match self.rng.below(4) {
            0 => u64::MAX,
            1 => 1 << self.rng.below(33),
            _ => self.rng.next_u64() & 0x1_ffff_ffff,
        }
    }

    /// An index: mostly among the vCPU's counters and the next one.
    fn index(&mut self, k: u8) -> usize {
        let n = self.cfg.counters.min(31);
        let i = if self.rng.chance(80) {
            self.rng.below(u64::from(k) + 1)
        } else {
            self.rng.below(u64::from(n) + 1)
        };
        (i as usize).min(30)
    }

    /// A random register access for a vCPU with `k` counters: (encoding, value to write).
    fn random_access(&mut self, k: u8) -> (Encoding, Option<u64>) {
        let read = self.rng.bool();
        let rw = |w: &mut World, e: Encoding, value: fn(&mut World) -> u64| {
            if read {
                (e, None)
            } else {
                (e, Some(value(w)))
            }
        };
        match self.rng.below(25) {
            0 => rw(self, enc::<PMCR_EL0>(), |w| {
                w.rng.next_u64() & (E | P | CR | D | X | DP | LC | LP)
            }),
            1 => rw(self, enc::<PMCNTENSET_EL0>(), World::bits_value),
            2 => rw(self, enc::<PMCNTENCLR_EL0>(), World::bits_value),
            3 => rw(self, enc::<PMINTENSET_EL1>(), World::bits_value),
            4 => rw(self, enc::<PMINTENCLR_EL1>(), World::bits_value),
            5 => rw(self, enc::<PMOVSSET_EL0>(), World::bits_value),
            6 | 7 => rw(self, enc::<PMOVSCLR_EL0>(), World::bits_value),
            8 => (enc::<PMSWINC_EL0>(), Some(self.bits_value())),
            9 => rw(self, enc::<PMSELR_EL0>(), |w| w.rng.below(32)),
            10 => {
                let e = self.rng.pick(&[
                    enc::<PMCEID0_EL0>(),
                    enc::<PMCEID1_EL0>(),
                    enc::<PMMIR_EL1>(),
                ]);
                // Read-only: a write is UNDEFINED.
                (e, self.rng.chance(10).then_some(0))
            }
            11 => rw(self, enc::<PMCCNTR_EL0>(), World::counter_value),
            12 => rw(self, enc::<PMCCFILTR_EL0>(), |w| {
                w.rng.next_u64() & FILTER_BITS
            }),
            13 => rw(self, enc::<PMXEVCNTR_EL0>(), World::counter_value),
            14 => rw(self, enc::<PMXEVTYPER_EL0>(), World::type_value),
            15 => rw(self, enc::<PMUSERENR_EL0>(), |w| w.rng.below(16)),
            16..=18 => {
                let i = self.index(k);
                rw(self, evcntr(i), World::counter_value)
            }
            19..=20 => {
                let i = self.index(k);
                rw(self, evtyper(i), World::type_value)
            }
            21 => {
                let e = self
                    .rng
                    .pick(&[enc::<PMICNTR_EL0>(), enc::<PMICFILTR_EL0>()]);
                rw(self, e, |w| w.rng.next_u64())
            }
            22 => {
                let e = self.rng.pick(&[enc::<PMZR_EL0>(), enc::<PMUACR_EL1>()]);
                (e, Some(self.bits_value()))
            }
            _ => (enc::<PMOVSSET_EL0>(), None),
        }
    }

    fn guest_access(&mut self, c: usize) -> String {
        let v = self.h.cpus[c].loaded.unwrap();
        let k = self.h.vcpus[v].counters();
        let (e, write) = self.random_access(k);
        let el = if self.rng.chance(20) {
            El::El0
        } else {
            El::El1
        };
        self.access(c, el, e, write)
    }

    /// The guest's kernel programs its PMU the way a perf driver does: types and values of its
    /// counters (values near an overflow), the cycle counter, enables, interrupt enables,
    /// PMCR_EL0.E, maybe EL0 access.
    fn guest_program(&mut self, c: usize) -> String {
        let v = self.h.cpus[c].loaded.unwrap();
        let k = self.h.vcpus[v].counters();
        let mut accesses = Vec::new();
        for i in 0..usize::from(k) {
            if self.rng.chance(70) {
                let event = self.rng.pick(&TYPE_EVENTS);
                let filters = if self.rng.chance(70) {
                    0
                } else {
                    self.rng.next_u64() & FILTER_BITS
                };
                accesses.push((evtyper(i), u64::from(event) | filters));
                let value = self.counter_value();
                accesses.push((evcntr(i), value));
            }
        }
        if self.rng.chance(70) {
            let filters = if self.rng.chance(70) {
                0
            } else {
                self.rng.next_u64() & FILTER_BITS
            };
            accesses.push((enc::<PMCCFILTR_EL0>(), filters));
            let value = self.counter_value();
            accesses.push((enc::<PMCCNTR_EL0>(), value));
        }
        let bits = self.rng.next_u64() & 0x1_ffff_ffff;
        accesses.push((enc::<PMCNTENSET_EL0>(), bits));
        let bits = self.rng.next_u64() & 0x1_ffff_ffff;
        accesses.push((enc::<PMINTENSET_EL1>(), bits));
        if self.rng.chance(30) {
            accesses.push((enc::<PMUSERENR_EL0>(), self.rng.below(16)));
        }
        let pmcr = E | self.rng.next_u64() & (D | X | DP | LC | LP);
        accesses.push((enc::<PMCR_EL0>(), pmcr));
        let n = accesses.len();
        for (e, x) in accesses {
            self.access(c, El::El1, e, Some(x));
        }
        format!("guest of vCPU {v} on CPU {c}: programs its PMU ({n} accesses, PMCR {pmcr:#x})")
    }

    /// One guest access, compared with the reference's.
    fn access(&mut self, c: usize, el: El, e: Encoding, write: Option<u64>) -> String {
        let v = self.h.cpus[c].loaded.unwrap();
        let rt = self.rng.below(32) as u8;
        let write = write.map(|x| if rt == 31 { 0 } else { x });
        let undefined_before = self.h.undefined;
        let out = self.h.guest_ex(c, el, e, write, rt);
        let expected = self.expected(v, el, e, write);
        let name = aarch64_sysregs::name_of(e).unwrap_or("?");
        let what = match write {
            Some(x) => format!("MSR {name}, {x:#x}"),
            None => format!("MRS {name}"),
        };
        let line = format!(
            "guest of vCPU {v} on CPU {c} at {el:?}: {what} (rt {rt}) -> {:?}, trap {:?}{}",
            out.result,
            out.trapped,
            if out.claimed { ", claimed" } else { "" }
        );
        let same = if rt == 31 && write.is_none() {
            matches!(
                (out.result, expected),
                (GuestAccess::Read(_), GuestAccess::Read(_))
                    | (GuestAccess::Undefined, GuestAccess::Undefined)
            )
        } else {
            out.result == expected
        };
        assert!(
            same,
            "{line}: the guest's view differs from a plain PMU's ({expected:?})\n\
             reference {:?}\nhardware {:?}",
            self.refs[v], self.h.cpus[c].pmu
        );
        self.stats.guest_accesses += 1;
        if out.trapped.is_some() {
            self.stats.traps += 1;
        } else {
            self.stats.direct += 1;
        }
        if out.claimed {
            self.stats.claims += 1;
        }
        self.stats.undefined += self.h.undefined - undefined_before;
        self.after_guest_step(c, v);
        line
    }

    /// What the reference PMU does for the same access (and does it).
    fn expected(&mut self, v: usize, el: El, e: Encoding, write: Option<u64>) -> GuestAccess {
        let r = &mut self.refs[v];
        if e == enc::<PMZR_EL0>() || e == enc::<PMUACR_EL1>() {
            // FEAT_PMUv3p9's zeroing and EL0 access controls are not given to guests.
            return GuestAccess::Undefined;
        }
        let write = if e == enc::<PMSWINC_EL0>() && !self.h.filter.allows(SW_INCR) {
            // SW_INCR denied: the write happens, no counter counts it.
            write.map(|_| 0)
        } else {
            write
        };
        let result = r.guest_access(el, e, write);
        match result {
            GuestAccess::Trap { .. } => panic!("the reference trapped"),
            GuestAccess::Read(x) if e == enc::<PMCEID0_EL0>() => {
                GuestAccess::Read(filtered_ceid(&self.h.filter, x, 0))
            }
            GuestAccess::Read(x) if e == enc::<PMCEID1_EL0>() => {
                GuestAccess::Read(filtered_ceid(&self.h.filter, x, 0x20))
            }
            other => other,
        }
    }

    /// After a guest step: interrupts serviced by the harness; the references' lines sampled.
    /// A vCPU in trapped mode has every PMU access emulated, so its line is exact at once.
    fn after_guest_step(&mut self, c: usize, v: usize) {
        self.sample_ref(v);
        self.note_forwards(v);
        let vcpu = &self.h.vcpus[v];
        let exact = vcpu.mode() == Mode::Trapped || vcpu.ownership() == Ownership::Untouched;
        if exact {
            assert_eq!(
                self.h.lines.level(v as u32),
                self.refs[v].irq_line(),
                "vCPU {v}'s line (every access emulated) on CPU {c}"
            );
        }
    }

    /// Forwards of vCPU `v`'s interrupt since the last look (after each guest access, event
    /// and step): only its guest's own interrupt request is forwarded, at most once (it is
    /// then active until the guest's EOI or the put).
    fn note_forwards(&mut self, v: usize) {
        let forwards = self.h.lines.forwarded[v];
        if forwards != self.forwards[v] {
            assert_eq!(forwards, self.forwards[v] + 1, "vCPU {v} forwarded twice");
            assert!(
                self.refs[v].irq_line(),
                "vCPU {v}'s interrupt forwarded without its request (reference {:?})",
                self.refs[v]
            );
            self.forwards[v] = forwards;
            self.stats.forwarded_irqs += 1;
        }
    }

    fn sample_ref(&mut self, v: usize) {
        let level = self.refs[v].irq_line();
        if level && !self.ref_level[v] {
            self.ref_edges[v] += 1;
            self.stats.guest_overflow_irqs += 1;
        }
        self.ref_level[v] = level;
    }

    // ---- Checks ----

    /// After every step: host perf's counters as programmed and counted, interrupts delivered
    /// once, no UNDEFINED or CONSTRAINED UNPREDICTABLE access by the core.
    fn check_always(&mut self) {
        for c in 0..2 {
            self.h.check_host(c);
            self.h.audit(c);
        }
        self.h.check_architectural();
        for v in 0..3 {
            self.note_forwards(v);
            let forwards = self.h.lines.forwarded[v];
            if self.h.vcpus[v].overflow_forwarded() {
                // A saved overflow raises the software line at each put and the physical
                // interrupt at each load, until the guest clears it: the edges are not the
                // reference's (the list register's pending state is dropped at put).
                continue;
            }
            assert_eq!(forwards, 0, "vCPU {v} is not forwarded");
            assert!(
                self.h.lines.raised[v] <= self.ref_edges[v],
                "vCPU {v}'s line raised {} times for {} interrupts",
                self.h.lines.raised[v],
                self.ref_edges[v]
            );
        }
        // The PMU interrupt is active exactly while forwarded to the loaded vCPU, and a vCPU
        // not loaded has no hardware-mapped list register.
        for v in 0..3 {
            if self.h.cpus.iter().all(|cpu| cpu.loaded != Some(v)) {
                assert_eq!(
                    self.h.lrs[v], None,
                    "vCPU {v} not loaded holds the interrupt"
                );
            }
        }
        for (c, cpu) in self.h.cpus.iter().enumerate() {
            if let Some(v) = cpu.loaded {
                assert_eq!(
                    cpu.ppi_active,
                    self.h.lrs[v].is_some(),
                    "CPU {c}'s PMU interrupt active, forwarded to vCPU {v}"
                );
                if cpu.in_guest && self.h.vcpus[v].overflow_forwarded() {
                    self.check_forwarded(v);
                }
            } else {
                assert!(
                    !cpu.ppi_active,
                    "CPU {c}'s PMU interrupt active, nothing loaded"
                );
            }
        }
        let delivered: u32 = self
            .h
            .host
            .iter()
            .flat_map(|cpu| cpu.iter())
            .map(|hc| hc.delivered)
            .sum();
        self.stats.host_overflow_irqs = u64::from(delivered);
    }

    /// The vCPU's saved registers are exactly its reference's state.
    fn check_saved(&mut self, v: usize) {
        let r = &self.refs[v];
        let s = self.h.vcpus[v].regs();
        let k = usize::from(self.h.vcpus[v].counters());
        let ctx = || format!("vCPU {v} after put: saved {s:?}\nreference {r:?}");
        assert_eq!(s.pmcr, r.pmcr() & (E | D | X | DP | LC | LP), "{}", ctx());
        assert_eq!(s.pmselr, r.pmselr(), "{}", ctx());
        assert_eq!(s.pmuserenr, r.pmuserenr(), "{}", ctx());
        assert_eq!(s.pmcnten, r.pmcnten(), "{}", ctx());
        assert_eq!(s.pminten, r.pminten(), "{}", ctx());
        assert_eq!(s.pmovs, r.pmovs(), "{}", ctx());
        assert_eq!(s.pmccfiltr, r.ccfiltr(), "{}", ctx());
        assert_eq!(s.pmccntr, r.cycle_counter(), "{}", ctx());
        for i in 0..k {
            assert_eq!(s.pmevtyper[i], r.evtyper(i), "PMEVTYPER{i}: {}", ctx());
            assert_eq!(s.pmevcntr[i], r.counter(i), "PMEVCNTR{i}: {}", ctx());
        }
        self.stats.view_checks += 1;
    }

    /// Right after entering: the guest reads every register of its PMU and finds its
    /// reference's values.
    fn check_view(&mut self, c: usize, v: usize) {
        let k = usize::from(self.h.vcpus[v].counters());
        let mut regs = vec![
            enc::<PMCR_EL0>(),
            enc::<PMCNTENSET_EL0>(),
            enc::<PMINTENSET_EL1>(),
            enc::<PMOVSSET_EL0>(),
            enc::<PMSELR_EL0>(),
            enc::<PMUSERENR_EL0>(),
            enc::<PMCCNTR_EL0>(),
            enc::<PMCCFILTR_EL0>(),
        ];
        for i in 0..k {
            regs.push(evcntr(i));
            regs.push(evtyper(i));
        }
        for e in regs {
            let got = self.h.guest_ex(c, El::El1, e, None, 0);
            let want = self.refs[v].guest_access(El::El1, e, None);
            assert_eq!(
                got.result,
                want,
                "vCPU {v}'s {} after a switch to CPU {c} (trap {:?})\nhardware {:?}",
                aarch64_sysregs::name_of(e).unwrap_or("?"),
                got.trapped,
                self.h.cpus[c].pmu
            );
        }
        self.after_guest_step(c, v);
        self.stats.view_checks += 1;
    }
}

/// PMCEID0/1_EL0 (`base` 0 or 0x20) with the events the filter denies cleared.
fn filtered_ceid(filter: &EventFilter, raw: u64, base: u16) -> u64 {
    (0..64u16)
        .filter(|&bit| raw >> bit & 1 == 1)
        .filter(|&bit| {
            let event = if bit < 32 {
                base + bit
            } else {
                0x4000 + base + bit - 32
            };
            filter.allows(event)
        })
        .fold(0, |acc, bit| acc | 1 << bit)
}
