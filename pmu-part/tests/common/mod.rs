//! A small hypervisor around the partitioned-PMU core, on the architectural PMU model.
//!
//! - A physical CPU is a [`CpuPmu`] (the hardware) and a [`PcpuPmu`] (the core's view of it).
//! - A vCPU is a [`VcpuPmu`].
//! - Entering a guest writes the vCPU's traps (MDCR_EL2, HDFGRTR/HDFGWTR_EL2 and, with
//!   FEAT_FGT2, HDFGRTR2/HDFGWTR2_EL2) into the model with its raw setters, so that the world
//!   switch is not counted as PMU switching; exiting writes the host's traps the same way and
//!   resynchronises the vCPU's virtual interrupt ([`VcpuPmu::update_irq`], as KVM does on every
//!   exit).
//! - A guest instruction is a [`CpuPmu::guest_access`]; a trap goes to [`VcpuPmu::handle_trap`]
//!   with the ESR_EL2 the hardware would give (EC 0x18, IL, the ISS with Rt), and the harness
//!   moves the value between Rt and the core.
//! - Host perf programs its counters (the plan's host range) at EL2 through the `Backend`.
//! - [`Hyp::count`] makes events happen; whenever the model's interrupt request is high (and
//!   the PMU interrupt is not active) the harness runs [`PcpuPmu::handle_overflow`] with the
//!   vCPU loaded there.
//! - Forwarded overflow ([`OverflowDelivery::Forwarded`]) is delivered as a GICv3 with
//!   EOImode = 1 would: a forward leaves the CPU's PMU interrupt active ([`Cpu::ppi_active`],
//!   not signalled again) and puts a hardware-mapped list register in the vCPU
//!   ([`Hyp::lrs`]); the guest acknowledges it ([`Hyp::guest_ack`]) and its EOI
//!   ([`Hyp::guest_eoi`]) deactivates the physical interrupt. Entering a guest resynchronises
//!   its line and takes a pending PMU interrupt first; a put follows the protocol of
//!   `VirtualIrq`'s documentation (drop a pending list register, make an active one a
//!   software one, deactivate the physical interrupt) and resynchronises the line.
#![allow(dead_code, unused_imports)]

pub use aarch64_sysregs::{
    id_aa64dfr0_el1::PmuVer, id_aa64mmfr0_el1::Fgt, pmcr_el0::PmcrEl0, pmevcntrx_el0::PmevcntrxEl0,
    pmevtyperx_el0::PmevtyperxEl0, pmu_counters::PmuCounters, Backend, Encoding, MdcrEl2,
    PMEVCNTRn_EL0, PMEVTYPERn_EL0, Readable, RegisterValue, SysReg, Writable, HDFGRTR2_EL2,
    HDFGRTR_EL2, HDFGWTR2_EL2, HDFGWTR_EL2, MDCR_EL2, PMCCFILTR_EL0, PMCCNTR_EL0, PMCEID0_EL0,
    PMCEID1_EL0, PMCNTENCLR_EL0, PMCNTENSET_EL0, PMCR_EL0, PMICFILTR_EL0, PMICNTR_EL0,
    PMINTENCLR_EL1, PMINTENSET_EL1, PMMIR_EL1, PMOVSCLR_EL0, PMOVSSET_EL0, PMSELR_EL0, PMSWINC_EL0,
    PMUACR_EL1, PMUSERENR_EL0, PMXEVCNTR_EL0, PMXEVTYPER_EL0, PMZR_EL0,
};
pub use pmu_model::{Access, AccessKind, Config, CpuPmu, El, GuestAccess, Level, TrapCause};
pub use pmu_part::{
    Emulation, EventFilter, FineGrainedTraps, HardwareFacts, IrqLines, Mode, OverflowDelivery,
    Ownership, PcpuPmu, Plan, PlanError, SysRegTrap, Traps, VcpuPmu,
};

/// The cycle counter's bit in the PMU_COUNTERS registers.
pub const C: u64 = 1 << 31;
/// The instruction counter's bit.
pub const F0: u64 = 1 << 32;

// PMCR_EL0
pub const E: u64 = 1 << 0;
pub const P: u64 = 1 << 1;
pub const CR: u64 = 1 << 2;
pub const D: u64 = 1 << 3;
pub const X: u64 = 1 << 4;
pub const DP: u64 = 1 << 5;
pub const LC: u64 = 1 << 6;
pub const LP: u64 = 1 << 7;
pub const FZO: u64 = 1 << 9;

