// Boot, exception vectors and the world switch of the EL2 test image.
//
// The image is entered at EL2 with the MMU off (QEMU `-kernel`, `virtualization=on`, no EL3).
// Guests run at EL1h in the same physical address space (no stage-2 translation: the image
// tests the PMU, not memory isolation).
//
// A guest's registers live in a `GuestRegs` (see arch.rs for the layout): `run_guest` saves the
// host's callee-saved state, loads the guest's and ERETs; any exception from EL1 saves the
// guest's state back and returns from `run_guest` with the exit kind, as KVM's
// `__kvm_vcpu_run` returns an exit code.

    .equ GR_X, 0            // x0..x30
    .equ GR_PC, 248         // ELR_EL2
    .equ GR_PSTATE, 256     // SPSR_EL2
    .equ GR_FPSR, 264
    .equ GR_FPCR, 272
    .equ GR_SP_EL1, 280
    .equ GR_Q, 288          // q0..q31

    .equ EXIT_SYNC, 1
    .equ EXIT_IRQ, 2
    .equ EXIT_FIQ, 3
    .equ EXIT_SERROR, 4

// q0..q31 to or from the 512 bytes at \base (the guest frame and the EL1 frame).
    .macro  save_q base
    stp     q0, q1, [\base, #0]
    stp     q2, q3, [\base, #32]
    stp     q4, q5, [\base, #64]
    stp     q6, q7, [\base, #96]
    stp     q8, q9, [\base, #128]
    stp     q10, q11, [\base, #160]
    stp     q12, q13, [\base, #192]
    stp     q14, q15, [\base, #224]
    stp     q16, q17, [\base, #256]
    stp     q18, q19, [\base, #288]
    stp     q20, q21, [\base, #320]
    stp     q22, q23, [\base, #352]
    stp     q24, q25, [\base, #384]
    stp     q26, q27, [\base, #416]
    stp     q28, q29, [\base, #448]
    stp     q30, q31, [\base, #480]
    .endm

    .macro  load_q base
    ldp     q0, q1, [\base, #0]
    ldp     q2, q3, [\base, #32]
    ldp     q4, q5, [\base, #64]
    ldp     q6, q7, [\base, #96]
    ldp     q8, q9, [\base, #128]
    ldp     q10, q11, [\base, #160]
    ldp     q12, q13, [\base, #192]
    ldp     q14, q15, [\base, #224]
    ldp     q16, q17, [\base, #256]
    ldp     q18, q19, [\base, #288]
    ldp     q20, q21, [\base, #320]
    ldp     q22, q23, [\base, #352]
    ldp     q24, q25, [\base, #384]
    ldp     q26, q27, [\base, #416]
    ldp     q28, q29, [\base, #448]
    ldp     q30, q31, [\base, #480]
    .endm

    .section .text.boot, "ax"
    .global _start
_start:
    ldr     x0, =__el2_stack_top
    mov     sp, x0
    // Vectors first: a fault before VBAR_EL2 is set would hang silently.
    ldr     x0, =el2_vectors
    msr     vbar_el2, x0
    // Compiled Rust uses the FP/SIMD registers: no FP traps at EL2 (CPTR_EL2.TFP) or for the
    // guests (CPACR_EL1.FPEN = 0b11).
    mrs     x0, cptr_el2
    bic     x0, x0, #(1 << 10)
    msr     cptr_el2, x0
    mov     x0, #(3 << 20)
    msr     cpacr_el1, x0
    // SCTLR_EL1: its RES1 bits only (MMU and caches off) for the guests.
    ldr     x0, =0x30d00800
    msr     sctlr_el1, x0
    isb
    ldr     x0, =__bss_start
    ldr     x1, =__bss_end
1:  cmp     x0, x1
    b.hs    2f
    stp     xzr, xzr, [x0], #16
    b       1b
2:  bl      el2_main
3:  wfi
    b       3b

    .text

// u64 run_guest(GuestRegs *regs, FastIrq *fast): runs the guest until it takes an exception
// to EL2 that the interrupt fast path (`fast`, or none if null) does not handle.
    .global run_guest
run_guest:
    adrp    x2, fast_irq_ctx
    str     x1, [x2, :lo12:fast_irq_ctx]
    ldr     x2, =host_ctx
    stp     x19, x20, [x2, #0]
    stp     x21, x22, [x2, #16]
    stp     x23, x24, [x2, #32]
    stp     x25, x26, [x2, #48]
    stp     x27, x28, [x2, #64]
    stp     x29, x30, [x2, #80]
    mov     x3, sp
    str     x3, [x2, #96]
    stp     d8, d9, [x2, #104]
    stp     d10, d11, [x2, #120]
    stp     d12, d13, [x2, #136]
    stp     d14, d15, [x2, #152]
    msr     tpidr_el2, x0
    ldr     x2, [x0, #GR_SP_EL1]
    msr     sp_el1, x2
    ldp     x2, x3, [x0, #GR_FPSR]
    msr     fpsr, x2
    msr     fpcr, x3
    add     x2, x0, #GR_Q
    load_q x2
    ldp     x2, x3, [x0, #GR_PC]
    msr     elr_el2, x2
    msr     spsr_el2, x3
    ldp     x2, x3, [x0, #16]
    ldp     x4, x5, [x0, #32]
    ldp     x6, x7, [x0, #48]
    ldp     x8, x9, [x0, #64]
    ldp     x10, x11, [x0, #80]
    ldp     x12, x13, [x0, #96]
    ldp     x14, x15, [x0, #112]
    ldp     x16, x17, [x0, #128]
    ldp     x18, x19, [x0, #144]
    ldp     x20, x21, [x0, #160]
    ldp     x22, x23, [x0, #176]
    ldp     x24, x25, [x0, #192]
    ldp     x26, x27, [x0, #208]
    ldp     x28, x29, [x0, #224]
    ldr     x30, [x0, #240]
    ldp     x0, x1, [x0, #0]
    eret

// Common exit path: x1 = exit kind, the guest's x0/x1 pushed on the EL2 stack.
guest_exit:
    mrs     x0, tpidr_el2
    stp     x2, x3, [x0, #16]
    stp     x4, x5, [x0, #32]
    stp     x6, x7, [x0, #48]
    stp     x8, x9, [x0, #64]
    stp     x10, x11, [x0, #80]
    stp     x12, x13, [x0, #96]
    stp     x14, x15, [x0, #112]
    stp     x16, x17, [x0, #128]
    stp     x18, x19, [x0, #144]
    stp     x20, x21, [x0, #160]
    stp     x22, x23, [x0, #176]
    stp     x24, x25, [x0, #192]
    stp     x26, x27, [x0, #208]
    stp     x28, x29, [x0, #224]
    str     x30, [x0, #240]
    ldp     x2, x3, [sp], #16
    stp     x2, x3, [x0, #0]
    mrs     x2, elr_el2
    mrs     x3, spsr_el2
    stp     x2, x3, [x0, #GR_PC]
    mrs     x2, fpsr
    mrs     x3, fpcr
    stp     x2, x3, [x0, #GR_FPSR]
    mrs     x2, sp_el1
    str     x2, [x0, #GR_SP_EL1]
    add     x2, x0, #GR_Q
    save_q x2
    mov     x0, x1
    ldr     x2, =host_ctx
    ldp     x19, x20, [x2, #0]
    ldp     x21, x22, [x2, #16]
    ldp     x23, x24, [x2, #32]
    ldp     x25, x26, [x2, #48]
    ldp     x27, x28, [x2, #64]
    ldp     x29, x30, [x2, #80]
    ldr     x3, [x2, #96]
    mov     sp, x3
    ldp     d8, d9, [x2, #104]
    ldp     d10, d11, [x2, #120]
    ldp     d12, d13, [x2, #136]
    ldp     d14, d15, [x2, #152]
    ret

// An exception taken from EL2 itself is a bug of the image: report it and stop.
el2_unexpected:
    mrs     x1, esr_el2
    mrs     x2, elr_el2
    mrs     x3, far_el2
    ldr     x4, =__el2_stack_top
    mov     sp, x4
    bl      el2_fault
    b       .

    .macro  lower_el kind
    .balign 0x80
    stp     x0, x1, [sp, #-16]!
    mov     x1, #\kind
    b       guest_exit
    .endm

// An IRQ from a guest: the fast path first, when `run_guest` was given one. It saves only the
// registers a call may clobber (x0..x18, x30: the guest's x19..x29, SP_EL1 and FP/SIMD state
// stay live, as `el2_irq_fast` preserves or does not touch them) and calls `el2_irq_fast`;
// 0 resumes the guest, anything else takes the full exit. 26 instructions: it fits the slot.
// x0/x1 go on top (where guest_exit expects them), x2..x18 and x30 below, the stack pointer
// moving with the first and last access of each.
    .equ FAST_FRAME, 144    // x2..x18, x30

// x2..x18 and x30 back from the fast path's frame, which is popped.
    .macro  pop_fast_frame
    ldp     x4, x5, [sp, #16]
    ldp     x6, x7, [sp, #32]
    ldp     x8, x9, [sp, #48]
    ldp     x10, x11, [sp, #64]
    ldp     x12, x13, [sp, #80]
    ldp     x14, x15, [sp, #96]
    ldp     x16, x17, [sp, #112]
    ldp     x18, x30, [sp, #128]
    ldp     x2, x3, [sp], #FAST_FRAME
    .endm

    .macro  lower_el_irq
    .balign 0x80
    stp     x0, x1, [sp, #-16]!
    adrp    x0, fast_irq_ctx
    ldr     x0, [x0, :lo12:fast_irq_ctx]
    cbz     x0, irq_full_exit
    stp     x2, x3, [sp, #-FAST_FRAME]!
    stp     x4, x5, [sp, #16]
    stp     x6, x7, [sp, #32]
    stp     x8, x9, [sp, #48]
    stp     x10, x11, [sp, #64]
    stp     x12, x13, [sp, #80]
    stp     x14, x15, [sp, #96]
    stp     x16, x17, [sp, #112]
    stp     x18, x30, [sp, #128]
    bl      el2_irq_fast
    cbnz    x0, irq_fast_declined
    pop_fast_frame
    ldp     x0, x1, [sp], #16
    eret
    .endm

// The fast path declined: the guest's registers back as they were, then the full exit.
irq_fast_declined:
    pop_fast_frame
irq_full_exit:
    mov     x1, #EXIT_IRQ
    b       guest_exit

    .macro  unexpected kind
    .balign 0x80
    mov     x0, #\kind
    b       el2_unexpected
    .endm

    .balign 2048
el2_vectors:
    unexpected 0        // current EL, SP_EL0
    unexpected 1
    unexpected 2
    unexpected 3
    unexpected 4        // current EL, SP_EL2
    unexpected 5
    unexpected 6
    unexpected 7
    lower_el EXIT_SYNC  // lower EL, AArch64
    lower_el_irq
    lower_el EXIT_FIQ
    lower_el EXIT_SERROR
    unexpected 12       // lower EL, AArch32
    unexpected 13
    unexpected 14
    unexpected 15

// The guests' EL1 vectors. A guest's synchronous exceptions (an UNDEFINED injected by EL2)
// and its IRQs (the virtual PMU interrupt) go to Rust with every caller-saved register saved.
    .equ EL1_FRAME, 704     // x0..x18, x29, x30 (168 bytes, padded to 192) + q0..q31

    .macro  el1_save
    sub     sp, sp, #EL1_FRAME
    stp     x0, x1, [sp, #0]
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x29, [sp, #144]
    str     x30, [sp, #160]
    add     x0, sp, #192
    save_q x0
    .endm

el1_restore_eret:
    add     x0, sp, #192
    load_q x0
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x29, [sp, #144]
    ldr     x30, [sp, #160]
    add     sp, sp, #EL1_FRAME
    eret

el1_sync_entry:
    el1_save
    bl      guest_sync
    b       el1_restore_eret

el1_irq_entry:
    el1_save
    bl      guest_irq
    b       el1_restore_eret

el1_unexpected:
    bl      guest_unexpected
    b       .

    .macro  el1_vector target
    .balign 0x80
    b       \target
    .endm

    .balign 2048
    .global el1_vectors
el1_vectors:
    el1_vector el1_unexpected   // current EL, SP_EL0
    el1_vector el1_unexpected
    el1_vector el1_unexpected
    el1_vector el1_unexpected
    el1_vector el1_sync_entry   // current EL, SP_EL1
    el1_vector el1_irq_entry
    el1_vector el1_unexpected
    el1_vector el1_unexpected
    el1_vector el1_unexpected   // lower EL
    el1_vector el1_unexpected
    el1_vector el1_unexpected
    el1_vector el1_unexpected
    el1_vector el1_unexpected
    el1_vector el1_unexpected
    el1_vector el1_unexpected
    el1_vector el1_unexpected
