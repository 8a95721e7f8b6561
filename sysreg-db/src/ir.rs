//! The typed model of a sysreg database.
//!
//! A [`Database`] is what the parser understood after validation: registers with their
//! encodings, shared field sets, one or more layouts per register (the default one and one per
//! `Prefix`), fields with bit ranges, enumerations with their kind and values, and resolved
//! `Fields`/`Mapping` references. Every item carries the [`Loc`] it was defined at.
//!
//! Invariants of a database returned by [`crate::load`] without errors: every layout covers bits
//! 63..0 exactly once in descending order; bit ranges are within 0..=63; names are unique where
//! the format requires it. In `--lenient` mode the relaxed checks may have been violated (e.g. an
//! enum value whose spelling is not binary has `value: None`).
//!
//! Iteration order is deterministic: [`Database::items`] is input order (file by file, line by
//! line), and lookups by name use sorted maps.

use crate::source::Loc;
use std::fmt;
use std::sync::OnceLock;

/// The whole database: every input file read as one.
#[derive(Clone, Debug, Default)]
pub struct Database {
    pub registers: Vec<Register>,
    pub field_sets: Vec<FieldSet>,
    /// Registers and field sets in input order.
    pub order: Vec<ItemRef>,
    /// Indices into `registers` and `field_sets`, sorted by name (names are unique in each):
    /// lookups are binary searches, and no name is copied for them. Sorted on first use
    /// (`sysreg-gen c-header` never needs them).
    pub(crate) register_index: OnceLock<Vec<usize>>,
    pub(crate) field_set_index: OnceLock<Vec<usize>>,
}

/// A position in [`Database::registers`] or [`Database::field_sets`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemRef {
    Register(usize),
    FieldSet(usize),
}

/// A register or field set, as yielded by [`Database::items`].
#[derive(Clone, Copy, Debug)]
pub enum Item<'a> {
    Register(&'a Register),
    FieldSet(&'a FieldSet),
}

impl Database {
    /// Registers and field sets in input order.
    pub fn items(&self) -> impl Iterator<Item = Item<'_>> + '_ {
        self.order.iter().map(|r| match *r {
            ItemRef::Register(i) => Item::Register(&self.registers[i]),
            ItemRef::FieldSet(i) => Item::FieldSet(&self.field_sets[i]),
        })
    }

    pub fn register(&self, name: &str) -> Option<&Register> {
        self.register_position(name).map(|i| &self.registers[i])
    }

    pub fn field_set(&self, name: &str) -> Option<&FieldSet> {
        self.field_set_position(name).map(|i| &self.field_sets[i])
    }

    /// The index in `registers` of the register called `name`.
    fn register_position(&self, name: &str) -> Option<usize> {
        let index = self.register_index();
        let found = index.binary_search_by(|&i| self.registers[i].name.as_str().cmp(name));
        found.ok().map(|at| index[at])
    }

    /// The index in `field_sets` of the field set called `name`.
    fn field_set_position(&self, name: &str) -> Option<usize> {
        let index = self.field_set_index();
        let found = index.binary_search_by(|&i| self.field_sets[i].name.as_str().cmp(name));
        found.ok().map(|at| index[at])
    }

    fn register_index(&self) -> &[usize] {
        self.register_index
            .get_or_init(|| sorted_by_name(&self.registers, |r| &r.name))
    }

    fn field_set_index(&self) -> &[usize] {
        self.field_set_index
            .get_or_init(|| sorted_by_name(&self.field_sets, |s| &s.name))
    }

    /// Registers sorted by name.
    pub fn registers_by_name(&self) -> impl Iterator<Item = &Register> + '_ {
        self.register_index().iter().map(|&i| &self.registers[i])
    }

    /// Field sets sorted by name.
    pub fn field_sets_by_name(&self) -> impl Iterator<Item = &FieldSet> + '_ {
        self.field_set_index().iter().map(|&i| &self.field_sets[i])
    }

    /// The layout a register's fields are described by: its own, or that of the field set it
    /// names with `Fields`, or that of the register it aliases with `Mapping` (followed
    /// transitively). `None` only when a reference did not resolve (lenient mode).
    pub fn effective_layout<'a>(&'a self, register: &'a Register) -> Option<&'a Layout> {
        let mut reg = register;
        // A chain of Mappings cannot be longer than the number of registers; the bound also
        // stops a (lenient-mode) cycle.
        for _ in 0..=self.registers.len() {
            match &reg.body {
                RegisterBody::Layout(layout) => return Some(layout),
                RegisterBody::Fields(r) => return r.target.map(|i| &self.field_sets[i].layout),
                RegisterBody::Mapping(r) => reg = &self.registers[r.target?],
            }
        }
        None
    }
}