// PMEVTYPER<n>_EL0 / PMCCFILTR_EL0 filters
pub const F_P: u64 = 1 << 31;
pub const F_U: u64 = 1 << 30;
pub const F_NSK: u64 = 1 << 29;
pub const F_NSU: u64 = 1 << 28;
pub const F_NSH: u64 = 1 << 27;
pub const F_M: u64 = 1 << 26;
pub const FILTER_BITS: u64 = F_P | F_U | F_NSK | F_NSU | F_NSH | F_M;

// PMUSERENR_EL0
pub const EN: u64 = 1 << 0;

// Events
pub const SW_INCR: u16 = 0x00;
pub const L1D_CACHE: u16 = 0x04;
pub const INST_RETIRED: u16 = 0x08;
pub const BR_MIS_PRED: u16 = 0x10;
pub const CPU_CYCLES: u16 = 0x11;
pub const CHAIN: u16 = 0x1e;
pub const STALL: u16 = 0x23;

pub fn enc<R: SysReg>() -> Encoding {
    R::ENCODING
}

pub fn evcntr(n: usize) -> Encoding {
    PMEVCNTRn_EL0::encoding(n).expect("0..=30")
}

pub fn evtyper(n: usize) -> Encoding {
    PMEVTYPERn_EL0::encoding(n).expect("0..=30")
}

/// A configuration: `counters` event counters, PMUv3p5, FEAT_HPMN0, FEAT_FGT, no ICNTR (QEMU's
/// `-cpu max`).
pub fn cfg(counters: u8) -> Config {
    Config {
        counters,
        ..Config::QEMU_MAX
    }
}

/// The bits of `counters` event counters and the cycle counter.
pub fn guest_bits(counters: u8) -> u64 {
    Plan::guest_mask(counters)
}

/// Writes a trap configuration into the model with its raw setters (not counted, not logged).
/// The fine-grained trap registers only where the CPU has them.
pub fn write_traps(pmu: &mut CpuPmu, traps: &Traps) {
    pmu.set_mdcr(traps.mdcr.to_bits());
    let fgt = pmu.config().fgt;
    if fgt.at_least(Fgt::IMP) {
        assert!(pmu.set_raw(enc::<HDFGRTR_EL2>(), traps.hdfgrtr.to_bits()));
        assert!(pmu.set_raw(enc::<HDFGWTR_EL2>(), traps.hdfgwtr.to_bits()));
    }
    assert_eq!(
        traps.hdfgrtr2.is_some(),
        fgt.at_least(Fgt::FGT2),
        "FGT2 values exactly with FEAT_FGT2"
    );
    if let (Some(r2), Some(w2)) = (traps.hdfgrtr2, traps.hdfgwtr2) {
        assert!(pmu.set_raw(enc::<HDFGRTR2_EL2>(), r2.to_bits()));
        assert!(pmu.set_raw(enc::<HDFGWTR2_EL2>(), w2.to_bits()));
    }
    assert!(
        !pmu.hpmn_unpredictable(),
        "MDCR_EL2.HPMN {} is CONSTRAINED UNPREDICTABLE on {:?}",
        traps.mdcr.hpmn(),
        pmu.config()
    );
    assert!(traps.mdcr.hpme(), "the host's counters always count");
}

/// The ESR_EL2 of a trapped MSR/MRS with this ISS (Rt 0) and `rt`.
pub fn esr(iss: u32, rt: u8) -> u64 {
    SysRegTrap::EC << 26 | 1 << 25 | u64::from(iss) | u64::from(rt & 31) << 5
}

/// What a guest instruction did, after the hypervisor handled any trap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The architectural result: `Read`, `Written` or `Undefined` (never `Trap`).
    pub result: GuestAccess,
    /// Which control trapped the access to EL2, if it trapped.
    pub trapped: Option<TrapCause>,
    /// The trap claimed the vCPU's PMU (its traps were rewritten).
    pub claimed: bool,
}

/// A physical CPU.
pub struct Cpu {
    /// The hardware.
    pub pmu: CpuPmu,
    /// The core's state for it.
    pub core: PcpuPmu,
    /// The vCPU loaded here.
    pub loaded: Option<usize>,
    /// Whether that vCPU's guest is running (its traps are in the hardware).
    pub in_guest: bool,
    /// The PMU interrupt is active in the GIC (forwarded to the loaded vCPU's guest, not yet
    /// deactivated): the GIC does not signal it again, whatever the PMU requests.
    pub ppi_active: bool,
}

