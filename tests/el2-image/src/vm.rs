//! The hypervisor of the image: vCPUs, their world switch and their exits, with pmu-part doing
//! every PMU decision (partition, traps, load/put, trapped-access emulation, overflow split).

use crate::arch::{self, GuestRegs, EL1H_MASKED, EXIT_IRQ, EXIT_SYNC};
use crate::gic::{self, VgicState, PMU_INTID};
use aarch64_sysregs::ich_lrx_el2::{IchLrxEl2, State};
use aarch64_sysregs::{
    Backend, ElrEl1, Encoding, Hardware, Hdfgrtr2El2, HdfgrtrEl2, Hdfgwtr2El2, HdfgwtrEl2, MdcrEl2,
    Readable, Writable, ELR_EL1, ELR_EL2, ESR_EL1, ESR_EL2, FAR_EL2, HDFGRTR2_EL2, HDFGRTR_EL2,
    HDFGWTR2_EL2, HDFGWTR_EL2, MDCR_EL2, SPSR_EL1, VBAR_EL1,
};
use core::arch::asm;
use core::ptr::null_mut;
use pmu_part::{
    Emulation, EventFilter, FineGrainedTraps, ForwardedOverflow, PcpuPmu, Plan, SysRegTrap, Traps,
    VcpuPmu, VirtualIrq,
};

/// Hypercalls (x0 of `hvc #0`).
pub const HVC_DONE: u64 = 0;
pub const HVC_YIELD: u64 = 1;

/// A backend that counts the register accesses made through it: the image checks how many
/// PMU registers pmu-part touches at a switch.
pub struct Counting<B> {
    pub inner: B,
    pub reads: u32,
    pub writes: u32,
}

impl<B> Counting<B> {
    pub const fn new(inner: B) -> Counting<B> {
        Counting {
            inner,
            reads: 0,
            writes: 0,
        }
    }

    pub fn total(&self) -> u32 {
        self.reads + self.writes
    }
}

impl<B: Backend> Backend for Counting<B> {
    #[inline(always)]
    fn read<R: Readable>(&mut self) -> R::Value {
        self.reads += 1;
        self.inner.read::<R>()
    }

    #[inline(always)]
    unsafe fn write<R: Writable>(&mut self, value: R::Value) {
        self.writes += 1;
        self.inner.write::<R>(value)
    }
}

/// The EL1 system registers a vCPU owns that the image switches (the guests run with the MMU
/// off, so the translation registers are not among them).
#[derive(Clone, Copy)]
struct El1State {
    elr: u64,
    spsr: u64,
    vbar: u64,
    esr: u64,
    tpidr: u64,
}

impl El1State {
    fn save(&mut self) {
        let mut hw = Hardware;
        self.elr = hw.read::<ELR_EL1>().to_bits();
        self.spsr = hw.read::<SPSR_EL1>().to_bits();
        self.vbar = hw.read::<VBAR_EL1>().to_bits();
        self.esr = hw.read::<ESR_EL1>().to_bits();
        // SAFETY: reads an EL1 register.
        unsafe { asm!("mrs {}, tpidr_el1", out(reg) self.tpidr, options(nomem, nostack)) };
    }

    fn load(&self) {
        let mut hw = Hardware;
        // SAFETY: the vCPU's own EL1 state; EL2 does not depend on it.
        unsafe {
            hw.write::<ELR_EL1>(ElrEl1::from_bits(self.elr));
            hw.write::<SPSR_EL1>(aarch64_sysregs::spsr_elx::SpsrElx::from_bits(self.spsr));
            hw.write::<VBAR_EL1>(aarch64_sysregs::vbar_elx::VbarElx::from_bits(self.vbar));
            hw.write::<ESR_EL1>(aarch64_sysregs::esr_elx::EsrElx::from_bits(self.esr));
            asm!("msr tpidr_el1, {}", in(reg) self.tpidr, options(nomem, nostack));
        }
    }
}

