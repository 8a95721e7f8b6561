//! Whatever the input, the model does not panic; and whatever a guest does with TPM clear, it
//! cannot touch the host's counters (the property the partition is for).

mod common;
use common::*;

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Mostly PMU and EL2 debug encodings, sometimes anything.
    fn encoding(&mut self) -> Encoding {
        if self.below(8) == 0 {
            let v = self.next();
            return Encoding::new(
                v as u8,
                (v >> 8) as u8,
                (v >> 16) as u8,
                (v >> 24) as u8,
                (v >> 32) as u8,
            );
        }
        let op1 = [0u8, 3, 4][self.below(3) as usize];
        let crn = [9u8, 14, 0, 1, 3][self.below(5) as usize];
        Encoding::new(3, op1, crn, self.below(16) as u8, self.below(8) as u8)
    }

    /// Values with interesting bits set more often than uniform ones.
    fn value(&mut self) -> u64 {
        match self.below(4) {
            0 => self.next(),
            1 => u64::MAX,
            2 => self.below(64),
            _ => 1 << self.below(64),
        }
    }
}

fn configs() -> Vec<Config> {
    let mut v = Vec::new();
    for counters in [0u8, 1, 2, 6, 31, 255] {
        for (pmu_ver, fgt, icntr, hpmn0) in [
            (PmuVer::IMP, Fgt::NI, false, false),
            (PmuVer::V3P1, Fgt::NI, false, false),
            (PmuVer::V3P5, Fgt::IMP, false, true),
            (PmuVer::V3P7, Fgt::IMP, true, false),
            (PmuVer::V3P9, Fgt::FGT2, true, true),
            (PmuVer::from_bits(0b1010), Fgt::from_bits(0xf), true, true),
            (PmuVer::NI, Fgt::FGT2, false, true),
            (PmuVer::IMP_DEF, Fgt::IMP, true, false),
        ] {
            v.push(Config {
                counters,
                pmu_ver,
                hpmn0,
                fgt,
                icntr,
            });
        }
    }
    v
}

#[test]
fn random_accesses_never_panic_and_keep_the_state_well_formed() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for cfg in configs() {
        let mut p = CpuPmu::new(cfg);
        p.set_logging(rng.below(2) == 0);
        if rng.below(3) == 0 {
            p.set_el3(false);
        }
        let n = usize::from(p.counters());
        let implemented = ((1u64 << n) - 1) | C | if cfg.icntr { F0 } else { 0 };
        for _ in 0..4000 {
            let e = rng.encoding();
            let v = rng.value();
            match rng.below(6) {
                0 => {
                    let _ = p.read_encoding(e);
                }
                1 => p.write_encoding(e, v),
                2 => {
                    let el = if rng.below(2) == 0 { El::El0 } else { El::El1 };
                    let w = if rng.below(2) == 0 { None } else { Some(v) };
                    let _ = p.guest_access(el, e, w);
                }
                3 => {
                    let level = [Level::El0, Level::El1, Level::El2][rng.below(3) as usize];
                    let event = [CPU_CYCLES, INST_RETIRED, SW_INCR, CHAIN, rng.next() as u16]
                        [rng.below(5) as usize];
                    p.count(level, event, rng.value());
                }
                4 => {
                    let _ = p.set_raw(e, v);
                    let _ = p.get_raw(e);
                }
                _ => {
                    let i = rng.below(40) as usize;
                    p.set_counter(i, v);
                    let _ = p.counter(i);
                    let _ = p.counter_counts(i, Level::El1);
                    let _ = p.irq_line();
                }
            }
            assert_eq!(p.pmovs() & !implemented, 0, "{cfg:?}");
            assert_eq!(p.pmcnten() & !implemented, 0, "{cfg:?}");
            assert_eq!(p.pminten() & !implemented, 0, "{cfg:?}");
            assert!(p.hpmn() as usize <= n);
            assert!(p.pmselr() < 32);
            for i in n..40 {
                assert_eq!(p.counter(i), 0, "{cfg:?}: counter {i} is not implemented");
            }
            assert!(p.log().len() <= LOG_CAPACITY);
        }
        let _ = format!("{p:?}");
    }
}

/// The host's share of the PMU: the second-range counters, their types and their bits in the
/// enable, interrupt-enable and overflow registers, and the EL2 controls.
fn host_state(p: &CpuPmu, h: usize) -> Vec<u64> {
    let n = usize::from(p.counters());
    let host_bits = ((1u64 << n) - 1) & !((1u64 << h) - 1);
    let mut s = vec![
        p.pmcnten() & host_bits,
        p.pminten() & host_bits,
        p.pmovs() & host_bits,
        p.mdcr(),
        p.hdfgrtr(),
        p.hdfgwtr(),
    ];
    for i in h..n {
        s.push(p.counter(i));
        s.push(p.evtyper(i));
    }
    s
}

#[test]
fn a_guest_cannot_touch_the_host_range() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for (counters, hpmn) in [(6u8, 2u8), (6, 0), (31, 30), (4, 4), (10, 3)] {
        let mut p = CpuPmu::new(Config {
            pmu_ver: PmuVer::V3P9,
            ..cfg(counters)
        });
        set_mdcr(
            &mut p,
            mdcr_partition(hpmn) | MdcrEl2::from_bits(0).with_hpmd(true).to_bits(),
        );
        for i in usize::from(hpmn)..usize::from(counters) {
            p.set_counter(i, 0x1000 + i as u64);
            p.write_encoding(evtyper(i), F_P | F_U | F_NSH | u64::from(CPU_CYCLES));
        }
        p.set_raw(enc::<PMCNTENSET_EL0>(), 0x5555_5555);
        p.set_raw(enc::<PMINTENSET_EL1>(), 0x2aaa_aaaa);
        p.set_raw(enc::<PMOVSSET_EL0>(), 0x0f0f_0f0f);
        let h = usize::from(hpmn);
        let before = host_state(&p, h);
        for _ in 0..20_000 {
            let el = if rng.below(2) == 0 { El::El0 } else { El::El1 };
            let e = rng.encoding();
            let v = rng.value();
            let w = if rng.below(2) == 0 { None } else { Some(v) };
            match p.guest_access(el, e, w) {
                GuestAccess::Read(x) if e == enc::<PMCNTENSET_EL0>() => {
                    assert_eq!(
                        x & ((1 << counters) - 1) >> h << h,
                        0,
                        "host bits read as zero"
                    )
                }
                _ => {}
            }
            // Guest-level events may be counted by host counters (they filter EL1 out here).
            if rng.below(4) == 0 {
                p.count(Level::El1, CPU_CYCLES, rng.below(1000));
            }
            assert_eq!(host_state(&p, h), before, "after {el:?} {e:?} {w:?}");
        }
    }
}