/// A vCPU's hardware-mapped (HW = 1) list register for the PMU interrupt, forwarded overflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lr {
    /// Injected, not yet acknowledged by the guest.
    Pending,
    /// Acknowledged: the guest is in its handler; its EOI deactivates the physical interrupt.
    Active,
}

/// Host perf's view of one of its counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostCounter {
    /// Programmed (its event type written, enabled).
    pub enabled: bool,
    /// Its interrupt enabled.
    pub inten: bool,
    /// PMEVTYPER as host perf wrote it.
    pub evtyper: u64,
    /// The value it must hold.
    pub value: u64,
    /// Its overflow flag must be set in hardware (an overflow not taken by an interrupt).
    pub flag: bool,
    /// Overflows the interrupt handler must still return.
    pub pending: u32,
    /// Overflows returned by `handle_overflow` for it.
    pub delivered: u32,
}

/// The hypervisor.
pub struct Hyp {
    pub plan: Plan,
    pub filter: EventFilter,
    pub host_long: bool,
    pub cpus: Vec<Cpu>,
    pub vcpus: Vec<VcpuPmu>,
    pub lines: IrqLines,
    /// Per vCPU: its list register holding the forwarded PMU interrupt, if any.
    pub lrs: Vec<Option<Lr>>,
    /// Per vCPU: a PMU interrupt its guest acknowledged and has not EOIed, whose list register
    /// a put made a software one (HW = 0): its EOI deactivates only the virtual interrupt.
    pub soft_active: Vec<bool>,
    /// Guest accesses that ended UNDEFINED.
    pub undefined: u64,
    /// Guest accesses whose outcome the architecture leaves CONSTRAINED UNPREDICTABLE (the
    /// guest's doing, e.g. a counter index at or above N without FEAT_FGT).
    pub guest_unpredictable: u64,
    /// Host perf's counters, per CPU, indexed by counter number (only the host range is used).
    pub host: Vec<[HostCounter; 31]>,
    /// Host bits returned by `handle_overflow`, per CPU, in order.
    pub host_overflow_bits: Vec<u64>,
}

impl Hyp {
    /// `cpus` CPUs of configuration `cfg` (`keep[i]`: CPU i keeps vCPU state resident), a plan
    /// reserving `reserved` counters for the host, and vCPUs with the given counter counts.
    pub fn new(
        cfg: Config,
        reserved: u8,
        keep: &[bool],
        vcpu_counters: &[u8],
        filter: EventFilter,
        host_long: bool,
    ) -> Hyp {
        Hyp::new_with(
            cfg,
            reserved,
            keep,
            vcpu_counters,
            filter,
            host_long,
            OverflowDelivery::Virtual,
        )
    }

    /// As [`Hyp::new`], guests' overflows delivered as `overflow` says.
    pub fn new_with(
        cfg: Config,
        reserved: u8,
        keep: &[bool],
        vcpu_counters: &[u8],
        filter: EventFilter,
        host_long: bool,
        overflow: OverflowDelivery,
    ) -> Hyp {
        let mut first = CpuPmu::new(cfg);
        let facts = HardwareFacts::read(&mut first);
        let plan = Plan::new(facts, reserved)
            .expect("a valid plan")
            .with_overflow(overflow);
        let cpus = keep
            .iter()
            .enumerate()
            .map(|(i, &k)| {
                let mut pmu = CpuPmu::new(cfg);
                let core = PcpuPmu::new(i as u16, &plan, k);
                write_traps(&mut pmu, &core.host_traps(host_long));
                pmu.clear_stats();
                pmu.set_logging(true);
                Cpu {
                    pmu,
                    core,
                    loaded: None,
                    in_guest: false,
                    ppi_active: false,
                }
            })
            .collect::<Vec<_>>();
        let vcpus = vcpu_counters
            .iter()
            .enumerate()
            .map(|(i, &k)| VcpuPmu::new(i as u32, &plan, k).expect("fits the plan"))
            .collect();
        let n = cpus.len();
        let nv = vcpu_counters.len();
        Hyp {
            plan,
            filter,
            host_long,
            cpus,
            vcpus,
            lines: IrqLines::default(),
            lrs: vec![None; nv],
            soft_active: vec![false; nv],
            undefined: 0,
            guest_unpredictable: 0,
            host: vec![[HostCounter::default(); 31]; n],
            host_overflow_bits: vec![0; n],
        }
    }