/// Per-vCPU tallies of its exits.
#[derive(Clone, Copy)]
pub struct VcpuStats {
    /// Trapped MSR/MRS accesses (ESR_EL2.EC 0x18).
    pub traps: u32,
    /// The first 24 trapped registers (by encoding key) and how often each trapped.
    pub trapped: [(u16, u32); 24],
    /// Exits for a physical interrupt.
    pub irq_exits: u32,
    /// A mark: when the `u64` at `.0` first reaches `.1` at an exit, the traps so far and the
    /// value of host counter `.2` are recorded in `marked` (the benchmark's steady state).
    pub mark: Option<(*const u64, u64, usize)>,
    /// (traps, host counter) at the mark.
    pub marked: Option<(u32, u64)>,
}

impl VcpuStats {
    const fn new() -> VcpuStats {
        VcpuStats {
            traps: 0,
            trapped: [(0, 0); 24],
            irq_exits: 0,
            mark: None,
            marked: None,
        }
    }

    fn note_trap(&mut self, e: Encoding) {
        self.traps += 1;
        let key = e.key();
        for slot in self.trapped.iter_mut() {
            if slot.1 == 0 || slot.0 == key {
                slot.0 = key;
                slot.1 += 1;
                return;
            }
        }
    }

    /// How often the register with `e` trapped.
    pub fn trapped(&self, e: Encoding) -> u32 {
        self.trapped
            .iter()
            .find(|s| s.1 != 0 && s.0 == e.key())
            .map_or(0, |s| s.1)
    }
}

/// A vCPU: its registers, its EL1 and interrupt-controller state, and its PMU.
pub struct Vcpu {
    pub regs: GuestRegs,
    el1: El1State,
    vgic: VgicState,
    pub pmu: VcpuPmu,
    pub stats: VcpuStats,
}

impl Vcpu {
    /// vCPU `id` with `counters` event counters, about to run `entry(arg0, arg1)` at EL1 on
    /// `stack`.
    pub fn new(
        id: u32,
        plan: &Plan,
        counters: u8,
        entry: extern "C" fn(u64, u64) -> !,
        arg0: u64,
        arg1: u64,
        stack: &'static mut [u128],
    ) -> Vcpu {
        let mut regs = GuestRegs {
            x: [0; 31],
            pc: entry as usize as u64,
            pstate: EL1H_MASKED,
            fpsr: 0,
            fpcr: 0,
            sp_el1: stack.as_mut_ptr_range().end as u64,
            q: [0; 32],
        };
        regs.x[0] = arg0;
        regs.x[1] = arg1;
        let pmu = match VcpuPmu::new(id, plan, counters) {
            Ok(p) => p,
            Err(e) => crate::fatal(format_args!("vCPU {id}: {e}")),
        };
        Vcpu {
            regs,
            el1: El1State {
                elr: 0,
                spsr: 0,
                // SAFETY: only the address of the vector table is taken.
                vbar: unsafe { &arch::el1_vectors as *const u8 as u64 },
                esr: 0,
                tpidr: 0,
            },
            vgic: VgicState::new(),
            pmu,
            stats: VcpuStats::new(),
        }
    }
}

/// Why a guest stopped running.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Exit {
    /// `hvc` HVC_YIELD with this argument: the guest wants to be switched out.
    Yield(u64),
    /// `hvc` HVC_DONE with this result: the guest finished.
    Done(u64),
}

/// What the PMU interrupt did, across the run of a scenario.
#[derive(Clone, Copy, Default)]
pub struct IrqStats {
    /// PMU interrupts taken at EL2.
    pub pmu_irqs: u32,
    /// Delivered to the running guest as a hardware-mapped virtual interrupt.
    pub forwarded: u32,
    /// Raised as a software virtual interrupt (rising edges of the virtual line).
    pub raised: u32,
    /// Overflow bits of the host's counters handed to the host.
    pub host_overflows: u64,
    /// Host overflow interrupts taken.
    pub host_irqs: u32,
    /// Interrupts other than the PMU's, and spurious acknowledges.
    pub other: u32,
    /// Virtual-line changes for a vCPU that was not running (must not happen).
    pub misdirected: u32,
}

