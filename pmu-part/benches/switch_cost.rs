//! System-register accesses per vCPU load and put, as a function of the guest's counter count
//! G, counted on a simulated register file (the same code runs on hardware through the same
//! `Backend`, one access each). Compared with KVM v8's partitioned PMU: 2G+9 writes per load.
//!
//! `cargo bench -p pmu-part` prints the tables quoted in README.md: the switch costs, and what
//! changes with forwarded overflow (`OverflowDelivery::Forwarded`).

use aarch64_sysregs::{id_aa64dfr0_el1::PmuVer, RegisterFile};
use pmu_part::{
    EventFilter, FineGrainedTraps, HardwareFacts, OverflowDelivery, PcpuPmu, Plan, Registers,
    VcpuPmu,
};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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

/// The accesses of one switch of each kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Switch {
    load: Cost,
    put: Cost,
    lazy: Cost,
    back: Cost,
}

/// `g` guest counters of N = 31, guests' overflows delivered as `overflow`, both busy vCPUs
/// with `regs`.
fn switch(g: u8, overflow: OverflowDelivery, regs: &Registers) -> Switch {
    let filter = EventFilter::allow_all();
    let facts = HardwareFacts {
        counters: 31,
        pmu_ver: PmuVer::V3P5,
        hpmn0: true,
        fgt: FineGrainedTraps::Fgt,
        instruction_counter: false,
    };
    let plan = Plan::new(facts, 31 - g)
        .expect("valid plan")
        .with_overflow(overflow);
    let mut file = RegisterFile::<256>::new();

    // Full switch: two busy vCPUs alternating on a CPU that cannot keep state resident.
    let mut cpu = PcpuPmu::new(0, &plan, false);
    cpu.assume_clean();
    let mut a = VcpuPmu::new(1, &plan, g).expect("fits");
    let mut b = VcpuPmu::new(2, &plan, g).expect("fits");
    a.set_regs(regs.clone());
    b.set_regs(regs.clone());
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
    Switch {
        load,
        put,
        lazy: lazy_cost,
        back,
    }
}

fn rw(c: Cost) -> String {
    format!("{} ({}+{})", c.reads + c.writes, c.reads, c.writes)
}

const GS: [u8; 8] = [0, 1, 2, 4, 8, 16, 24, 31];

fn main() {
    println!(
        "System-register accesses per switch (reads + writes), N = 31 counters, G guest counters:"
    );
    println!();
    println!("| G | full load (r+w) | full put (r+w) | lazy vCPU load/put | same-CPU return load | KVM v8 load writes (2G+9) |");
    println!("|---|---|---|---|---|---|");
    for g in GS {
        let busy = busy_registers(g);
        let s = switch(g, OverflowDelivery::Virtual, &busy);
        // Forwarded overflow costs the same while no overflow is pending at the switch.
        assert_eq!(switch(g, OverflowDelivery::Forwarded, &busy), s);
        println!(
            "| {g} | {} | {} | {} | {} | {} |",
            rw(s.load),
            rw(s.put),
            s.lazy.reads + s.lazy.writes,
            s.back.reads + s.back.writes,
            2 * u32::from(g) + 9
        );
    }
    println!();
    println!(
        "The same with an overflow pending at the switch (the cycle counter's flag set), per \
         delivery (Virtual / Forwarded; without a pending overflow both cost as above):"
    );
    println!();
    println!("| G | full load (r+w) | full put (r+w) | same-CPU return load |");
    println!("|---|---|---|---|");
    for g in GS {
        let mut pending = busy_registers(g);
        pending.pmovs = 1 << 31;
        let v = switch(g, OverflowDelivery::Virtual, &pending);
        let f = switch(g, OverflowDelivery::Forwarded, &pending);
        println!(
            "| {g} | {} / {} | {} / {} | {} / {} |",
            rw(v.load),
            rw(f.load),
            rw(v.put),
            rw(f.put),
            rw(v.back),
            rw(f.back)
        );
    }
}