    /// One CPU (QEMU's `-cpu max` with `counters` counters), one vCPU with `vcpu_counters`,
    /// everything allowed, host counters 64-bit, the CPU's PMU clean.
    pub fn simple(counters: u8, reserved: u8, vcpu_counters: u8, keep: bool) -> Hyp {
        Hyp::simple_with(
            counters,
            reserved,
            vcpu_counters,
            keep,
            OverflowDelivery::Virtual,
        )
    }

    /// As [`Hyp::simple`], guests' overflows delivered as `overflow` says.
    pub fn simple_with(
        counters: u8,
        reserved: u8,
        vcpu_counters: u8,
        keep: bool,
        overflow: OverflowDelivery,
    ) -> Hyp {
        let mut h = Hyp::new_with(
            cfg(counters),
            reserved,
            &[keep],
            &[vcpu_counters],
            EventFilter::allow_all(),
            true,
            overflow,
        );
        h.cpus[0].core.assume_clean();
        h
    }

    pub fn pmu(&mut self, c: usize) -> &mut CpuPmu {
        &mut self.cpus[c].pmu
    }

    /// (reads, writes) EL2 made on CPU `c` so far.
    pub fn accesses(&self, c: usize) -> (u64, u64) {
        (self.cpus[c].pmu.reads, self.cpus[c].pmu.writes)
    }

    /// Runs `f` and returns the EL2 accesses it made on CPU `c`.
    pub fn measure(&mut self, c: usize, f: impl FnOnce(&mut Hyp)) -> (u64, u64) {
        let (r, w) = self.accesses(c);
        f(self);
        let (r2, w2) = self.accesses(c);
        (r2 - r, w2 - w)
    }

    /// Loads vCPU `v` on CPU `c` (nothing loaded there, `v` loaded nowhere).
    pub fn load(&mut self, c: usize, v: usize) {
        assert!(self.cpus[c].loaded.is_none(), "CPU {c} has a vCPU loaded");
        assert!(
            self.cpus.iter().all(|cpu| cpu.loaded != Some(v)),
            "vCPU {v} is loaded elsewhere"
        );
        let cpu = &mut self.cpus[c];
        self.vcpus[v].load(&mut cpu.core, &self.filter, &mut cpu.pmu);
        assert!(self.vcpus[v].is_loaded_on(&cpu.core));
        cpu.loaded = Some(v);
    }

    /// Puts the vCPU loaded on CPU `c` (leaving the guest first).
    pub fn put(&mut self, c: usize) -> usize {
        if self.cpus[c].in_guest {
            self.exit(c);
        }
        let v = self.cpus[c].loaded.take().expect("a vCPU loaded");
        let cpu = &mut self.cpus[c];
        self.vcpus[v].put(&mut cpu.core, &mut cpu.pmu);
        assert!(!self.vcpus[v].is_loaded_on(&cpu.core));
        // The forwarded interrupt, after the put has taken the guest's flags: a pending list
        // register is dropped (the flags are saved, the next load raises them again), an
        // active one becomes a software one; the physical interrupt is deactivated.
        assert_eq!(
            self.cpus[c].ppi_active,
            self.lrs[v].is_some(),
            "the PMU interrupt is active exactly while forwarded to the loaded vCPU"
        );
        let deactivate = match self.lrs[v].take() {
            Some(Lr::Pending) => true,
            Some(Lr::Active) => {
                self.soft_active[v] = true;
                true
            }
            None => false,
        };
        self.vcpus[v].update_irq(&mut self.cpus[c].pmu, &mut self.lines);
        if deactivate {
            self.cpus[c].ppi_active = false;
            // The host's overflows that waited for it.
            self.service_irq(c);
        }
        v
    }

    /// Enters the guest of the vCPU loaded on CPU `c`.
    pub fn enter(&mut self, c: usize) {
        let v = self.cpus[c].loaded.expect("a vCPU loaded");
        assert!(!self.cpus[c].in_guest);
        let traps = self.vcpus[v].traps(self.host_long);
        write_traps(&mut self.cpus[c].pmu, &traps);
        // Before the entry: the line resynchronised (forwarded overflow lowers it while the
        // vCPU is loaded), and a PMU interrupt the load raised taken (and forwarded).
        self.vcpus[v].update_irq(&mut self.cpus[c].pmu, &mut self.lines);
        self.service_irq(c);
        self.cpus[c].in_guest = true;
    }