/// The virtual interrupt controller as pmu-part sees it: list register 0 of the running vCPU.
struct Vgic {
    running: u32,
    forwarded_now: bool,
    stats: IrqStats,
}

impl VirtualIrq for Vgic {
    fn set_level(&mut self, vcpu: u32, level: bool) {
        if vcpu != self.running {
            self.stats.misdirected += 1;
            return;
        }
        let lr = gic::read_lr0();
        let state = lr.state();
        if level {
            self.stats.raised += 1;
            let next = if state == State::ACTIVE || state == State::PENDING_ACTIVE {
                State::PENDING_ACTIVE
            } else {
                State::PENDING
            };
            gic::write_lr0(gic::pmu_lr(next, false));
        } else if state == State::PENDING {
            gic::write_lr0(gic::pmu_lr(State::INVALID, false));
        } else if state == State::PENDING_ACTIVE {
            gic::write_lr0(gic::pmu_lr(State::ACTIVE, false));
        }
    }

    fn forward(&mut self, vcpu: u32) {
        if vcpu != self.running {
            self.stats.misdirected += 1;
            return;
        }
        self.stats.forwarded += 1;
        self.forwarded_now = true;
        gic::write_lr0(FORWARD_LR);
    }
}

/// What the interrupt fast path needs while a vCPU runs: [`Host::run`] fills it before each
/// entry (only when pmu-part forwards the vCPU's overflows: otherwise every interrupt takes
/// the full exit) and reads it back after the exit.
///
/// A forwarded PMU interrupt needs no state change in EL2: acknowledge, check that the
/// overflow is the guest's alone ([`ForwardedOverflow::guests_alone`]), write the list
/// register, drop the priority, return. entry.S's IRQ vector does that without a world switch:
/// it saves the guest's caller-saved registers only and calls [`el2_irq_fast`]; anything else
/// (another interrupt, a host overflow, a stray flag) goes on to the full exit with the
/// interrupt already acknowledged ([`FastIrq::acked`]).
#[repr(C)]
pub struct FastIrq {
    /// pmu-part's owner test for the running vCPU's overflows.
    owner: ForwardedOverflow,
    /// The INTID the fast path acknowledged and left to the full exit (`NOT_ACKED` if none).
    acked: u32,
    /// PMU interrupts forwarded by the fast path.
    forwarded: u32,
    /// The benchmark's mark ([`VcpuStats::mark`]), checked here as at a full exit.
    mark: Option<(*const u64, u64, usize)>,
    /// The host counter's value at the mark.
    marked: Option<u64>,
}

/// The list register that forwards the PMU interrupt: HW = 1, pending.
const FORWARD_LR: IchLrxEl2 = gic::pmu_lr(State::PENDING, true);

/// [`FastIrq::acked`] when the fast path acknowledged nothing.
const NOT_ACKED: u32 = u32::MAX;

/// The interrupt fast path, called by entry.S with the running guest's x0..x18 and x30 saved
/// on the EL2 stack, and everything else of the guest, its FP/SIMD registers included, still
/// live in the registers. Returns 0 when the interrupt is handled (the guest resumes), 1 for
/// the full exit. It must not touch FP/SIMD registers and calls nothing: `cargo xtask qemu`
/// disassembles it and fails otherwise.
#[no_mangle]
extern "C" fn el2_irq_fast(f: &mut FastIrq) -> u64 {
    let intid = Hardware.read::<aarch64_sysregs::ICC_IAR1_EL1>().intid();
    if intid != PMU_INTID || !f.owner.guests_alone(&mut Hardware) {
        f.acked = intid;
        return 1;
    }
    gic::write_lr0(FORWARD_LR);
    // Priority drop only: the guest's EOI deactivates the physical interrupt (HW = 1).
    gic::priority_drop(PMU_INTID);
    f.forwarded += 1;
    if let Some((at, value, counter)) = f.mark {
        // SAFETY: the scenario points the mark at its guest's mailbox.
        if unsafe { core::ptr::read_volatile(at) } >= value {
            f.marked = Some(crate::pmu::read_counter(counter));
            f.mark = None;
        }
    }
    0
}

