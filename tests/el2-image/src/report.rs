//! The image's report: one line per check, per platform deviation and per benchmark row, in a
//! form `cargo xtask qemu` parses.
//!
//! ```text
//! check <name>: PASS <what was seen>
//! check <name>: FAIL <what was seen, what was expected>
//! check <name>: SKIP <why it cannot run here>
//! deviation <name>: <what the architecture requires> / <what this platform did>
//! bench <mode>: key=value ...
//! summary: checks=<n> failed=<n> deviations=<n>
//! ```
//!
//! A deviation is an architectural property the image probes that the platform does not have
//! (QEMU's known departures); it never stands in for a check of pmu-part: each probe looks at
//! a behaviour that belongs to the CPU alone.

use core::fmt;

/// Tallies of what was reported.
pub struct Report {
    pub checks: u32,
    pub failed: u32,
    pub deviations: u32,
}

impl Report {
    pub const fn new() -> Report {
        Report {
            checks: 0,
            failed: 0,
            deviations: 0,
        }
    }

    /// Reports check `name`: passed if `ok`; `detail` says what was seen.
    pub fn check(&mut self, name: &str, ok: bool, detail: fmt::Arguments) -> bool {
        self.checks += 1;
        if !ok {
            self.failed += 1;
        }
        crate::println!(
            "check {name}: {} {detail}",
            if ok { "PASS" } else { "FAIL" }
        );
        ok
    }

    /// Reports a check that cannot run on this platform (the runner decides whether that is
    /// acceptable: it requires every check to pass in a run where the feature exists).
    pub fn skip(&mut self, name: &str, detail: fmt::Arguments) {
        crate::println!("check {name}: SKIP {detail}");
    }

    /// Reports that the platform departs from the architecture in `name`.
    pub fn deviation(&mut self, name: &str, detail: fmt::Arguments) {
        self.deviations += 1;
        crate::println!("deviation {name}: {detail}");
    }

    /// Reports an architectural property probed on the platform: a pass, or a deviation.
    pub fn probe(&mut self, name: &str, holds: bool, detail: fmt::Arguments) {
        if holds {
            self.checks += 1;
            crate::println!("check {name}: PASS {detail}");
        } else {
            self.deviation(name, detail);
        }
    }
}