    /// The guest on CPU `c` acknowledges its forwarded PMU interrupt (its list register goes
    /// from pending to active). False if it has none pending.
    pub fn guest_ack(&mut self, c: usize) -> bool {
        assert!(self.cpus[c].in_guest);
        let v = self.cpus[c].loaded.expect("a vCPU loaded");
        if self.lrs[v] != Some(Lr::Pending) || self.soft_active[v] {
            return false;
        }
        self.lrs[v] = Some(Lr::Active);
        true
    }

    /// The guest on CPU `c` ends its PMU interrupt handler (EOI): a software list register's
    /// interrupt just ends; a hardware-mapped one's EOI deactivates the physical interrupt,
    /// which the GIC signals again if the PMU still requests it. False if nothing was active.
    pub fn guest_eoi(&mut self, c: usize) -> bool {
        assert!(self.cpus[c].in_guest);
        let v = self.cpus[c].loaded.expect("a vCPU loaded");
        if self.soft_active[v] {
            self.soft_active[v] = false;
            return true;
        }
        if self.lrs[v] != Some(Lr::Active) {
            return false;
        }
        self.lrs[v] = None;
        assert!(self.cpus[c].ppi_active);
        self.cpus[c].ppi_active = false;
        self.service_irq(c);
        true
    }

    /// Leaves the guest: the host's traps, and the virtual interrupt resynchronised.
    pub fn exit(&mut self, c: usize) {
        assert!(self.cpus[c].in_guest);
        let traps = self.cpus[c].core.host_traps(self.host_long);
        write_traps(&mut self.cpus[c].pmu, &traps);
        self.cpus[c].in_guest = false;
        let v = self.cpus[c].loaded.expect("a vCPU loaded");
        self.vcpus[v].update_irq(&mut self.cpus[c].pmu, &mut self.lines);
    }

    /// Loads vCPU `v` on CPU `c` and enters its guest.
    pub fn run(&mut self, c: usize, v: usize) {
        self.load(c, v);
        self.enter(c);
    }

    /// A guest instruction on CPU `c` (whose guest is running): `MRS` (`write` None) or `MSR`.
    pub fn guest(&mut self, c: usize, el: El, e: Encoding, write: Option<u64>) -> GuestAccess {
        self.guest_ex(c, el, e, write, 1).result
    }

    pub fn read(&mut self, c: usize, e: Encoding) -> GuestAccess {
        self.guest(c, El::El1, e, None)
    }

    pub fn write(&mut self, c: usize, e: Encoding, v: u64) -> GuestAccess {
        self.guest(c, El::El1, e, Some(v))
    }

    /// A read that must complete: its value.
    pub fn value(&mut self, c: usize, e: Encoding) -> u64 {
        match self.read(c, e) {
            GuestAccess::Read(v) => v,
            other => panic!("guest read of {e:?} gave {other:?}"),
        }
    }

    /// As [`Hyp::guest`], with the trap details, the guest's value in register `rt`.
    pub fn guest_ex(
        &mut self,
        c: usize,
        el: El,
        e: Encoding,
        write: Option<u64>,
        rt: u8,
    ) -> Outcome {
        assert!(self.cpus[c].in_guest, "no guest runs on CPU {c}");
        let v = self.cpus[c].loaded.expect("a vCPU loaded");
        // XZR reads as zero.
        let write = write.map(|x| if rt == 31 { 0 } else { x });
        let before = self.cpus[c].pmu.constrained_unpredictable;
        let first = self.cpus[c].pmu.guest_access(el, e, write);
        let after = self.cpus[c].pmu.constrained_unpredictable;
        self.guest_unpredictable += after - before;
        let mut out = Outcome {
            result: first,
            trapped: None,
            claimed: false,
        };
        if let GuestAccess::Trap { iss } = first {
            out.trapped = self.cpus[c].pmu.last_trap_cause();
            let trap = SysRegTrap::from_esr(esr(iss, rt))
                .expect("EC 0x18")
                .at_el0(el == El::El0);
            assert_eq!(trap.encoding, e, "the ISS names the register");
            assert_eq!(trap.rt, rt);
            assert_eq!(trap.is_read, write.is_none());
            let cpu = &mut self.cpus[c];
            let handled = self.vcpus[v].handle_trap(
                &mut cpu.core,
                &self.filter,
                &mut cpu.pmu,
                &mut self.lines,
                trap,
                write.unwrap_or(0),
            );
            out.claimed = handled.traps_changed;
            if handled.traps_changed {
                let traps = self.vcpus[v].traps(self.host_long);
                write_traps(&mut self.cpus[c].pmu, &traps);
            }
            out.result = match handled.emulation {
                Emulation::Read(x) => {
                    assert!(write.is_none(), "a write emulated as a read");
                    GuestAccess::Read(if rt == 31 { 0 } else { x })
                }
                Emulation::Written => {
                    assert!(write.is_some(), "a read emulated as a write");
                    GuestAccess::Written
                }
                Emulation::Undefined => GuestAccess::Undefined,
                Emulation::NotPmu => panic!("a PMU register ({e:?}) taken for another"),
            };
        }
        if out.result == GuestAccess::Undefined {
            self.undefined += 1;
        }
        // A write may have raised the interrupt request (PMINTENSET, PMCR.E, PMOVSSET ...).
        self.service_irq(c);
        out
    }