/// The host: one physical CPU, its PMU partition and what it counts.
pub struct Host {
    pub cpu: PcpuPmu,
    pub filter: EventFilter,
    /// pmu-part's register accesses, counted.
    pub hw: Counting<Hardware>,
    vgic: Vgic,
    /// The MDCR_EL2 bits the host keeps outside the PMU's (none here).
    base_mdcr: MdcrEl2,
    /// The fine-grained traps the CPU has (a plan may pretend it has fewer).
    cpu_fgt: FineGrainedTraps,
    /// The loaded vCPU's overflow owner test, if its overflows are forwarded: the interrupt
    /// fast path is on (recomputed at load and whenever its traps change).
    fast_owner: Option<ForwardedOverflow>,
}

impl Host {
    /// A host partitioning the PMU by `plan`, with state kept resident across switches if
    /// `keep_resident` (nothing but EL2 runs between vCPUs here).
    pub fn new(
        plan: Plan,
        cpu_fgt: FineGrainedTraps,
        keep_resident: bool,
        filter: EventFilter,
    ) -> Host {
        let mut cpu = PcpuPmu::new(0, &plan, keep_resident);
        crate::pmu::reset_hardware(&plan);
        cpu.assume_clean();
        let host = Host {
            cpu,
            filter,
            hw: Counting::new(Hardware),
            vgic: Vgic {
                running: u32::MAX,
                forwarded_now: false,
                stats: IrqStats {
                    pmu_irqs: 0,
                    forwarded: 0,
                    raised: 0,
                    host_overflows: 0,
                    host_irqs: 0,
                    other: 0,
                    misdirected: 0,
                },
            },
            base_mdcr: MdcrEl2::from_bits(0),
            cpu_fgt,
            fast_owner: None,
        };
        host.write_traps(&host.cpu.host_traps(false));
        host
    }

    pub fn irq_stats(&self) -> IrqStats {
        self.vgic.stats
    }

    fn write_traps(&self, t: &Traps) {
        let mut hw = Hardware;
        // SAFETY: trap configuration for the next world; the host's own MDCR bits are kept.
        unsafe {
            hw.write::<MDCR_EL2>(t.merge_mdcr(self.base_mdcr));
            // Written whenever the CPU has them, even for a plan made as if it had not: a
            // previous plan's values must not linger.
            if self.cpu_fgt != FineGrainedTraps::None {
                hw.write::<HDFGRTR_EL2>(t.merge_hdfgrtr(HdfgrtrEl2::from_bits(0)));
                hw.write::<HDFGWTR_EL2>(t.merge_hdfgwtr(HdfgwtrEl2::from_bits(0)));
            }
            if self.cpu_fgt == FineGrainedTraps::Fgt2 {
                // Negative polarity: start from "nothing trapped" for the bits not decided
                // by pmu-part.
                hw.write::<HDFGRTR2_EL2>(t.merge_hdfgrtr2(Hdfgrtr2El2::from_bits(!0)));
                hw.write::<HDFGWTR2_EL2>(t.merge_hdfgwtr2(Hdfgwtr2El2::from_bits(!0)));
            }
        }
        arch::isb();
    }

    /// Switches `vcpu` in: its EL1 and interrupt state, its PMU (pmu-part's `load`), its traps.
    pub fn load(&mut self, vcpu: &mut Vcpu) {
        vcpu.el1.load();
        vcpu.vgic.load();
        self.vgic.running = vcpu.pmu.id();
        vcpu.pmu.load(&mut self.cpu, &self.filter, &mut self.hw);
        self.write_traps(&vcpu.pmu.traps(false));
        self.fast_owner = self.cpu.forwarded_overflow(&vcpu.pmu);
    }