/// The indices of `items` in the order of their names.
fn sorted_by_name<T>(items: &[T], name: fn(&T) -> &String) -> Vec<usize> {
    let mut index: Vec<usize> = (0..items.len()).collect();
    index.sort_unstable_by(|&a, &b| name(&items[a]).cmp(name(&items[b])));
    index
}

/// `Sysreg <name> <op0> <op1> <CRn> <CRm> <op2>` ... `EndSysreg`.
#[derive(Clone, Debug)]
pub struct Register {
    pub name: String,
    pub loc: Loc,
    pub encoding: Encoding,
    /// Feature-specific layouts (`Prefix FEAT_X` ... `EndPrefix`), in input order.
    pub prefixed: Vec<Layout>,
    pub body: RegisterBody,
    /// Whether the register can be read and written (`#@ access` annotation; default both).
    pub access: Access,
    /// Location of `EndSysreg`.
    pub end: Loc,
}

/// Which of `MRS` and `MSR` a register supports.
///
/// The kernel's format has no access column; the project extends it compatibly with an
/// annotation comment inside the Sysreg block, which the kernel's script skips like any other
/// comment:
///
/// ```text
/// Sysreg PMCEID0_EL0 3 3 9 12 6
/// #@ access RO
/// Field 63:0 IDhi_lo
/// EndSysreg
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Access {
    #[default]
    ReadWrite,
    /// `RO`: no `MSR` (e.g. ID registers, PMCEID0_EL0).
    ReadOnly,
    /// `WO`: no `MRS` (e.g. PMSWINC_EL0, PMZR_EL0).
    WriteOnly,
}

impl Access {
    pub const fn readable(self) -> bool {
        !matches!(self, Access::WriteOnly)
    }

    pub const fn writable(self) -> bool {
        !matches!(self, Access::ReadOnly)
    }
}

/// How a register's bits are described.
#[derive(Clone, Debug)]
pub enum RegisterBody {
    /// Fields of its own.
    Layout(Layout),
    /// `Fields <SysregFields name>`: the layout of a shared field set.
    Fields(Reference),
    /// `Mapping <Sysreg name>`: an alias (e.g. a VHE `_EL12` view) of another register.
    Mapping(Reference),
}

/// A by-name reference to another item, resolved to its index after the whole database is read.
#[derive(Clone, Debug)]
pub struct Reference {
    pub name: String,
    /// Location of the target's name on the `Fields`/`Mapping` line.
    pub loc: Loc,
    /// Index into [`Database::field_sets`] (`Fields`) or [`Database::registers`] (`Mapping`);
    /// `None` only when the target does not exist (an error unless lenient).
    pub target: Option<usize>,
}

/// `SysregFields <name>` ... `EndSysregFields`: a layout shared by several registers.
#[derive(Clone, Debug)]
pub struct FieldSet {
    pub name: String,
    pub loc: Loc,
    pub prefixed: Vec<Layout>,
    pub layout: Layout,
    /// Location of `EndSysregFields`.
    pub end: Loc,
}

/// The system-instruction encoding of a register, as used by `MRS`/`MSR`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Encoding {
    pub op0: u8,
    pub op1: u8,
    pub crn: u8,
    pub crm: u8,
    pub op2: u8,
}

impl Encoding {
    /// The generic assembler name, `S<op0>_<op1>_C<n>_C<m>_<op2>`, accepted by every assembler.
    pub fn s_name(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "S{}_{}_C{}_C{}_{}",
            self.op0, self.op1, self.crn, self.crm, self.op2
        )
    }
}

/// A complete description of bits 63..0: the default layout of a register or field set, or one
/// selected by a `Prefix`.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    /// `Some` for a `Prefix` layout: its name and location.
    pub prefix: Option<Prefix>,
    /// Bit slices from bit 63 down to bit 0.
    pub entries: Vec<Entry>,
}