    /// `n` events `event` at `level` on CPU `c`: guest levels while a guest runs there, EL2
    /// otherwise (or the host's own EL0/EL1 software, with no vCPU loaded). Then the
    /// interrupt, if requested.
    pub fn count(&mut self, c: usize, level: Level, event: u16, n: u64) {
        let cpu = &self.cpus[c];
        if cpu.in_guest {
            assert_ne!(level, Level::El2, "EL2 does not run while a guest does");
        } else {
            assert!(
                level == Level::El2 || cpu.loaded.is_none(),
                "the host's own EL0/EL1 software runs only with no vCPU loaded"
            );
        }
        self.expect_host_count(c, level, event, n);
        self.cpus[c].pmu.count(level, event, n);
        self.service_irq(c);
    }

    /// The PMU interrupt, if the model requests it: the core's handler, with the vCPU loaded
    /// here. The request must be gone afterwards (no interrupt storm). Returns the host's bits.
    pub fn service_irq(&mut self, c: usize) -> u64 {
        if !self.cpus[c].pmu.irq_line() || self.cpus[c].ppi_active {
            return 0;
        }
        let forwards_before = self.lines.forwarded;
        let cpu = &mut self.cpus[c];
        // The fast path's verdict, on a copy of the hardware (its reads are not the handler's).
        let alone = cpu
            .loaded
            .and_then(|v| cpu.core.forwarded_overflow(&self.vcpus[v]))
            .is_some_and(|f| f.guests_alone(&mut cpu.pmu.clone()));
        let writes_before = cpu.pmu.writes;
        let loaded = cpu.loaded.map(|v| &mut self.vcpus[v]);
        let host = cpu
            .core
            .handle_overflow(&mut cpu.pmu, loaded, &mut self.lines);
        let wrote = cpu.pmu.writes != writes_before;
        let mut forwarded_to = None;
        for (v, (after, before)) in self.lines.forwarded.iter().zip(forwards_before).enumerate() {
            if *after != before {
                assert_eq!(*after, before + 1, "vCPU {v}'s interrupt forwarded twice");
                assert!(forwarded_to.is_none(), "forwarded to two vCPUs");
                forwarded_to = Some(v);
            }
        }
        assert_eq!(
            alone,
            forwarded_to.is_some() && host == 0 && !wrote,
            "ForwardedOverflow::guests_alone disagrees with handle_overflow (forwarded to \
             {forwarded_to:?}, host bits {host:#x}, registers written: {wrote})"
        );
        if let Some(v) = forwarded_to {
            assert_eq!(cpu.loaded, Some(v), "forwarded to a vCPU not loaded here");
            assert!(self.vcpus[v].overflow_forwarded());
            assert_eq!(self.lrs[v], None, "the interrupt was active already");
            // Priority drop only: the interrupt stays active, in the guest's list register.
            cpu.ppi_active = true;
            self.lrs[v] = Some(Lr::Pending);
        } else {
            assert!(
                !cpu.pmu.irq_line(),
                "the PMU interrupt is still requested after the handler: {:?}",
                cpu.pmu
            );
        }
        assert_eq!(
            host & !(self.plan.host_mask | self.plan.host_instruction_counter()),
            0,
            "host bits outside the host's counters"
        );
        self.host_overflow_bits[c] |= host;
        for j in 0..31 {
            if host >> j & 1 == 1 {
                let hc = &mut self.host[c][j];
                assert!(
                    hc.pending > 0,
                    "host counter {j} reported without an overflow"
                );
                hc.delivered += hc.pending;
                hc.pending = 0;
                hc.flag = false;
            }
        }
        host
    }