    /// Switches `vcpu` out: its PMU first (its overflow flags are saved and cleared, so a
    /// forwarded interrupt's line drops), then its interrupt and EL1 state; the host's traps.
    pub fn put(&mut self, vcpu: &mut Vcpu) {
        self.fast_owner = None;
        vcpu.pmu.put(&mut self.cpu, &mut self.hw);
        vcpu.vgic.save();
        vcpu.el1.save();
        self.vgic.running = u32::MAX;
        self.write_traps(&self.cpu.host_traps(false));
    }

    /// Runs the loaded `vcpu` until it yields or finishes, handling its traps and interrupts.
    pub fn run(&mut self, vcpu: &mut Vcpu) -> Exit {
        loop {
            self.sync_virtual_line(vcpu);
            let (kind, acked) = match self.fast_owner {
                // SAFETY: `vcpu.regs` is a complete guest state, and its EL1 state is loaded.
                None => (unsafe { arch::run_guest(&mut vcpu.regs, null_mut()) }, None),
                Some(owner) => self.run_with_fast_path(vcpu, owner),
            };
            if let (Some((at, value, counter)), None) = (vcpu.stats.mark, vcpu.stats.marked) {
                // SAFETY: the scenario points the mark at its guest's mailbox.
                if unsafe { core::ptr::read_volatile(at) } >= value {
                    vcpu.stats.marked = Some((vcpu.stats.traps, crate::pmu::read_counter(counter)));
                }
            }
            match kind {
                EXIT_SYNC => {
                    if let Some(exit) = self.handle_sync(vcpu) {
                        return exit;
                    }
                }
                EXIT_IRQ => self.handle_irq(vcpu, acked),
                other => crate::fatal(format_args!(
                    "vCPU {}: unexpected exit kind {other} at pc {:#x}",
                    vcpu.pmu.id(),
                    vcpu.regs.pc
                )),
            }
        }
    }

    /// Runs the guest with the interrupt fast path on (see [`FastIrq`]) until a full exit;
    /// returns its kind and the INTID the fast path acknowledged for it, if any.
    #[inline(never)]
    fn run_with_fast_path(
        &mut self,
        vcpu: &mut Vcpu,
        owner: ForwardedOverflow,
    ) -> (u64, Option<u32>) {
        let mut fast = FastIrq {
            owner,
            acked: NOT_ACKED,
            forwarded: 0,
            mark: vcpu.stats.mark.filter(|_| vcpu.stats.marked.is_none()),
            marked: None,
        };
        // SAFETY: `vcpu.regs` is a complete guest state, and its EL1 state is loaded; `fast`
        // outlives the call.
        let kind = unsafe { arch::run_guest(&mut vcpu.regs, (&mut fast as *mut FastIrq).cast()) };
        vcpu.stats.irq_exits += fast.forwarded;
        self.vgic.stats.pmu_irqs += fast.forwarded;
        self.vgic.stats.forwarded += fast.forwarded;
        if let Some(at_mark) = fast.marked {
            vcpu.stats.marked = Some((vcpu.stats.traps, at_mark));
        }
        (kind, (fast.acked != NOT_ACKED).then_some(fast.acked))
    }

    /// A level-sensitive software interrupt the guest has deactivated while its line is
    /// still high is pending again.
    fn sync_virtual_line(&mut self, vcpu: &Vcpu) {
        if vcpu.pmu.irq_level() && gic::read_lr0().state() == State::INVALID {
            gic::write_lr0(gic::pmu_lr(State::PENDING, false));
        }
    }