/// `Prefix <name>`.
#[derive(Clone, Debug)]
pub struct Prefix {
    pub name: String,
    pub loc: Loc,
}

impl Layout {
    fn mask_of(&self, want: fn(&EntryKind) -> bool) -> u64 {
        self.entries
            .iter()
            .filter(|e| want(&e.kind))
            .fold(0, |m, e| m | e.bits.mask())
    }

    /// Bits declared `Res0`.
    pub fn res0(&self) -> u64 {
        self.mask_of(|k| matches!(k, EntryKind::Res0))
    }

    /// Bits declared `Res1`.
    pub fn res1(&self) -> u64 {
        self.mask_of(|k| matches!(k, EntryKind::Res1))
    }

    /// Bits declared `Unkn`.
    pub fn unkn(&self) -> u64 {
        self.mask_of(|k| matches!(k, EntryKind::Unkn))
    }

    /// Bits declared `Raz` (read as zero).
    pub fn raz(&self) -> u64 {
        self.mask_of(|k| matches!(k, EntryKind::Raz))
    }

    /// The named fields (`Field` and the three kinds of `Enum`), from bit 63 down.
    pub fn fields(&self) -> impl Iterator<Item = (&Entry, &Field)> + '_ {
        self.entries.iter().filter_map(|e| match &e.kind {
            EntryKind::Field(f) => Some((e, f)),
            _ => None,
        })
    }

    pub fn field(&self, name: &str) -> Option<(&Entry, &Field)> {
        self.fields().find(|(_, f)| f.name == name)
    }
}

/// One line of a layout: a slice of bits and what it is.
#[derive(Clone, Debug)]
pub struct Entry {
    pub bits: BitRange,
    pub loc: Loc,
    pub kind: EntryKind,
}

#[derive(Clone, Debug)]
pub enum EntryKind {
    /// `Field` or `Enum`/`SignedEnum`/`UnsignedEnum`.
    Field(Field),
    /// `Res0`: reserved, should be zero.
    Res0,
    /// `Res1`: reserved, should be one.
    Res1,
    /// `Unkn`: UNKNOWN on read.
    Unkn,
    /// `Raz`: reads as zero (no mask is generated for it).
    Raz,
}

/// A named field; `enumeration` is set for the `*Enum` directives.
#[derive(Clone, Debug)]
pub struct Field {
    pub name: String,
    pub enumeration: Option<Enumeration>,
}

/// An inclusive bit range `msb:lsb`, 63 >= msb >= lsb >= 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BitRange {
    pub msb: u8,
    pub lsb: u8,
}

impl BitRange {
    pub const fn width(self) -> u32 {
        (self.msb - self.lsb) as u32 + 1
    }

    /// The bits of the range set, the rest clear.
    pub const fn mask(self) -> u64 {
        (u64::MAX >> (63 - self.msb)) & (u64::MAX << self.lsb)
    }
}

impl fmt::Display for BitRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.msb == self.lsb {
            write!(f, "{}", self.msb)
        } else {
            write!(f, "{}:{}", self.msb, self.lsb)
        }
    }
}

/// How the values of an enumerated field compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnumKind {
    /// `Enum`: values have no order; compare only for equality (e.g. `CTR_EL0.L1Ip`).
    Plain,
    /// `SignedEnum`: ordered as two's complement (`0b1111` is -1, "not implemented").
    Signed,
    /// `UnsignedEnum`: ordered as unsigned numbers (higher is more features).
    Unsigned,
}

impl EnumKind {
    /// The directive that declares this kind.
    pub const fn directive(self) -> &'static str {
        match self {
            EnumKind::Plain => "Enum",
            EnumKind::Signed => "SignedEnum",
            EnumKind::Unsigned => "UnsignedEnum",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Enumeration {
    pub kind: EnumKind,
    pub values: Vec<EnumValue>,
}

/// An enum value line, e.g. `0b0001 IMP`.
#[derive(Clone, Debug)]
pub struct EnumValue {
    pub name: String,
    /// The value as written (`0b0001`); the C header reproduces it verbatim.
    pub spelling: String,
    /// The numeric value; `None` only for a non-binary spelling accepted in lenient mode.
    pub value: Option<u64>,
    pub loc: Loc,
}