    // ---- Host perf ----

    /// Host perf programs host counter `j` on CPU `c` at EL2: event type, value, enable and
    /// interrupt enable, through the `Backend` (so counted as accesses).
    pub fn host_program(&mut self, c: usize, j: usize, evtyper: u64, value: u64, inten: bool) {
        assert!(!self.cpus[c].in_guest, "host perf runs at EL2");
        assert!(
            self.plan.host_mask >> j & 1 == 1,
            "counter {j} is not the host's"
        );
        let pmu = &mut self.cpus[c].pmu;
        let bit = PmuCounters::from_bits(1u64 << j);
        // SAFETY: a model, not the CPU.
        unsafe {
            pmu.write::<PMCNTENCLR_EL0>(bit);
            PMEVTYPERn_EL0::write(pmu, j, PmevtyperxEl0::from_bits(evtyper));
            PMEVCNTRn_EL0::write(pmu, j, PmevcntrxEl0::from_bits(value));
            pmu.write::<PMOVSCLR_EL0>(bit);
            if inten {
                pmu.write::<PMINTENSET_EL1>(bit);
            } else {
                pmu.write::<PMINTENCLR_EL1>(bit);
            }
            pmu.write::<PMCNTENSET_EL0>(bit);
        }
        // Host perf's own accesses are not the core's: out of the log the audit reads.
        pmu.clear_log();
        let hc = &mut self.host[c][j];
        // The model keeps the bits it implements.
        hc.evtyper = pmu.evtyper(j);
        hc.value = pmu.counter(j);
        hc.enabled = true;
        hc.inten = inten;
        hc.flag = false;
        hc.pending = 0;
    }

    /// Host perf stops host counter `j`.
    pub fn host_stop(&mut self, c: usize, j: usize) {
        assert!(!self.cpus[c].in_guest);
        assert!(self.plan.host_mask >> j & 1 == 1);
        // SAFETY: a model, not the CPU.
        unsafe {
            self.cpus[c]
                .pmu
                .write::<PMCNTENCLR_EL0>(PmuCounters::from_bits(1 << j))
        };
        self.cpus[c].pmu.clear_log();
        self.host[c][j].enabled = false;
    }

    /// Every EL2 write logged on CPU `c` since the last audit (all the core's: host perf's are
    /// not logged) stays off the host's counters: no write to a host counter or its event
    /// type, no host bit in an enable or PMOVSSET_EL0, PMCR_EL0 never with P or C (at EL2
    /// they reset every counter), no PMSWINC_EL0/PMZR_EL0, nothing to the instruction
    /// counter. Clears the log.
    pub fn audit(&mut self, c: usize) {
        let plan = self.plan;
        let pmu = &mut self.cpus[c].pmu;
        for a in pmu.log() {
            if a.kind != AccessKind::Write {
                continue;
            }
            let e = a.encoding;
            let name = a.name().unwrap_or("?");
            if let Some(j) = PMEVCNTRn_EL0::index_of(e).or_else(|| PMEVTYPERn_EL0::index_of(e)) {
                assert_eq!(
                    plan.host_mask >> j & 1,
                    0,
                    "the core wrote {name}: a host counter"
                );
            }
            // (PMOVSCLR_EL0 is left out: the interrupt handler clears the host's flags it
            // returns to the host; check_host checks that it clears exactly those.)
            let bitmasks = [
                enc::<PMCNTENSET_EL0>(),
                enc::<PMCNTENCLR_EL0>(),
                enc::<PMINTENSET_EL1>(),
                enc::<PMINTENCLR_EL1>(),
                enc::<PMOVSSET_EL0>(),
            ];
            if bitmasks.contains(&e) {
                assert_eq!(
                    a.value & !plan.guests_mask(),
                    0,
                    "the core wrote {name} = {:#x}: bits beyond the guests' counters",
                    a.value
                );
            }
            if e == enc::<PMCR_EL0>() {
                assert_eq!(a.value & (P | CR), 0, "the core wrote PMCR_EL0 with P or C");
            }
            let never = [
                enc::<PMSWINC_EL0>(),
                enc::<PMZR_EL0>(),
                enc::<PMICNTR_EL0>(),
                enc::<PMICFILTR_EL0>(),
                enc::<PMUACR_EL1>(),
            ];
            assert!(!never.contains(&e), "the core wrote {name}");
        }
        pmu.clear_log();
    }

