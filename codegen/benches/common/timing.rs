//! The timing loop of the codegen benchmarks: warm up, then time single calls within a budget
//! and bounds on the number of iterations; report the minimum and the median.

use std::time::{Duration, Instant};

/// How long to warm up and how long to measure.
pub struct Budget {
    pub warm_up: Duration,
    pub budget: Duration,
    pub min_iters: usize,
    pub max_iters: usize,
}

pub struct Stats {
    pub min: Duration,
    pub median: Duration,
    pub iters: usize,
}

/// Runs `f` for `b.warm_up`, then times single calls until `b.budget` (within the iteration
/// bounds) is spent.
pub fn measure(b: &Budget, mut f: impl FnMut()) -> Stats {
    let start = Instant::now();
    while start.elapsed() < b.warm_up {
        f();
    }
    let mut times = Vec::with_capacity(b.max_iters);
    let start = Instant::now();
    while times.len() < b.min_iters || (times.len() < b.max_iters && start.elapsed() < b.budget) {
        let t = Instant::now();
        f();
        times.push(t.elapsed());
    }
    times.sort_unstable();
    Stats {
        min: times[0],
        median: times[times.len() / 2],
        iters: times.len(),
    }
}

/// Prints the cases as tab-separated values (`tsv`, what `cargo xtask bench` reads) or, after
/// `heading`, as aligned lines for a person.
pub fn report(cases: &[(&str, Stats)], tsv: bool, heading: &str) {
    if tsv {
        println!("case\tmin_ns\tmedian_ns\titerations");
        for (case, s) in cases {
            println!(
                "{case}\t{}\t{}\t{}",
                s.min.as_nanos(),
                s.median.as_nanos(),
                s.iters
            );
        }
        return;
    }
    println!("{heading}");
    let width = cases.iter().map(|(c, _)| c.len()).max().unwrap_or(0);
    for (case, s) in cases {
        println!(
            "{case:<width$} min {:>9.3} ms   median {:>9.3} ms   ({} iterations)",
            s.min.as_secs_f64() * 1e3,
            s.median.as_secs_f64() * 1e3,
            s.iters
        );
    }
}
