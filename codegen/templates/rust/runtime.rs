//! What every register module builds on: encodings, the register traits, and the backend seam
//! through which all accesses go (the hardware, or a simulated register file on the host).

use core::fmt;
use core::marker::PhantomData;

/// The system-instruction encoding of a register: the operands of `MRS`/`MSR`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Encoding {
    /// op0, 2 bits.
    pub op0: u8,
    /// op1, 3 bits.
    pub op1: u8,
    /// CRn, 4 bits.
    pub crn: u8,
    /// CRm, 4 bits.
    pub crm: u8,
    /// op2, 3 bits.
    pub op2: u8,
}

impl Encoding {
    /// The operand fields of an `MSR`/`MRS` trap's ISS (`ESR_ELx.EC == 0x18`):
    /// Op0 in bits 21:20, Op2 in 19:17, Op1 in 16:14, CRn in 13:10 and CRm in 4:1; not Rt
    /// (bits 9:5) nor Direction (bit 0).
    pub const ISS_MASK: u32 = 0x003f_fc1e;

    /// An encoding from its operands (each masked to its width).
    pub const fn new(op0: u8, op1: u8, crn: u8, crm: u8, op2: u8) -> Encoding {
        Encoding {
            op0: op0 & 0x3,
            op1: op1 & 0x7,
            crn: crn & 0xf,
            crm: crm & 0xf,
            op2: op2 & 0x7,
        }
    }

    /// The encoding's fields placed as in a trapped `MSR`/`MRS`'s ISS, with Rt and Direction
    /// zero: compare it with `iss & Encoding::ISS_MASK`.
    pub const fn iss(self) -> u32 {
        (self.op0 as u32) << 20
            | (self.op2 as u32) << 17
            | (self.op1 as u32) << 14
            | (self.crn as u32) << 10
            | (self.crm as u32) << 1
    }

    /// The register a trapped `MSR`/`MRS` accessed, from its ISS.
    pub const fn from_iss(iss: u32) -> Encoding {
        Encoding::new(
            (iss >> 20) as u8,
            (iss >> 14) as u8,
            (iss >> 10) as u8,
            (iss >> 1) as u8,
            (iss >> 17) as u8,
        )
    }

    /// Whether a trapped `MSR`/`MRS` with this ISS accessed this register.
    pub const fn matches_iss(self, iss: u32) -> bool {
        iss & Encoding::ISS_MASK == self.iss()
    }

    /// A 16-bit key, `op0:op1:CRn:CRm:op2`, the order of the instruction's bits 20:5
    /// (what Linux's `sys_reg()` builds, shifted down).
    pub const fn key(self) -> u16 {
        (self.op0 as u16) << 14
            | (self.op1 as u16) << 11
            | (self.crn as u16) << 7
            | (self.crm as u16) << 3
            | self.op2 as u16
    }
}

impl fmt::Debug for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "S{}_{}_C{}_C{}_{}",
            self.op0, self.op1, self.crn, self.crm, self.op2
        )
    }
}

/// A register's value type: a `u64` with typed field accessors.
pub trait RegisterValue: Copy {
    /// Bits that are RES0: writes through a [`Backend`] clear them.
    const RES0: u64;
    /// Bits that are RES1: writes through a [`Backend`] set them.
    const RES1: u64;
    /// The value from raw bits, all of them kept.
    fn from_bits(bits: u64) -> Self;
    /// The raw bits.
    fn to_bits(self) -> u64;
}

impl RegisterValue for u64 {
    const RES0: u64 = 0;
    const RES1: u64 = 0;
    #[inline(always)]
    fn from_bits(bits: u64) -> u64 {
        bits
    }
    #[inline(always)]
    fn to_bits(self) -> u64 {
        self
    }
}

/// What a register value's type is made of: its name, and which bits are RES0, RES1 and
/// UNKNOWN. Each generated value type is [`Value`] of a marker type implementing this
/// (`PmcrEl0` is `Value<PmcrEl0Layout>`).
pub trait Layout {
    /// The value type's name, e.g. `PmcrEl0` (for `Debug`).
    const NAME: &'static str;
    /// Bits that are RES0: [`Value::new`] and writes through a [`Backend`] clear them.
    const RES0: u64;
    /// Bits that are RES1: [`Value::new`] and writes through a [`Backend`] set them.
    const RES1: u64;
    /// Bits whose value is UNKNOWN.
    const UNKN: u64;
}

/// A register value: the bits of a register laid out as `L` says, with (in `L`'s module) typed
/// accessors per field. A `u64` in memory and in registers.
///
/// One generic type rather than a struct per register: the traits and raw-bits methods every
/// value type has are then compiled once, not once per register, which is most of what a
/// crate of hundreds of registers costs to build besides the field accessors.
#[repr(transparent)]
pub struct Value<L>(pub(crate) u64, PhantomData<L>);

