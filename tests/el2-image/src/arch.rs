//! The CPU side of the image: boot and vectors (entry.S), the guest register frame, and the
//! few registers the project's database does not describe (their `S3_` or architectural
//! names are used directly).

use core::arch::{asm, global_asm};
use core::ffi::c_void;

global_asm!(include_str!("entry.S"), options(raw));

/// A guest's general-purpose, FP/SIMD and return state, as entry.S saves and loads it.
#[repr(C, align(16))]
#[derive(Clone, Copy)]
pub struct GuestRegs {
    /// x0..x30.
    pub x: [u64; 31],
    /// Where the guest resumes (ELR_EL2).
    pub pc: u64,
    /// Its PSTATE (SPSR_EL2).
    pub pstate: u64,
    pub fpsr: u64,
    pub fpcr: u64,
    pub sp_el1: u64,
    /// q0..q31.
    pub q: [u128; 32],
}

// entry.S hard-codes these offsets.
const _: () = {
    assert!(core::mem::offset_of!(GuestRegs, pc) == 248);
    assert!(core::mem::offset_of!(GuestRegs, pstate) == 256);
    assert!(core::mem::offset_of!(GuestRegs, fpsr) == 264);
    assert!(core::mem::offset_of!(GuestRegs, sp_el1) == 280);
    assert!(core::mem::offset_of!(GuestRegs, q) == 288);
};

/// PSTATE for a guest at EL1 using SP_EL1, with D, A, I and F masked.
pub const EL1H_MASKED: u64 = 0x3c5;

/// Why `run_guest` returned.
pub const EXIT_SYNC: u64 = 1;
pub const EXIT_IRQ: u64 = 2;

extern "C" {
    /// Runs the guest whose state is `regs` until it takes an exception to EL2 that the
    /// interrupt fast path does not handle; `fast` (or null: no fast path) is what that path
    /// needs (a [`crate::vm::FastIrq`]: entry.S only hands the pointer to `el2_irq_fast`).
    pub fn run_guest(regs: *mut GuestRegs, fast: *mut c_void) -> u64;
    /// The guests' EL1 vector table.
    pub static el1_vectors: u8;
}

/// x19..x30, sp and d8..d15 of the EL2 code that called `run_guest`.
#[no_mangle]
static mut host_ctx: [u64; 22] = [0; 22];

/// `run_guest`'s `fast`, for entry.S's IRQ vector while that guest runs.
#[no_mangle]
static mut fast_irq_ctx: *mut c_void = core::ptr::null_mut();

/// Exits QEMU with `code` through semihosting (`SYS_EXIT` with an extended status), or powers
/// off through PSCI if semihosting is off (the status is then lost: the runner treats a missing
/// summary as a failure).
pub fn exit(code: u32) -> ! {
    let block: [u64; 2] = [0x20026, u64::from(code)];
    // SAFETY: semihosting SYS_EXIT reads the two-word block and does not return.
    unsafe {
        asm!("hlt #0xf000", in("x0") 0x18u64, in("x1") block.as_ptr(), options(nostack));
        asm!("smc #0", in("x0") 0x8400_0008u64, options(nostack));
    }
    loop {
        // SAFETY: waiting for nothing.
        unsafe { asm!("wfi", options(nomem, nostack)) };
    }
}

/// ICH_AP1R0_EL2: the virtual CPU interface's active group-1 priorities (part of a vCPU's
/// interrupt state, switched with it).
pub fn read_ich_ap1r0() -> u64 {
    let v: u64;
    // SAFETY: reads an EL2 register.
    unsafe { asm!("mrs {}, S3_4_C12_C9_0", out(reg) v, options(nomem, nostack)) };
    v
}

/// Writes ICH_AP1R0_EL2.
pub fn write_ich_ap1r0(v: u64) {
    // SAFETY: the vCPU's own interrupt state, restored.
    unsafe { asm!("msr S3_4_C12_C9_0, {}", in(reg) v, options(nomem, nostack)) };
}

/// Instruction synchronization barrier.
#[inline(always)]
pub fn isb() {
    // SAFETY: a barrier.
    unsafe { asm!("isb", options(nomem, nostack)) };
}

/// Unmasks IRQs at the current EL (used by guests).
#[inline(always)]
pub fn enable_irqs() {
    // SAFETY: the guest's vectors are installed before it unmasks.
    unsafe { asm!("msr daifclr, #2", options(nomem, nostack)) };
}

/// Masks IRQs at the current EL.
#[inline(always)]
pub fn disable_irqs() {
    // SAFETY: masking is always safe.
    unsafe { asm!("msr daifset, #2", options(nomem, nostack)) };
}

/// A hypercall from a guest: `hvc #0` with the call in x0 and an argument in x1; returns x0.
#[inline(always)]
pub fn hvc(call: u64, arg: u64) -> u64 {
    let ret: u64;
    // SAFETY: the hypervisor preserves every register but x0.
    unsafe { asm!("hvc #0", inout("x0") call => ret, in("x1") arg, options(nostack)) };
    ret
}

/// `n` iterations of a two-instruction loop: a workload of exactly `2 * n` instructions
/// (plus one), so an instruction count can be checked to the instruction.
#[inline(always)]
pub fn spin(n: u64) {
    if n == 0 {
        return;
    }
    // SAFETY: register-only loop.
    unsafe {
        asm!(
            "1: subs {n}, {n}, #1",
            "b.ne 1b",
            n = inout(reg) n => _,
            options(nomem, nostack)
        )
    };
}
