//! Emitters over the sysreg IR, library first: each takes a validated
//! [`sysreg_db::Database`] and returns the output text. The `sysreg-gen` binary is a thin CLI on
//! top.
//!
//! - [`c_header`]: the kernel's `sysreg-defs.h`, byte-identical to `gen-sysreg.awk`.
//! - [`json`]: a dump of the IR, to see what was understood.
//! - [`rust`]: a `no_std`, dependency-free register crate.

pub mod c_header;
pub mod json;
pub mod project;
pub mod rust;
