//! System-register accesses per vCPU load and put, as a function of the guest's counter count
//! G, counted on a simulated register file (the same code runs on hardware through the same
//! `Backend`, one access each). Compared with KVM v8's partitioned PMU: 2G+9 writes per load.
//!
//! `cargo bench -p pmu-part` prints the table quoted in README.md.

use aarch64_sysregs::{id_aa64dfr0_el1::PmuVer, RegisterFile};
use pmu_part::{EventFilter, FineGrainedTraps, HardwareFacts, PcpuPmu, Plan, Registers, VcpuPmu};

#[derive(Clone, Copy, Default)]
struct Cost {
    reads: u64,
    writes: u64,
}

fn measure(file: &mut RegisterFile<256>, f: impl FnOnce(&mut RegisterFile<256>)) -> Cost {
    let (r, w) = (file.reads, file.writes);
    f(file);
    Cost {
        reads: file.reads - r,
        writes: file.writes - w,
    }
}

/// A guest that used its PMU: every counter enabled, interrupts on, types written.
fn busy_registers(counters: u8) -> Registers {
    let mut r = Registers::reset();
    r.pmcr = 1;
    let mask = Plan::guest_mask(counters);
    r.pmcnten = mask;
    r.pminten = mask;
    for i in 0..usize::from(counters) {
        r.pmevtyper[i] = 0x08;
        r.pmevcntr[i] = 1000 + i as u64;
    }
    r
}

fn main() {
    let filter = EventFilter::allow_all();
    println!(
        "System-register accesses per switch (reads + writes), N = 31 counters, G guest counters:"
    );
    println!();
    println!("| G | full load (r+w) | full put (r+w) | lazy vCPU load/put | same-CPU return load | KVM v8 load writes (2G+9) |");
    println!("|---|---|---|---|---|---|");
    for g in [0u8, 1, 2, 4, 8, 16, 24, 31] {
        let facts = HardwareFacts {
            counters: 31,
            pmu_ver: PmuVer::V3P5,
            hpmn0: true,
            fgt: FineGrainedTraps::Fgt,
            instruction_counter: false,
        };
        let plan = Plan::new(facts, 31 - g).expect("valid plan");
        let mut file = RegisterFile::<256>::new();

        // Full switch: two busy vCPUs alternating on a CPU that cannot keep state resident.
        let mut cpu = PcpuPmu::new(0, &plan, false);
        cpu.assume_clean();
        let mut a = VcpuPmu::new(1, &plan, g).expect("fits");
        let mut b = VcpuPmu::new(2, &plan, g).expect("fits");
        a.set_regs(busy_registers(g));
        b.set_regs(busy_registers(g));
        a.load(&mut cpu, &filter, &mut file);
        a.put(&mut cpu, &mut file);
        let load = measure(&mut file, |f| b.load(&mut cpu, &filter, f));
        let put = measure(&mut file, |f| b.put(&mut cpu, f));

        // A vCPU whose guest never touched its PMU.
        let mut lazy = VcpuPmu::new(3, &plan, g).expect("fits");
        let lazy_cost = measure(&mut file, |f| {
            lazy.load(&mut cpu, &filter, f);
            lazy.put(&mut cpu, f);
        });

        // Same-CPU return on a CPU that keeps state resident.
        let mut resident_cpu = PcpuPmu::new(1, &plan, true);
        resident_cpu.assume_clean();
        a.load(&mut resident_cpu, &filter, &mut file);
        a.put(&mut resident_cpu, &mut file);
        let back = measure(&mut file, |f| a.load(&mut resident_cpu, &filter, f));
        a.put(&mut resident_cpu, &mut file);

        println!(
            "| {g} | {} ({}+{}) | {} ({}+{}) | {} | {} | {} |",
            load.reads + load.writes,
            load.reads,
            load.writes,
            put.reads + put.writes,
            put.reads,
            put.writes,
            lazy_cost.reads + lazy_cost.writes,
            back.reads + back.writes,
            2 * u32::from(g) + 9
        );
    }
}
