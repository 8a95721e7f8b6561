//! A `no_std` partitioned-PMU core for AArch64 hypervisors running at EL2.
//!
//! It gives each guest direct, untrapped use of its share of the PMU's counters while the host
//! keeps counting with the rest:
//!
//! - [`Plan`] partitions the counters (MDCR_EL2.HPMN) from the [`HardwareFacts`];
//! - [`Traps`] are the MDCR_EL2 and fine-grained trap values for a guest and for the host;
//! - [`VcpuPmu::load`] / [`VcpuPmu::put`] switch a vCPU's PMU state, lazily (an untouched PMU
//!   costs nothing) and with the state kept resident where possible (a vCPU returning to the CPU
//!   it left costs nothing);
//! - [`EventFilter`] decides which events guests may count, applied to the hardware event types;
//! - [`VcpuPmu::handle_trap`] emulates the accesses that trap ([`SysRegTrap`] decodes ESR_EL2);
//! - [`PcpuPmu::handle_overflow`] splits the PMU interrupt between host and guest, and
//!   [`VirtualIrq`] is where a hypervisor plugs in its virtual interrupt controller; the
//!   guest's overflows are a software level line or, with [`OverflowDelivery::Forwarded`],
//!   the physical interrupt itself, forwarded through a hardware-mapped list register
//!   ([`PcpuPmu::forwarded_overflow`] lets an interrupt fast path make that decision alone).
//!
//! Every register access goes through [`aarch64_sysregs::Backend`]: the hardware at EL2, or a
//! model of the PMU in host tests. Nothing allocates, and nothing on the switch or interrupt
//! paths can panic.

#![no_std]
#![deny(missing_docs)]

pub mod counters;
mod emulate;
mod facts;
mod filter;
mod irq;
mod pcpu;
mod plan;
mod traps;
mod vcpu;

pub use emulate::{Emulation, Handled, SysRegTrap};
pub use facts::{FineGrainedTraps, HardwareFacts};
pub use filter::EventFilter;
pub use irq::{IrqLines, VirtualIrq};
pub use pcpu::{ForwardedOverflow, PcpuPmu};
pub use plan::{Mode, OverflowDelivery, Plan, PlanError};
pub use traps::{Ownership, Traps};
pub use vcpu::{Registers, VcpuPmu};