impl<L> Value<L> {
    /// The value with exactly these bits.
    #[inline(always)]
    pub const fn from_bits(bits: u64) -> Self {
        Value(bits, PhantomData)
    }

    /// The raw bits.
    #[inline(always)]
    pub const fn to_bits(self) -> u64 {
        self.0
    }
}

impl<L: Layout> Value<L> {
    /// The RES0 bits (listed in the docs of `L`'s [`Layout`] impl).
    pub const RES0: u64 = L::RES0;
    /// The RES1 bits.
    pub const RES1: u64 = L::RES1;
    /// The UNKNOWN bits.
    pub const UNKN: u64 = L::UNKN;

    /// A value with its RES1 bits set and every other bit clear.
    #[inline(always)]
    pub const fn new() -> Self {
        Value(L::RES1, PhantomData)
    }
}

impl<L: Layout> Default for Value<L> {
    /// [`Value::new`]: RES1 bits set, the others clear.
    #[inline(always)]
    fn default() -> Self {
        Self::new()
    }
}

// Written out rather than derived: a derive would require `L: Clone` (and so on) of the marker.
impl<L> Clone for Value<L> {
    #[inline(always)]
    fn clone(&self) -> Self {
        *self
    }
}

impl<L> Copy for Value<L> {}

impl<L> PartialEq for Value<L> {
    #[inline(always)]
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<L> Eq for Value<L> {}

impl<L: Layout> RegisterValue for Value<L> {
    const RES0: u64 = L::RES0;
    const RES1: u64 = L::RES1;
    #[inline(always)]
    fn from_bits(bits: u64) -> Self {
        Value(bits, PhantomData)
    }
    #[inline(always)]
    fn to_bits(self) -> u64 {
        self.0
    }
}

#[cfg(feature = "debug")]
impl<L: Layout> fmt::Debug for Value<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_bits(f, L::NAME, self.0)
    }
}

/// A system register: its name, encoding and value type.
pub trait SysReg {
    /// The architectural name, e.g. `PMCR_EL0`.
    const NAME: &'static str;
    /// Its `MRS`/`MSR` encoding.
    const ENCODING: Encoding;
    /// The type its value is read and written as.
    type Value: RegisterValue;
}

/// A register `MRS` can read.
pub trait Readable: SysReg {
    /// `MRS` of this register (the only place its instruction is spelled out).
    #[cfg(target_arch = "aarch64")]
    #[doc(hidden)]
    fn mrs() -> u64;
}

/// A register `MSR` can write.
pub trait Writable: SysReg {
    /// `MSR` of this register.
    ///
    /// # Safety
    /// As for [`Backend::write`].
    #[cfg(target_arch = "aarch64")]
    #[doc(hidden)]
    unsafe fn msr(bits: u64);
}

/// Where register accesses go: the hardware (`Hardware`, on AArch64) or a model of it (a
/// [`RegisterFile`], or a model of its own that a test implements). Code written against a
/// `Backend` runs unchanged on both; on hardware every call compiles to the one `MRS`/`MSR`.
pub trait Backend {
    /// Reads register `R`.
    fn read<R: Readable>(&mut self) -> R::Value;

    /// Writes register `R`, with its RES1 bits set and its RES0 bits clear.
    ///
    /// # Safety
    /// Writing a system register can change memory translation, exception routing or
    /// anything else the register controls: the caller must know the write keeps the
    /// program's memory safety and the guarantees its other code relies on.
    unsafe fn write<R: Writable>(&mut self, value: R::Value);

    /// Reads `R`, applies `f`, writes the result back.
    ///
    /// # Safety
    /// As for [`Backend::write`].
    #[inline(always)]
    unsafe fn modify<R: Readable + Writable>(&mut self, f: impl FnOnce(R::Value) -> R::Value) {
        let value = self.read::<R>();
        self.write::<R>(f(value))
    }
}

/// The bits a write puts in the register: RES1 set, RES0 clear.
#[inline(always)]
pub const fn write_bits(bits: u64, res0: u64, res1: u64) -> u64 {
    (bits | res1) & !res0
}

// The field accessors' bit arithmetic, written once: each generated getter and setter is one
// call of these, which costs the compiler less than the same arithmetic spelt out in thousands
// of bodies (and inlines to the same instructions). Free functions rather than methods: a
// method call is looked up among the inherent impls of `Value`, one per register.