    /// What host counter `j` must do when `n` events `event` happen at `level`: worked out
    /// from what host perf programmed, not from the model's state.
    fn expect_host_count(&mut self, c: usize, level: Level, event: u16, n: u64) {
        let cfg = self.cpus[c].pmu.config();
        let v3p5 = cfg.pmu_ver.at_least(PmuVer::V3P5);
        let event_mask: u64 = if cfg.pmu_ver.at_least(PmuVer::V3P1) {
            0xffff
        } else {
            0x3ff
        };
        let long = v3p5 && self.host_long;
        for j in 0..31usize {
            if self.plan.host_mask >> j & 1 == 0 {
                continue;
            }
            let hc = &mut self.host[c][j];
            if !hc.enabled || hc.evtyper & event_mask != u64::from(event) {
                continue;
            }
            let t = hc.evtyper;
            let bit = |m: u64| t & m != 0;
            let counts = match level {
                Level::El0 => bit(F_U) == bit(F_NSU),
                Level::El1 => bit(F_P) == bit(F_NSK),
                Level::El2 => bit(F_NSH),
            };
            if !counts || n == 0 {
                continue;
            }
            let overflowed = if long {
                hc.value.checked_add(n).is_none()
            } else {
                (hc.value & 0xffff_ffff) + n > 0xffff_ffff
            };
            hc.value = if v3p5 {
                hc.value.wrapping_add(n)
            } else {
                hc.value.wrapping_add(n) & 0xffff_ffff
            };
            if overflowed {
                if hc.inten {
                    hc.pending += 1;
                }
                hc.flag = true;
            }
        }
    }

    /// Host perf's counters on CPU `c` hold what they must: value, event type, enables,
    /// overflow flags not taken by an interrupt.
    pub fn check_host(&self, c: usize) {
        let pmu = &self.cpus[c].pmu;
        for j in 0..31usize {
            if self.plan.host_mask >> j & 1 == 0 {
                continue;
            }
            let hc = &self.host[c][j];
            let bit = 1u64 << j;
            assert_eq!(
                pmu.pmcnten() & bit != 0,
                hc.enabled,
                "host counter {j}'s enable on CPU {c}"
            );
            assert_eq!(pmu.counter(j), hc.value, "host counter {j} on CPU {c}");
            assert_eq!(pmu.evtyper(j), hc.evtyper, "host event type {j} on CPU {c}");
            assert_eq!(
                pmu.pminten() & bit != 0,
                hc.inten,
                "host interrupt enable {j} on CPU {c}"
            );
            assert_eq!(
                pmu.pmovs() & bit != 0,
                hc.flag,
                "host overflow flag {j} on CPU {c}"
            );
            // While the PMU interrupt is forwarded to a guest (active), the host's overflows
            // wait for the guest's EOI or the put.
            assert!(
                hc.pending == 0 || self.cpus[c].ppi_active,
                "host overflow {j} on CPU {c} not delivered"
            );
        }
        assert!(
            pmu.mdcr() & (1 << 7) != 0,
            "MDCR_EL2.HPME: the host's counters always count"
        );
    }

    /// Neither the core nor anything else made an EL2 access the architecture leaves UNDEFINED
    /// or CONSTRAINED UNPREDICTABLE (guest accesses that are the guest's own doing excepted).
    pub fn check_architectural(&self) {
        for (c, cpu) in self.cpus.iter().enumerate() {
            assert_eq!(cpu.pmu.el2_undefined, 0, "UNDEFINED EL2 access on CPU {c}");
        }
        let total: u64 = self
            .cpus
            .iter()
            .map(|cpu| cpu.pmu.constrained_unpredictable)
            .sum();
        assert_eq!(
            total, self.guest_unpredictable,
            "CONSTRAINED UNPREDICTABLE behaviour not caused by a guest access"
        );
    }
}

/// Every test ends with no UNDEFINED or unexcused CONSTRAINED UNPREDICTABLE access.
impl Drop for Hyp {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.check_architectural();
        }
    }
}

/// PMEVTYPER<j>_EL0's encoding.
pub fn evtyper_enc(j: usize) -> Encoding {
    evtyper(j)
}

/// A small seeded PRNG (SplitMix64): no dependency, reproducible from the seed.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// 0..n (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// `percent` in 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    pub fn bool(&mut self) -> bool {
        self.next_u64() & 1 == 1
    }
}