    fn handle_sync(&mut self, vcpu: &mut Vcpu) -> Option<Exit> {
        let esr = Hardware.read::<ESR_EL2>().to_bits();
        let ec = (esr >> 26) & 0x3f;
        match ec {
            0x16 => match vcpu.regs.x[0] {
                HVC_DONE => Some(Exit::Done(vcpu.regs.x[1])),
                HVC_YIELD => Some(Exit::Yield(vcpu.regs.x[1])),
                call => crate::fatal(format_args!(
                    "vCPU {}: unknown hypercall {call}",
                    vcpu.pmu.id()
                )),
            },
            SysRegTrap::EC => {
                let Some(trap) = SysRegTrap::from_esr(esr) else {
                    crate::fatal(format_args!("undecodable ESR {esr:#x}"));
                };
                let trap = trap.at_el0((vcpu.regs.pstate >> 2) & 3 == 0);
                vcpu.stats.note_trap(trap.encoding);
                let rt = usize::from(trap.rt);
                let value = if rt == 31 { 0 } else { vcpu.regs.x[rt] };
                let handled = vcpu.pmu.handle_trap(
                    &mut self.cpu,
                    &self.filter,
                    &mut self.hw,
                    &mut self.vgic,
                    trap,
                    value,
                );
                match handled.emulation {
                    Emulation::Read(v) => {
                        if rt != 31 {
                            vcpu.regs.x[rt] = v;
                        }
                        vcpu.regs.pc += 4;
                    }
                    Emulation::Written => vcpu.regs.pc += 4,
                    Emulation::Undefined => self.inject_undefined(vcpu),
                    // Only PMU registers are trapped: anything else is a bug of the trap set-up.
                    Emulation::NotPmu => crate::fatal(format_args!(
                        "vCPU {}: trapped access to {} ({:?}) is not a PMU register",
                        vcpu.pmu.id(),
                        aarch64_sysregs::name_of(trap.encoding).unwrap_or("an unknown register"),
                        trap.encoding
                    )),
                }
                if handled.traps_changed {
                    self.write_traps(&vcpu.pmu.traps(false));
                    self.fast_owner = self.cpu.forwarded_overflow(&vcpu.pmu);
                }
                None
            }
            _ => crate::fatal(format_args!(
                "vCPU {}: unexpected exception ESR {esr:#x} ELR {:#x} FAR {:#x}",
                vcpu.pmu.id(),
                Hardware.read::<ELR_EL2>().to_bits(),
                Hardware.read::<FAR_EL2>().to_bits()
            )),
        }
    }

    /// Makes the trapped instruction UNDEFINED in the guest: an exception with an unknown
    /// reason, taken to its EL1 vector for the current EL with SP_EL1.
    fn inject_undefined(&mut self, vcpu: &mut Vcpu) {
        let mut hw = Hardware;
        // SAFETY: the running guest's own EL1 exception state.
        unsafe {
            hw.write::<ESR_EL1>(aarch64_sysregs::esr_elx::EsrElx::from_bits(1 << 25));
            hw.write::<ELR_EL1>(ElrEl1::from_bits(vcpu.regs.pc));
            hw.write::<SPSR_EL1>(aarch64_sysregs::spsr_elx::SpsrElx::from_bits(
                vcpu.regs.pstate,
            ));
        }
        vcpu.regs.pc = hw.read::<VBAR_EL1>().to_bits() + 0x200;
        vcpu.regs.pstate = EL1H_MASKED;
    }

    /// A full exit for an interrupt, `acked` if the fast path acknowledged it already.
    fn handle_irq(&mut self, vcpu: &mut Vcpu, acked: Option<u32>) {
        vcpu.stats.irq_exits += 1;
        let intid = match acked {
            Some(intid) => gic::valid(intid),
            None => gic::acknowledge(),
        };
        match intid {
            Some(PMU_INTID) => {
                self.vgic.stats.pmu_irqs += 1;
                self.vgic.forwarded_now = false;
                let host =
                    self.cpu
                        .handle_overflow(&mut self.hw, Some(&mut vcpu.pmu), &mut self.vgic);
                if host != 0 {
                    self.vgic.stats.host_irqs += 1;
                    self.vgic.stats.host_overflows |= host;
                }
                gic::priority_drop(PMU_INTID);
                // A forwarded interrupt stays active: the guest's virtual EOI deactivates it.
                if !self.vgic.forwarded_now {
                    gic::deactivate(PMU_INTID);
                }
            }
            Some(other) => {
                self.vgic.stats.other += 1;
                gic::priority_drop(other);
                gic::deactivate(other);
            }
            None => self.vgic.stats.other += 1,
        }
    }
}