/// The field `mask << lsb` of `bits`, shifted down.
#[inline(always)]
pub(crate) const fn get_bits(bits: u64, lsb: u32, mask: u64) -> u64 {
    (bits >> lsb) & mask
}

/// Bit `lsb` of `bits`.
#[inline(always)]
pub(crate) const fn get_bit(bits: u64, lsb: u32) -> bool {
    bits >> lsb & 1 != 0
}

/// `value` with the field `mask << lsb` replaced by `field` (cut to `mask`).
#[inline(always)]
pub(crate) const fn set_bits<L>(value: Value<L>, lsb: u32, mask: u64, field: u64) -> Value<L> {
    Value(
        value.0 & !(mask << lsb) | (field & mask) << lsb,
        PhantomData,
    )
}

/// `value` with bit `lsb` replaced by `bit`.
#[inline(always)]
pub(crate) const fn set_bit<L>(value: Value<L>, lsb: u32, bit: bool) -> Value<L> {
    Value(value.0 & !(1 << lsb) | (bit as u64) << lsb, PhantomData)
}

/// The CPU's own system registers, through `MRS`/`MSR`.
#[cfg(target_arch = "aarch64")]
#[derive(Clone, Copy, Debug, Default)]
pub struct Hardware;

#[cfg(target_arch = "aarch64")]
impl Backend for Hardware {
    #[inline(always)]
    fn read<R: Readable>(&mut self) -> R::Value {
        R::Value::from_bits(R::mrs())
    }

    #[inline(always)]
    unsafe fn write<R: Writable>(&mut self, value: R::Value) {
        R::msr(write_bits(
            value.to_bits(),
            <R::Value as RegisterValue>::RES0,
            <R::Value as RegisterValue>::RES1,
        ))
    }
}

/// A simulated register file for host tests: up to `N` registers, each a `u64` keyed by
/// encoding, with counts of reads and writes. Registers never written read as zero.
#[derive(Clone, Debug)]
pub struct RegisterFile<const N: usize = 128> {
    keys: [u16; N],
    values: [u64; N],
    len: usize,
    /// Reads made through [`Backend::read`].
    pub reads: u64,
    /// Writes made through [`Backend::write`].
    pub writes: u64,
}

impl<const N: usize> Default for RegisterFile<N> {
    fn default() -> Self {
        RegisterFile {
            keys: [0; N],
            values: [0; N],
            len: 0,
            reads: 0,
            writes: 0,
        }
    }
}

impl<const N: usize> RegisterFile<N> {
    /// An empty register file.
    pub fn new() -> Self {
        Self::default()
    }

    fn slot(&self, encoding: Encoding) -> Option<usize> {
        let key = encoding.key();
        self.keys[..self.len].iter().position(|&k| k == key)
    }

    /// The raw value of the register with `encoding` (zero if never set), without counting
    /// an access.
    pub fn get(&self, encoding: Encoding) -> u64 {
        self.slot(encoding).map_or(0, |i| self.values[i])
    }

    /// Sets the register with `encoding` to `bits`, without counting an access (to set up
    /// read-only registers, or what the hardware would have changed). Returns false if the
    /// file is full.
    pub fn set(&mut self, encoding: Encoding, bits: u64) -> bool {
        match self.slot(encoding) {
            Some(i) => self.values[i] = bits,
            None if self.len < N => {
                self.keys[self.len] = encoding.key();
                self.values[self.len] = bits;
                self.len += 1;
            }
            None => return false,
        }
        true
    }
}

impl<const N: usize> Backend for RegisterFile<N> {
    fn read<R: Readable>(&mut self) -> R::Value {
        self.reads += 1;
        R::Value::from_bits(self.get(R::ENCODING))
    }

    unsafe fn write<R: Writable>(&mut self, value: R::Value) {
        self.writes += 1;
        let bits = write_bits(
            value.to_bits(),
            <R::Value as RegisterValue>::RES0,
            <R::Value as RegisterValue>::RES1,
        );
        // A full file drops the write: the model is bounded by design (no allocation).
        let _ = self.set(R::ENCODING, bits);
    }
}

/// A register of an indexed family (`PMEVCNTR<n>_EL0`) chosen at compile time:
/// `<PMEVCNTRn_EL0 as Nth<3>>::Reg` is `PMEVCNTR3_EL0`; an index out of range does not compile.
pub trait Nth<const N: usize> {
    /// The family's register number `N`.
    type Reg: SysReg;
}

/// Formats a register value as its type name and hexadecimal bits.
#[doc(hidden)]
pub fn debug_bits(f: &mut fmt::Formatter<'_>, name: &str, bits: u64) -> fmt::Result {
    write!(f, "{name}({bits:#x})")
}
