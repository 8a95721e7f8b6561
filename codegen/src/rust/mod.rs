//! The Rust backend: a `no_std`, dependency-free register crate from the IR.
//!
//! For every register the crate has a module (`pmcr_el0`) holding:
//! - a value type (`PmcrEl0`): `Value<PmcrEl0Layout>`, the runtime's `#[repr(transparent)]`
//!   `u64`, whose marker type gives its name and RES0/RES1/UNKN masks, with `const fn` getters
//!   and by-value `with_*` setters per field (through the runtime's `get_bits`/`set_bits`). The
//!   traits and raw-bits methods of `Value` are generic, so they are compiled once rather than
//!   per register: what a crate of hundreds of registers costs to build is mostly functions;
//! - a newtype per enumerated field (`PmuVer`) whose named values are constants, so values the
//!   database does not list still round-trip, with ordered comparisons only where the database
//!   says the field is ordered (`SignedEnum`, `UnsignedEnum`);
//! - a zero-sized register type named as the architecture names it (`PMCR_EL0`), implementing
//!   the runtime's `SysReg`/`Readable`/`Writable` traits, whose `MRS`/`MSR` use the generic
//!   `S3_3_C9_C12_0` spelling every assembler accepts, and (on AArch64) inherent `read`,
//!   `write` and `modify`.
//!
//! The crate root re-exports each register's type, value type and enum types whose name no other
//! item of the crate has (a database may give `Ras` fields to several registers); the others are
//! reached through their module (`id_pfr0_el1::Ras`), as the module's doc says. Names that are
//! not usable as they are (keywords, prelude names like `Default`, names that collide after case
//! conversion, file names that are not identifiers) get a suffix.
//!
//! Registers that share a layout (`Fields`, `Mapping`) share its value type; registers whose
//! names differ only by an index (`PMEVCNTR0_EL0` .. `PMEVCNTR30_EL0`) also form a family with
//! runtime-indexed accessors (a `match`, which compiles to a jump table) and a compile-time
//! index (`Nth<N>`).
//!
//! Code is built with `quote` and printed by `print`, a printer for the subset of Rust emitted
//! here; files are grouped by input file, and everything is in input order, so the output is
//! deterministic and diffs well.

mod names;
mod print;

use names::{camel, constant, snake, verbatim};
use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;
use sysreg_db::{
    Access, Database, Encoding, Entry, EntryKind, EnumKind, Enumeration, Field, FieldSet, FileId,
    Layout, Loc, Register, RegisterBody, SourceMap,
};

/// What to call the crate.
#[derive(Clone, Debug)]
pub struct Options {
    /// The package name (`aarch64-sysregs`); the library is its `snake_case` form.
    pub crate_name: String,
    /// The package version.
    pub version: String,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            crate_name: "sysregs".into(),
            version: "0.1.0".into(),
        }
    }
}

/// One generated file: its path inside the crate and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    pub path: String,
    pub contents: String,
}

/// The runtime every generated crate carries, verbatim.
const RUNTIME: &str = include_str!("../../templates/rust/runtime.rs");

/// Generates the whole crate: `Cargo.toml`, `src/lib.rs`, `src/runtime.rs` and one module file
/// per input file.
pub fn generate(db: &Database, sources: &SourceMap, options: &Options) -> Vec<File> {
    let model = Model::new(db, sources);
    let stamp = Stamp::new(sources);
    let mut files = vec![
        File {
            path: "Cargo.toml".into(),
            contents: cargo_toml(options, &stamp),
        },
        File {
            path: "src/runtime.rs".into(),
            contents: format!("{}\n{RUNTIME}", stamp.comment("//")),
        },
    ];
    let mut modules = Vec::new();
    for (file, module) in &model.file_modules {
        let tokens = model.file_tokens(*file);
        let body = format_tokens(tokens);
        let name = &sources.file(*file).name;
        files.push(File {
            path: format!("src/{module}.rs"),
            contents: format!(
                "//! Registers from `{}`.\n{}\n{body}",
                display_name(name),
                stamp.comment("//")
            ),
        });
        modules.push(module.clone());
    }
    files.push(File {
        path: "src/lib.rs".into(),
        contents: lib_rs(&model, &modules, &stamp),
    });
    files
}

/// The "generated, do not edit" header: which inputs, and a hash of their bytes.
struct Stamp {
    inputs: Vec<(String, u64)>,
}

/// FNV-1a, 64-bit: a stable fingerprint of the inputs, with no dependency.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// A path as shown in generated files: forward slashes, no leading `./`.
fn display_name(name: &str) -> String {
    name.replace('\\', "/").trim_start_matches("./").to_string()
}

impl Stamp {
    fn new(sources: &SourceMap) -> Stamp {
        Stamp {
            inputs: sources
                .files()
                .map(|(_, f)| (display_name(&f.name), fnv1a(f.text.as_bytes())))
                .collect(),
        }
    }

    fn comment(&self, prefix: &str) -> String {
        let mut s = format!(
            "{prefix} Generated by sysreg-gen (the `codegen` crate): do not edit.\n{prefix} Regenerate with `cargo xtask regen`. Inputs (FNV-1a 64 of their text):\n"
        );
        for (name, hash) in &self.inputs {
            let _ = writeln!(s, "{prefix}   {name}  {hash:016x}");
        }
        s
    }
}

fn cargo_toml(options: &Options, stamp: &Stamp) -> String {
    format!(
        "{}\n[package]\nname = \"{}\"\nversion = \"{}\"\nedition = \"2021\"\nrust-version = \"1.78\"\ndescription = \"Typed AArch64 system registers, generated from a sysreg database\"\nlicense = \"MIT OR Apache-2.0\"\npublish = false\n\n[dependencies]\n\n[features]\n# `Debug` for every value and enum type: off by default, it is a good part of the crate's\n# compile time and memory (a kernel prints registers its own way).\ndebug = []\n\n[lib]\ntest = false\ndoctest = false\n",
        stamp.comment("#"),
        options.crate_name,
        options.version
    )
}

fn lib_rs(model: &Model, modules: &[String], stamp: &Stamp) -> String {
    let mods = modules.iter().map(|m| {
        let m = format_ident!("{}", m);
        // `print`'s layout, close to rustfmt's but not the same: keep `cargo fmt` off the
        // generated modules.
        quote! {
            #[rustfmt::skip]
            pub mod #m;
            pub use #m::*;
        }
    });
    let lookup = model.name_lookup();
    let tokens = quote! {
        #[rustfmt::skip]
        mod runtime;
        pub use runtime::*;
        #(#mods)*
        #lookup
    };
    format!(
        "//! Typed AArch64 system registers: value types with field accessors, encodings, and\n//! `MRS`/`MSR` through a backend that is the hardware or a simulated register file.\n{}\n#![no_std]\n#![deny(missing_docs)]\n\n{}",
        stamp.comment("//"),
        format_tokens(tokens)
    )
}

/// `#[doc]` attributes, one per line, so they print as `///` lines.
fn docs(text: &str) -> TokenStream {
    let lines = text.split('\n').map(|line| {
        let line = if line.is_empty() || line.starts_with(' ') {
            doc_lit(line)
        } else {
            doc_lit(&format!(" {line}"))
        };
        quote!(#[doc = #line])
    });
    quote!(#(#lines)*)
}

/// A doc comment's text as the string literal of its `#[doc]` attribute: a raw string, as a
/// `///` comment becomes, which is far cheaper to make than an escaped one (regeneration makes
/// thousands).
fn doc_lit(text: &str) -> Literal {
    let mut hashes = String::new();
    while text.contains(&format!("\"{hashes}")) {
        hashes.push('#');
    }
    format!("r{hashes}\"{text}\"{hashes}")
        .parse()
        .unwrap_or_else(|_| Literal::string(text))
}

fn format_tokens(tokens: TokenStream) -> String {
    print::file(tokens)
}

// ---- The model: names and types decided before any code is emitted ------------------------

/// How a register's value is typed.
#[derive(Clone, Debug)]
enum ValueType {
    /// A value type of its own, in the register's module.
    Own(String),
    /// A value type defined elsewhere: the path from the crate root (`pmevtypern_el0::PmevtypernEl0`).
    Shared(String),
    /// No layout known (a `Fields`/`Mapping` that did not resolve, in lenient mode): raw `u64`.
    Raw,
}

struct RegInfo<'a> {
    reg: &'a Register,
    /// The register type's name: the register's own (`PMCR_EL0`), unless that is a keyword.
    ident: String,
    module: String,
    /// The name its value type has when it has a layout of its own (`PmcrEl0`).
    own_ty: String,
    value: ValueType,
}

struct Family {
    /// `PMEVCNTRn_EL0`.
    name: String,
    /// The module its items go in (the field set's, when one has the family's name).
    module: String,
    /// Registers in index order.
    members: Vec<usize>,
}

struct Model<'a> {
    db: &'a Database,
    sources: &'a SourceMap,
    regs: Vec<RegInfo<'a>>,
    /// Field set index -> (module, type).
    sets: Vec<(String, String)>,
    /// Input file -> module name, in input order.
    file_modules: Vec<(FileId, String)>,
    /// Families, keyed by the index of their first member.
    families: BTreeMap<usize, Family>,
    /// The register modules' items re-exported at the crate root: each name exactly one module
    /// defines (two registers' fields may both have a `Ras` enum; neither is re-exported, so
    /// the root has no ambiguous names).
    root_names: BTreeSet<String>,
    /// Where each enum type is defined, by what makes two the same (kind, width, named
    /// values): its first occurrence in input order (`id_pfr0_el1::Ras`). An identical one
    /// elsewhere is an alias of it, which halves the kernel crate's enum types and much of its
    /// compile time. Decided before any code is emitted, so that files can be emitted in any
    /// order, or at once.
    enum_homes: BTreeMap<EnumKey, String>,
}

/// Whose value type is being emitted: the register's or field set's name (for docs) and the
/// module the type goes in.
#[derive(Clone, Copy)]
struct Owner<'a> {
    name: &'a str,
    module: &'a str,
}

impl std::fmt::Display for Owner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// What makes two enum types interchangeable.
type EnumKey = (u8, u32, Vec<(String, Option<u64>)>);

fn enum_key(e: &Enumeration, width: u32) -> EnumKey {
    (
        e.kind as u8,
        width,
        e.values.iter().map(|v| (v.name.clone(), v.value)).collect(),
    )
}

/// The names the runtime (and `lib.rs`: `name_of`) defines at the crate root, read from the
/// runtime's source (its items start at the first column): a register module's item with one of
/// these names stays in its module.
fn runtime_names() -> BTreeSet<String> {
    const KINDS: [&str; 8] = [
        "struct", "trait", "fn", "enum", "type", "const", "static", "mod",
    ];
    let mut names: BTreeSet<String> = RUNTIME
        .lines()
        .filter(|line| line.starts_with("pub"))
        .filter_map(|line| {
            let mut words = line
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|w| !w.is_empty());
            // `pub const fn x`, `pub unsafe trait X`, `pub(crate) struct X<N>`.
            if words.next()? != "pub" {
                return None;
            }
            let mut kind = words.next()?;
            while matches!(kind, "crate" | "unsafe" | "extern")
                || (kind == "const" && line.contains("const fn"))
            {
                kind = words.next()?;
            }
            KINDS
                .contains(&kind)
                .then(|| words.next().map(str::to_string))
                .flatten()
        })
        .collect();
    names.insert("name_of".into());
    names
}

/// Names the generated code uses unqualified (prelude items, `Self`): no generated type may
/// take one, or it would shadow it in its module.
const PRELUDE_TYPES: &[&str] = &["Self", "Option", "Some", "None", "Default", "FnOnce"];

/// The value type's name for a register or field set called `name`: `PmcrEl0`, or `DefaultValue`
/// when the plain form would shadow a prelude name or be the register type's own name.
fn value_type_name(name: &str) -> String {
    let ty = camel(name);
    if ty == name || PRELUDE_TYPES.contains(&ty.as_str()) {
        format!("{ty}Value")
    } else {
        ty
    }
}

/// The type names one value type's items take, decided together so that none collides with
/// another in the module, with the register type, or with a prelude name: the main layout's
/// enum type per field, per Prefix view its type and its fields' enum types, and the layout
/// marker of each value type (`PmcrEl0Layout`, the parameter of `crate::Value`).
struct TypeNames {
    /// Per field of the main layout (in `Layout::fields` order): its enum type, if it has one.
    main: Vec<Option<String>>,
    /// Per Prefix view: its type, and its fields' enum types.
    views: Vec<(String, Vec<Option<String>>)>,
    /// The layout markers: the value type's, then each view's.
    markers: Vec<String>,
}

impl TypeNames {
    /// `ty` is the value type, `taken` the other names already in its module.
    fn new(ty: &str, taken: &[&str], layout: &Layout, prefixed: &[Layout]) -> TypeNames {
        let mut used: BTreeSet<String> = PRELUDE_TYPES
            .iter()
            .chain(taken)
            .map(|s| s.to_string())
            .collect();
        used.insert(ty.to_string());
        let mut fresh = |base: String, alt: String| {
            let mut name = base;
            let mut n = 2;
            while used.contains(&name) {
                name = if n == 2 {
                    alt.clone()
                } else {
                    format!("{alt}V{n}")
                };
                n += 1;
            }
            used.insert(name.clone());
            name
        };
        let views_tys: Vec<String> = prefixed
            .iter()
            .map(|view| {
                let prefix = view.prefix.as_ref().map_or("", |p| p.name.as_str());
                let base = format!("{ty}{}", camel(prefix));
                fresh(base.clone(), format!("{base}View"))
            })
            .collect();
        let mut enums = |layout: &Layout| -> Vec<Option<String>> {
            layout
                .fields()
                .map(|(entry, field)| {
                    field.enumeration.as_ref().map(|_| {
                        let base = camel(&field.name);
                        let alt = format!("{base}{}", entry.bits.lsb);
                        fresh(base, alt)
                    })
                })
                .collect()
        };
        let main = enums(layout);
        let views: Vec<(String, Vec<Option<String>>)> = views_tys
            .into_iter()
            .zip(prefixed)
            .map(|(t, view)| (t, enums(view)))
            .collect();
        // Named last, so that adding them changed no other name.
        let markers = std::iter::once(ty)
            .chain(views.iter().map(|(t, _)| t.as_str()))
            .map(|t| fresh(format!("{t}Layout"), format!("{t}LayoutMarker")))
            .collect();
        TypeNames {
            main,
            views,
            markers,
        }
    }

    /// `layout` and its views (`prefixed`), each with its fields' enum types.
    fn layouts<'a>(
        &'a self,
        layout: &'a Layout,
        prefixed: &'a [Layout],
    ) -> impl Iterator<Item = (&'a Layout, &'a [Option<String>])> {
        std::iter::once((layout, &self.main[..])).chain(
            prefixed
                .iter()
                .zip(&self.views)
                .map(|(view, (_, enums))| (view, &enums[..])),
        )
    }

    /// Every type named here (not the value type itself).
    fn all(&self) -> impl Iterator<Item = &String> {
        self.main.iter().flatten().chain(
            self.views
                .iter()
                .flat_map(|(t, e)| std::iter::once(t).chain(e.iter().flatten())),
        )
    }
}

impl<'a> Model<'a> {
    fn new(db: &'a Database, sources: &'a SourceMap) -> Model<'a> {
        let mut used_modules = BTreeSet::new();
        let mut unique = |base: String| {
            let mut name = base.clone();
            let mut n = 2;
            while !used_modules.insert(name.clone()) {
                name = format!("{base}_{n}");
                n += 1;
            }
            name
        };
        // Input files become modules named after them (`pmu.sysreg` -> `pmu`).
        let mut file_modules = Vec::new();
        // `core` and friends too: a module of that name would make `core::` paths ambiguous.
        for reserved in ["runtime", "lib", "core", "std", "alloc"] {
            unique(reserved.to_string());
        }
        for (id, file) in sources.files() {
            let stem = Path::new(&file.name)
                .file_stem()
                .map_or("sysreg".into(), |s| s.to_string_lossy().into_owned());
            // File names need not be identifiers (`awkward-names.sysreg`, `régs.sysreg`).
            let stem: String = stem
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            let base = if stem.trim_matches('_').is_empty() {
                "sysreg".to_string()
            } else {
                snake(&stem)
            };
            file_modules.push((id, unique(base)));
        }
        let sets: Vec<(String, String)> = db
            .field_sets
            .iter()
            .map(|s| (unique(snake(&s.name)), value_type_name(&s.name)))
            .collect();
        let mut regs: Vec<RegInfo> = db
            .registers
            .iter()
            .map(|reg| RegInfo {
                reg,
                ident: verbatim(&reg.name),
                module: unique(snake(&reg.name)),
                own_ty: value_type_name(&reg.name),
                value: ValueType::Raw,
            })
            .collect();
        for i in 0..regs.len() {
            regs[i].value = value_type(&regs, &sets, i);
        }
        let mut families = find_families(&regs, &mut unique);
        // A field set named like a family (`SysregFields PMEVTYPERn_EL0` for the
        // `PMEVTYPER<n>_EL0` registers) holds the family's items in its own module.
        for (_, family) in &mut families {
            if let Some(s) = db.field_sets.iter().position(|s| s.name == family.name) {
                family.module = sets[s].0.clone();
            }
        }
        let mut model = Model {
            db,
            sources,
            regs,
            sets,
            file_modules,
            families: BTreeMap::new(),
            root_names: BTreeSet::new(),
            enum_homes: BTreeMap::new(),
        };
        // Family members with an identical layout of their own share the first member's
        // value type, so the family reads and writes one type.
        for (first, family) in families {
            let lead = &model.regs[first];
            let lead_path = match &lead.value {
                ValueType::Own(t) => format!("{}::{t}", lead.module),
                ValueType::Shared(p) => p.clone(),
                ValueType::Raw => String::new(),
            };
            let lead_layout = own_layout(lead.reg).cloned();
            let mut ok = true;
            for &m in &family.members[1..] {
                let same_shared = matches!((&model.regs[m].value, &lead.value), (ValueType::Shared(a), ValueType::Shared(b)) if a == b)
                    || matches!(
                        (&model.regs[m].value, &lead.value),
                        (ValueType::Raw, ValueType::Raw)
                    );
                let same_own = match (own_layout(model.regs[m].reg), &lead_layout) {
                    (Some(a), Some(b)) => same_layout(a, b),
                    _ => false,
                };
                ok &= (same_shared || same_own) && model.regs[m].reg.access == lead.reg.access;
            }
            if !ok {
                continue;
            }
            for &m in &family.members[1..] {
                if matches!(model.regs[m].value, ValueType::Own(_)) {
                    model.regs[m].value = ValueType::Shared(lead_path.clone());
                }
            }
            model.families.insert(first, family);
        }
        // What the crate root re-exports: the names exactly one register module defines, that
        // are not a family's, a module's or the runtime's.
        let mut count: BTreeMap<String, usize> = BTreeMap::new();
        for i in 0..model.regs.len() {
            for name in model.module_type_names(i) {
                *count.entry(name).or_default() += 1;
            }
        }
        let others = model.families.values().map(|f| &f.name).chain(
            model
                .file_modules
                .iter()
                .map(|(_, m)| m)
                .chain(model.sets.iter().map(|(m, _)| m))
                .chain(model.regs.iter().map(|r| &r.module))
                .chain(model.families.values().map(|f| &f.module)),
        );
        for name in others {
            *count.entry(name.clone()).or_default() += 1;
        }
        let runtime = runtime_names();
        model.root_names = count
            .into_iter()
            .filter(|(name, n)| *n == 1 && !runtime.contains(name))
            .map(|(name, _)| name)
            .collect();
        model.enum_homes = model.find_enum_homes();
        model
    }

    /// Where each distinct enum type is defined: the first field with it, in the order the
    /// files and their items are emitted (`file_tokens`), and in each value type its main
    /// layout's fields, then its views'.
    fn find_enum_homes(&self) -> BTreeMap<EnumKey, String> {
        let mut homes = BTreeMap::new();
        let mut note = |module: &str, names: &TypeNames, layout: &Layout, prefixed: &[Layout]| {
            for (layout, names) in names.layouts(layout, prefixed) {
                for ((entry, field), name) in layout.fields().zip(names) {
                    if let (Some(e), Some(name)) = (&field.enumeration, name) {
                        homes
                            .entry(enum_key(e, entry.bits.width()))
                            .or_insert_with(|| format!("{module}::{name}"));
                    }
                }
            }
        };
        for (file, _) in &self.file_modules {
            for item in self.db.items() {
                match item {
                    sysreg_db::Item::Register(r) if r.loc.file == *file => {
                        let Some(info) = self.regs.iter().find(|x| std::ptr::eq(x.reg, r)) else {
                            continue;
                        };
                        if let (ValueType::Own(ty), RegisterBody::Layout(layout)) =
                            (&info.value, &r.body)
                        {
                            let names = TypeNames::new(ty, &[&info.ident], layout, &r.prefixed);
                            note(&info.module, &names, layout, &r.prefixed);
                        }
                    }
                    sysreg_db::Item::FieldSet(s) if s.loc.file == *file => {
                        let Some(i) = self.db.field_sets.iter().position(|x| std::ptr::eq(x, s))
                        else {
                            continue;
                        };
                        let (module, ty) = &self.sets[i];
                        let family = self.families.values().find(|f| f.name == s.name);
                        let taken: Vec<&str> =
                            family.map(|f| f.name.as_str()).into_iter().collect();
                        let names = TypeNames::new(ty, &taken, &s.layout, &s.prefixed);
                        note(module, &names, &s.layout, &s.prefixed);
                    }
                    _ => {}
                }
            }
        }
        homes
    }

    /// The names register `i`'s module defines: the register type, and its value type, Prefix
    /// views and enum types when it has a layout of its own.
    fn module_type_names(&self, i: usize) -> Vec<String> {
        let info = &self.regs[i];
        let mut names = vec![info.ident.clone()];
        if let (ValueType::Own(ty), RegisterBody::Layout(layout)) = (&info.value, &info.reg.body) {
            names.push(ty.clone());
            let types = TypeNames::new(ty, &[&info.ident], layout, &info.reg.prefixed);
            names.extend(types.all().cloned());
        }
        names
    }

    fn value_path(&self, i: usize) -> TokenStream {
        match &self.regs[i].value {
            ValueType::Own(t) => {
                let m = format_ident!("{}", self.regs[i].module);
                let t = format_ident!("{}", t);
                quote!(crate::#m::#t)
            }
            ValueType::Shared(p) => path_tokens(p),
            ValueType::Raw => quote!(u64),
        }
    }

    fn at(&self, loc: Loc) -> String {
        format!(
            "{}:{}",
            display_name(&self.sources.file(loc.file).name),
            loc.line
        )
    }

    /// Everything defined in input file `file`, in input order.
    fn file_tokens(&self, file: FileId) -> TokenStream {
        let mut out = TokenStream::new();
        for item in self.db.items() {
            match item {
                sysreg_db::Item::Register(r) if r.loc.file == file => {
                    let i = self
                        .db
                        .registers
                        .iter()
                        .position(|x| std::ptr::eq(x, r))
                        .unwrap_or(0);
                    out.extend(self.register_module(i));
                    if let Some(family) = self.families.get(&i) {
                        if !self.db.field_sets.iter().any(|s| s.name == family.name) {
                            let m = format_ident!("{}", family.module);
                            let doc = doc_lit(&self.family_doc(family));
                            let items = self.family_items(family);
                            let ident = format_ident!("{}", family.name);
                            out.extend(quote! {
                                #[doc = #doc]
                                pub mod #m {
                                    #items
                                }
                                pub use #m::#ident;
                            });
                        }
                    }
                }
                sysreg_db::Item::FieldSet(s) if s.loc.file == file => {
                    let i = self
                        .db
                        .field_sets
                        .iter()
                        .position(|x| std::ptr::eq(x, s))
                        .unwrap_or(0);
                    let family = self.families.values().find(|f| f.name == s.name);
                    out.extend(self.field_set_module(i, s, family));
                }
                _ => {}
            }
        }
        out
    }

    fn field_set_module(&self, i: usize, set: &FieldSet, family: Option<&Family>) -> TokenStream {
        let (module, ty) = &self.sets[i];
        let m = format_ident!("{}", module);
        let mut doc = format!(
            " `{}`: a layout shared by several registers (`SysregFields`, {}).",
            set.name,
            self.at(set.loc)
        );
        let taken: Vec<&str> = family.map(|f| f.name.as_str()).into_iter().collect();
        let owner = Owner {
            name: &set.name,
            module,
        };
        let value = self.value_type(ty, &taken, owner, &set.layout, &set.prefixed);
        let (items, export) = match family {
            Some(f) => {
                doc.push_str(&self.family_doc(f));
                let ident = format_ident!("{}", f.name);
                (self.family_items(f), Some(quote!(pub use #m::#ident;)))
            }
            None => (TokenStream::new(), None),
        };
        let doc = doc_lit(&doc);
        quote! {
            #[doc = #doc]
            pub mod #m {
                #value
                #items
            }
            #export
        }
    }

    fn family_doc(&self, family: &Family) -> String {
        let count = family.members.len();
        let first = &self.regs[family.members[0]].reg.name;
        let last = &self.regs[family.members[count - 1]].reg.name;
        format!(
            " `{}`: `{first}` .. `{last}` as one family of {count} registers, indexed by `n`.",
            family.name
        )
    }

    fn register_module(&self, i: usize) -> TokenStream {
        let info = &self.regs[i];
        let reg = info.reg;
        let m = format_ident!("{}", info.module);
        let e = reg.encoding;
        let access = match reg.access {
            Access::ReadWrite => "Read-write",
            Access::ReadOnly => "Read-only",
            Access::WriteOnly => "Write-only",
        };
        let mut doc = format!(
            " `{}`: encoding {} (op0 {}, op1 {}, CRn {}, CRm {}, op2 {}). {access}. Defined at {}.",
            reg.name,
            e,
            e.op0,
            e.op1,
            e.crn,
            e.crm,
            e.op2,
            self.at(reg.loc)
        );
        match &reg.body {
            RegisterBody::Fields(r) => {
                let _ = write!(doc, " Fields: `{}`.", r.name);
            }
            RegisterBody::Mapping(r) => {
                let _ = write!(doc, " An alias of `{}` (same fields).", r.name);
            }
            RegisterBody::Layout(_) => {}
        }
        let value = match (&info.value, &reg.body) {
            (ValueType::Own(ty), RegisterBody::Layout(layout)) => {
                let owner = Owner {
                    name: &reg.name,
                    module: &info.module,
                };
                self.value_type(ty, &[&info.ident], owner, layout, &reg.prefixed)
            }
            _ => TokenStream::new(),
        };
        let (exported, withheld): (Vec<String>, Vec<String>) = self
            .module_type_names(i)
            .into_iter()
            .partition(|n| self.root_names.contains(n));
        if !withheld.is_empty() {
            let list: Vec<String> = withheld.iter().map(|n| format!("`{n}`")).collect();
            let _ = write!(
                doc,
                " Not re-exported at the crate root (another item of the crate has the name): {}.",
                list.join(", ")
            );
        }
        let exported: Vec<Ident> = exported.iter().map(|n| format_ident!("{}", n)).collect();
        let export = match &exported[..] {
            [] => None,
            [one] => Some(quote!(pub use #m::#one;)),
            all => Some(quote!(pub use #m::{#(#all),*};)),
        };
        let register = self.register_type(i);
        let doc = doc_lit(&doc);
        quote! {
            #[doc = #doc]
            pub mod #m {
                #register
                #value
            }
            #export
        }
    }

    /// The zero-sized register type: encoding, traits, `MRS`/`MSR`, and hardware accessors.
    fn register_type(&self, i: usize) -> TokenStream {
        let reg = self.regs[i].reg;
        let name = &reg.name;
        let ident = format_ident!("{}", self.regs[i].ident);
        // Inside its own module, a register's own value type needs no path.
        let value = match &self.regs[i].value {
            ValueType::Own(t) => {
                let t = format_ident!("{}", t);
                quote!(#t)
            }
            _ => self.value_path(i),
        };
        let e = reg.encoding;
        let (op0, op1, crn, crm, op2) = (
            Literal::u8_unsuffixed(e.op0),
            Literal::u8_unsuffixed(e.op1),
            Literal::u8_unsuffixed(e.crn),
            Literal::u8_unsuffixed(e.crm),
            Literal::u8_unsuffixed(e.op2),
        );
        let doc = doc_lit(&format!(" The register `{name}` ({e})."));
        let mrs = format!("mrs {{}}, {e}");
        let msr = format!("msr {e}, {{}}");
        let read_doc = doc_lit(&format!(" Reads `{name}` (`MRS`)."));
        let write_doc = docs(&format!(
            "Writes `{name}` (`MSR`), with its RES1 bits set and its RES0 bits clear.\n\n# Safety\nWriting a system register changes what the CPU does: the caller must know this\nwrite keeps memory safety and what the rest of the program relies on."
        ));
        let modify_doc = docs(&format!(
            "Reads `{name}`, applies `f`, writes the result back.\n\n# Safety\nAs for [`{name}::write`]."
        ));
        let readable = reg.access.readable().then(|| {
            quote! {
                impl crate::Readable for #ident {
                    #[cfg(target_arch = "aarch64")]
                    #[inline(always)]
                    fn mrs() -> u64 {
                        let bits: u64;
                        // SAFETY: reading this register has no effect beyond its value.
                        unsafe {
                            core::arch::asm!(#mrs, out(reg) bits, options(nomem, nostack, preserves_flags));
                        }
                        bits
                    }
                }
            }
        });
        let writable = reg.access.writable().then(|| {
            quote! {
                impl crate::Writable for #ident {
                    #[cfg(target_arch = "aarch64")]
                    #[inline(always)]
                    unsafe fn msr(bits: u64) {
                        // SAFETY: the caller upholds `Backend::write`'s contract. No `nomem`:
                        // the write may change how memory behaves.
                        unsafe {
                            core::arch::asm!(#msr, in(reg) bits, options(nostack, preserves_flags));
                        }
                    }
                }
            }
        });
        let read_fn = reg.access.readable().then(|| {
            quote! {
                #[doc = #read_doc]
                #[inline(always)]
                pub fn read() -> #value {
                    crate::Backend::read::<Self>(&mut crate::Hardware)
                }
            }
        });
        let write_fn = reg.access.writable().then(|| {
            quote! {
                #write_doc
                #[inline(always)]
                pub unsafe fn write(value: #value) {
                    // SAFETY: forwarded to the caller.
                    unsafe { crate::Backend::write::<Self>(&mut crate::Hardware, value) }
                }
            }
        });
        let modify_fn = (reg.access == Access::ReadWrite).then(|| {
            quote! {
                #modify_doc
                #[inline(always)]
                pub unsafe fn modify(f: impl FnOnce(#value) -> #value) {
                    // SAFETY: forwarded to the caller.
                    unsafe { crate::Backend::modify::<Self>(&mut crate::Hardware, f) }
                }
            }
        });
        quote! {
            #[doc = #doc]
            #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
            pub struct #ident;

            impl crate::SysReg for #ident {
                const NAME: &'static str = #name;
                const ENCODING: crate::Encoding = crate::Encoding::new(#op0, #op1, #crn, #crm, #op2);
                type Value = #value;
            }

            #readable
            #writable

            #[cfg(target_arch = "aarch64")]
            impl #ident {
                #read_fn
                #write_fn
                #modify_fn
            }
        }
    }

    /// `PMEVCNTRn_EL0`: the family's registers by runtime and compile-time index.
    fn family_items(&self, family: &Family) -> TokenStream {
        let lead = family.members[0];
        let value = self.value_path(lead);
        let name = &family.name;
        let ident = format_ident!("{}", name);
        let count = family.members.len();
        let count_lit = Literal::usize_unsuffixed(count);
        let doc = doc_lit(&self.family_doc(family));
        let idx: Vec<Literal> = (0..count).map(Literal::usize_unsuffixed).collect();
        let keys: Vec<Literal> = family
            .members
            .iter()
            .map(|&i| Literal::u16_unsuffixed(key(self.regs[i].reg.encoding)))
            .collect();
        let paths: Vec<TokenStream> = family
            .members
            .iter()
            .map(|&i| {
                let m = format_ident!("{}", self.regs[i].module);
                let r = format_ident!("{}", self.regs[i].ident);
                quote!(crate::#m::#r)
            })
            .collect();
        let access = self.regs[lead].reg.access;
        let read = access.readable().then(|| {
            let doc = doc_lit(&format!(
                " Reads `{name}` for a runtime `n` (a jump table); `None` if `n >= {count}`."
            ));
            quote! {
                #[doc = #doc]
                #[inline]
                pub fn read<B: crate::Backend>(backend: &mut B, n: usize) -> Option<#value> {
                    Some(match n {
                        #(#idx => backend.read::<#paths>(),)*
                        _ => return None,
                    })
                }
            }
        });
        let write = access.writable().then(|| {
            let doc = docs(&format!("Writes `{name}` for a runtime `n`; `false` (and no write) if `n >= {count}`.\n\n# Safety\nAs for `Backend::write`."));
            quote! {
                #doc
                #[inline]
                pub unsafe fn write<B: crate::Backend>(backend: &mut B, n: usize, value: #value) -> bool {
                    // SAFETY: forwarded to the caller.
                    unsafe {
                        match n {
                            #(#idx => backend.write::<#paths>(value),)*
                            _ => return false,
                        }
                    }
                    true
                }
            }
        });
        let nth = idx.iter().zip(&paths).map(|(n, p)| {
            quote! {
                impl crate::Nth<#n> for #ident {
                    type Reg = #p;
                }
            }
        });
        quote! {
                #[doc = #doc]
                #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
                pub struct #ident;

                impl #ident {
                    /// How many registers the family has.
                    pub const COUNT: usize = #count_lit;

                    /// The encoding of register `n`.
                    #[inline]
                    pub const fn encoding(n: usize) -> Option<crate::Encoding> {
                        match n {
                            #(#idx => Some(<#paths as crate::SysReg>::ENCODING),)*
                            _ => None,
                        }
                    }

                    /// Which register of the family `encoding` is (e.g. from a trapped access).
                    #[inline]
                    pub const fn index_of(encoding: crate::Encoding) -> Option<usize> {
                        match encoding.key() {
                            #(#keys => Some(#idx),)*
                            _ => None,
                        }
                    }

                    #read
                    #write
                }

                #(#nth)*
        }
    }

    /// A value type for `layout` (and its Prefix views).
    /// `taken`: the other type names in the module (the register type).
    fn value_type(
        &self,
        ty: &str,
        taken: &[&str],
        owner: Owner,
        layout: &Layout,
        prefixed: &[Layout],
    ) -> TokenStream {
        let names = TypeNames::new(ty, taken, layout, prefixed);
        let view_methods: Vec<String> = prefixed
            .iter()
            .map(|view| {
                let prefix = view.prefix.as_ref().map_or("", |p| p.name.as_str());
                format!("as_{}", snake(prefix).trim_start_matches('_'))
            })
            .collect();
        let main = (ty, names.markers[0].as_str());
        let mut out = self.one_value_type(main, owner, layout, None, &names.main, &view_methods);
        for (((view, (view_ty, enums)), method), marker) in prefixed
            .iter()
            .zip(&names.views)
            .zip(&view_methods)
            .zip(&names.markers[1..])
        {
            let prefix = view.prefix.as_ref().map_or("", |p| p.name.as_str());
            let types = (view_ty.as_str(), marker.as_str());
            out.extend(self.one_value_type(types, owner, view, Some(prefix), enums, &[]));
            let method = format_ident!("{}", method);
            let ident = format_ident!("{}", ty);
            let view_ident = format_ident!("{}", view_ty);
            let doc = doc_lit(&format!(
                " The same bits seen through the `{prefix}` layout."
            ));
            out.extend(quote! {
                impl #ident {
                    #[doc = #doc]
                    #[inline(always)]
                    pub const fn #method(self) -> #view_ident {
                        #view_ident::from_bits(self.to_bits())
                    }
                }
            });
        }
        out
    }

    /// A value type (`ty`: it and its layout marker): an alias of `crate::Value` with the field
    /// accessors. `enums`: the enum type of each field (`TypeNames`); `methods`: method names
    /// taken besides the value type's own (its views' `as_*`).
    fn one_value_type(
        &self,
        (ty, marker): (&str, &str),
        owner: Owner,
        layout: &Layout,
        prefix: Option<&str>,
        enums: &[Option<String>],
        methods: &[String],
    ) -> TokenStream {
        let ident = format_ident!("{}", ty);
        let marker_ident = format_ident!("{}", marker);
        let view = prefix.map_or(String::new(), |p| format!(" (the `{p}` layout)"));
        let doc = doc_lit(&format!(
            " A value of `{owner}`{view}: its bits, with typed field accessors."
        ));
        let marker_doc = doc_lit(&format!(
            " The layout of [`{ty}`], the type parameter of its [`crate::Value`]: its name and masks."
        ));
        let (res0, res1, unkn) = (hex(layout.res0()), hex(layout.res1()), hex(layout.unkn()));
        let res0_doc = doc_lit(&format!(
            " RES0 bits: {}.",
            ranges(layout, |k| matches!(k, EntryKind::Res0))
        ));
        let res1_doc = doc_lit(&format!(
            " RES1 bits: {}.",
            ranges(layout, |k| matches!(k, EntryKind::Res1))
        ));
        let unkn_doc = doc_lit(&format!(
            " UNKNOWN bits: {}.",
            ranges(layout, |k| matches!(k, EntryKind::Unkn))
        ));
        let mut used: BTreeSet<String> = ["new", "from_bits", "to_bits"]
            .iter()
            .map(|s| s.to_string())
            .chain(methods.iter().cloned())
            .collect();
        let mut methods = Vec::new();
        let mut enum_types = Vec::new();
        let mut getters = Vec::new();
        for ((entry, field), enum_ty) in layout.fields().zip(enums) {
            // A getter and its `with_*` setter, neither taken (`Type` -> `type_`, `with_type`).
            let base = snake(&field.name);
            let mut name = base.clone();
            let mut n = 1;
            while used.contains(&name) || used.contains(&setter_name(&name)) {
                name = match n {
                    1 => format!("{base}_{}", entry.bits.lsb),
                    _ => format!("{base}_{}_{n}", entry.bits.lsb),
                };
                n += 1;
            }
            used.insert(name.clone());
            used.insert(setter_name(&name));
            let (m, e) = self.field(owner, entry, field, &name, enum_ty.as_deref());
            methods.push(m);
            enum_types.extend(e);
            getters.push(name);
        }
        // Getters named like the methods some lints expect a partner or a trait for.
        let mut allow = Vec::new();
        if getters.iter().any(|g| g == "len") {
            allow.push(quote!(clippy::len_without_is_empty));
        }
        if getters.iter().any(|g| g == "neg" || g == "not") {
            allow.push(quote!(clippy::should_implement_trait));
        }
        let allow = (!allow.is_empty()).then(|| quote!(#[allow(#(#allow),*)]));
        quote! {
            #[doc = #doc]
            pub type #ident = crate::Value<#marker_ident>;

            #[doc = #marker_doc]
            pub struct #marker_ident;

            impl crate::Layout for #marker_ident {
                const NAME: &'static str = #ty;
                #[doc = #res0_doc]
                const RES0: u64 = #res0;
                #[doc = #res1_doc]
                const RES1: u64 = #res1;
                #[doc = #unkn_doc]
                const UNKN: u64 = #unkn;
            }

            #allow
            impl #ident {
                #(#methods)*
            }

            #(#enum_types)*
        }
    }

    /// The getter (`name`) and setter of one field, and its enum type (named `enum_ty`) if it
    /// has one.
    fn field(
        &self,
        owner: Owner,
        entry: &Entry,
        field: &Field,
        name: &str,
        enum_ty: Option<&str>,
    ) -> (TokenStream, Option<TokenStream>) {
        let bits = entry.bits;
        let width = bits.width();
        let getter = format_ident!("{}", name);
        let setter = format_ident!("{}", setter_name(name));
        let range = if bits.msb == bits.lsb {
            format!("bit {}", bits.msb)
        } else {
            format!("bits {}:{}", bits.msb, bits.lsb)
        };
        let at = self.at(entry.loc);
        let lsb = Literal::u8_unsuffixed(bits.lsb);
        let low = hex_min(if width == 64 {
            u64::MAX
        } else {
            (1u64 << width) - 1
        });
        // The runtime's `get_bits`/`set_bits` do the shifting and masking (one call per accessor,
        // the least for the compiler to check); a 64-bit field is the whole value.
        let get_bits = if width == 64 {
            quote!(self.0)
        } else {
            narrow(quote!(crate::get_bits(self.0, #lsb, #low)), width)
        };
        let set = |value: TokenStream| {
            if width == 64 {
                quote!(Self::from_bits(#value))
            } else {
                let value = widen(value, width);
                quote!(crate::set_bits(self, #lsb, #low, #value))
            }
        };
        match &field.enumeration {
            None if width == 1 => {
                let doc = doc_lit(&format!(" `{}`, {range} ({at}).", field.name));
                let set_doc = doc_lit(&format!(
                    " This value with `{}` set to `value`.",
                    field.name
                ));
                (
                    quote! {
                        #[doc = #doc]
                        #[inline(always)]
                        pub const fn #getter(self) -> bool {
                            crate::get_bit(self.0, #lsb)
                        }
                        #[doc = #set_doc]
                        #[inline(always)]
                        pub const fn #setter(self, value: bool) -> Self {
                            crate::set_bit(self, #lsb, value)
                        }
                    },
                    None,
                )
            }
            None => {
                let int = int_type(width);
                let doc = doc_lit(&format!(" `{}`, {range} ({at}).", field.name));
                let set_doc = doc_lit(&format!(
                    " This value with `{}` set to `value` (bits above its {width} are dropped).",
                    field.name
                ));
                let put_bits = set(quote!(value));
                (
                    quote! {
                        #[doc = #doc]
                        #[inline(always)]
                        pub const fn #getter(self) -> #int {
                            #get_bits
                        }
                        #[doc = #set_doc]
                        #[inline(always)]
                        pub const fn #setter(self, value: #int) -> Self {
                            #put_bits
                        }
                    },
                    None,
                )
            }
            Some(enumeration) => {
                let enum_ty = enum_ty.map_or_else(|| camel(&field.name), str::to_string);
                let enum_ident = format_ident!("{}", enum_ty);
                let kind = match enumeration.kind {
                    EnumKind::Plain => "an `Enum` (values compare only for equality)",
                    EnumKind::Signed => {
                        "a `SignedEnum` (ordered as a signed number: `0b1111` is -1)"
                    }
                    EnumKind::Unsigned => "an `UnsignedEnum` (ordered: higher means more)",
                };
                let doc = doc_lit(&format!(" `{}`, {range} ({at}): {kind}.", field.name));
                let set_doc = doc_lit(&format!(
                    " This value with `{}` set to `value`.",
                    field.name
                ));
                let put_bits = set(quote!(value.to_bits()));
                (
                    quote! {
                        #[doc = #doc]
                        #[inline(always)]
                        pub const fn #getter(self) -> #enum_ident {
                            #enum_ident::from_bits(#get_bits)
                        }
                        #[doc = #set_doc]
                        #[inline(always)]
                        pub const fn #setter(self, value: #enum_ident) -> Self {
                            #put_bits
                        }
                    },
                    Some(self.enum_type(&enum_ty, owner, field, enumeration, entry)),
                )
            }
        }
    }

    fn enum_type(
        &self,
        ty: &str,
        owner: Owner,
        field: &Field,
        e: &Enumeration,
        entry: &Entry,
    ) -> TokenStream {
        let ident = format_ident!("{}", ty);
        let width = entry.bits.width();
        let int = int_type(width);
        let here = format!("{}::{ty}", owner.module);
        let first = self
            .enum_homes
            .get(&enum_key(e, width))
            .filter(|first| **first != here);
        if let Some(first) = first {
            let path = path_tokens(first);
            // The link names the full path when the type is another module's (it is not in
            // scope here); rustdoc rejects the path as redundant when it is this one's.
            let (module, name) = first.rsplit_once("::").unwrap_or(("", first));
            let target = if module == owner.module {
                String::new()
            } else {
                format!("(crate::{first})")
            };
            let doc = doc_lit(&format!(
                " The values of `{owner}.{}` ({}): the same as [`{name}`]{target}.",
                field.name,
                self.at(entry.loc),
            ));
            return quote! {
                #[doc = #doc]
                pub type #ident = #path;
            };
        }
        let kind = match e.kind {
            EnumKind::Plain => "Its values have no order: compare them for equality.",
            EnumKind::Signed => "Ordered as a signed number (`0b1111` is -1, usually \"not implemented\"): use [`Self::value`] and [`Self::at_least`].",
            EnumKind::Unsigned => "Ordered as an unsigned number (a higher value implements more): use [`Self::at_least`].",
        };
        let doc = doc_lit(&format!(
            " The values of `{owner}.{}` ({}). Values the database does not name are kept as they are. {kind}",
            field.name,
            self.at(entry.loc)
        ));
        // Named values: one constant each. Lenient mode lets through values wider than the
        // field (left out) and names used twice; a name that, as a constant, is already taken
        // by another value gets the value as a suffix (`a` = 0b10 beside `A` = 0b00 is `A_2`),
        // one taken by the same value is left out.
        let mut names: BTreeMap<String, (u64, &str)> = BTreeMap::new();
        let mut consts = Vec::new();
        let mut arms = Vec::new();
        let mut seen_values = BTreeSet::new();
        for v in &e.values {
            let Some(value) = v.value.filter(|&n| width == 64 || n >> width == 0) else {
                continue;
            };
            let mut cname = constant(&v.name);
            if let Some(&(taken, _)) = names.get(&cname) {
                if taken == value {
                    continue;
                }
                cname = format!("{cname}_{value}");
                if names.contains_key(&cname) {
                    continue;
                }
            }
            names.insert(cname.clone(), (value, &v.name));
            let c = format_ident!("{}", cname);
            let lit = binary(value, width);
            let doc = doc_lit(&format!(
                " `{}` = {} ({}).",
                v.name,
                v.spelling,
                self.at(v.loc)
            ));
            consts.push(quote! {
                #[doc = #doc]
                pub const #c: Self = Self(#lit);
            });
            if seen_values.insert(value) {
                let name = &v.name;
                arms.push(quote!(#lit => Some(#name),));
            }
        }
        // `IMP_DEF`, `NI`, `IMP`: constants of those names made from values of those names.
        let has = |n: &str| names.get(n).is_some_and(|&(_, name)| name == n);
        let imp_def = has("IMP_DEF");
        let order = match e.kind {
            EnumKind::Plain => TokenStream::new(),
            EnumKind::Signed => {
                let sint = format_ident!("i{}", int_bits(width));
                let pad = Literal::u32_unsuffixed(int_bits(width) - width);
                let value = if int_bits(width) == width {
                    quote!(self.0 as #sint)
                } else {
                    quote!(((self.0 << #pad) as #sint) >> #pad)
                };
                quote! {
                    /// The value as a signed number (`0b1111` in a 4-bit field is -1).
                    #[inline(always)]
                    pub const fn value(self) -> #sint {
                        #value
                    }
                    /// Whether this is `min` or more, comparing as signed numbers.
                    #[inline(always)]
                    pub const fn at_least(self, min: Self) -> bool {
                        self.value() >= min.value()
                    }
                }
            }
            EnumKind::Unsigned if imp_def => quote! {
                /// Whether this is `min` or more. `IMP_DEF` is outside the order (an
                /// implementation-defined unit, not a newer version): it is never at least
                /// anything.
                #[inline(always)]
                pub const fn at_least(self, min: Self) -> bool {
                    self.0 != Self::IMP_DEF.0 && self.0 >= min.0
                }
            },
            EnumKind::Unsigned => quote! {
                /// Whether this is `min` or more.
                #[inline(always)]
                pub const fn at_least(self, min: Self) -> bool {
                    self.0 >= min.0
                }
            },
        };
        let implemented = (e.kind != EnumKind::Plain && has("NI") && has("IMP")).then(|| {
            quote! {
                /// Whether the feature is implemented: at least `IMP`.
                #[inline(always)]
                pub const fn is_implemented(self) -> bool {
                    self.at_least(Self::IMP)
                }
            }
        });
        let debug_name = ty;
        let as_u64 = widen(quote!(self.0), width);
        // A field as wide as its integer type keeps every bit (`bits & 0xff` upsets clippy).
        let from_bits = if int_bits(width) == width {
            quote!(Self(bits))
        } else {
            let low = hex_min((1u64 << width) - 1);
            quote!(Self(bits & #low))
        };
        quote! {
            #[doc = #doc]
            #[derive(Clone, Copy, PartialEq)]
            #[repr(transparent)]
            pub struct #ident(#int);

            impl Eq for #ident {}

            impl #ident {
                #(#consts)*

                /// The value with these bits (bits above the field's width are dropped).
                #[inline(always)]
                pub const fn from_bits(bits: #int) -> Self {
                    #from_bits
                }

                /// The raw bits.
                #[inline(always)]
                pub const fn to_bits(self) -> #int {
                    self.0
                }

                /// The database's name for this value, if it has one.
                #[inline]
                pub const fn name(self) -> Option<&'static str> {
                    match self.0 {
                        #(#arms)*
                        _ => None,
                    }
                }

                #order
                #implemented
            }

            #[cfg(feature = "debug")]
            impl core::fmt::Debug for #ident {
                fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                    match self.name() {
                        Some(name) => f.write_str(name),
                        None => crate::debug_bits(f, #debug_name, #as_u64),
                    }
                }
            }
        }
    }

    /// `name_of(encoding)`: which register an encoding is, for trap decoding and logs.
    fn name_lookup(&self) -> TokenStream {
        let mut by_key = BTreeMap::new();
        for info in &self.regs {
            by_key
                .entry(key(info.reg.encoding))
                .or_insert(&info.reg.name);
        }
        let keys = by_key.keys().map(|&k| Literal::u16_unsuffixed(k));
        let names = by_key.values();
        quote! {
            /// The name of the register with `encoding`, if the database defines one.
            pub const fn name_of(encoding: Encoding) -> Option<&'static str> {
                match encoding.key() {
                    #(#keys => Some(#names),)*
                    _ => None,
                }
            }
        }
    }
}

/// The setter of the field whose getter is `getter`: `with_` and the name without the `_` added
/// to keywords and leading digits (`type_` -> `with_type`).
fn setter_name(getter: &str) -> String {
    format!(
        "with_{}",
        getter.trim_end_matches('_').trim_start_matches('_')
    )
}

fn key(e: Encoding) -> u16 {
    (e.op0 as u16) << 14
        | (e.op1 as u16) << 11
        | (e.crn as u16) << 7
        | (e.crm as u16) << 3
        | e.op2 as u16
}

fn own_layout(reg: &Register) -> Option<&Layout> {
    match &reg.body {
        RegisterBody::Layout(l) if reg.prefixed.is_empty() => Some(l),
        _ => None,
    }
}

/// Whether two layouts describe the same bits the same way (names, ranges, kinds, values).
fn same_layout(a: &Layout, b: &Layout) -> bool {
    fn same_entry(x: &Entry, y: &Entry) -> bool {
        x.bits == y.bits
            && match (&x.kind, &y.kind) {
                (EntryKind::Field(f), EntryKind::Field(g)) => {
                    f.name == g.name
                        && match (&f.enumeration, &g.enumeration) {
                            (None, None) => true,
                            (Some(e), Some(h)) => {
                                e.kind == h.kind
                                    && e.values.len() == h.values.len()
                                    && e.values
                                        .iter()
                                        .zip(&h.values)
                                        .all(|(v, w)| v.name == w.name && v.value == w.value)
                            }
                            _ => false,
                        }
                }
                (k, l) => std::mem::discriminant(k) == std::mem::discriminant(l),
            }
    }
    a.entries.len() == b.entries.len()
        && a.entries
            .iter()
            .zip(&b.entries)
            .all(|(x, y)| same_entry(x, y))
}

fn value_type(regs: &[RegInfo], sets: &[(String, String)], i: usize) -> ValueType {
    // Follow Mappings to the register (or field set) that has the layout.
    let mut at = i;
    for _ in 0..=regs.len() {
        let reg = regs[at].reg;
        match &reg.body {
            RegisterBody::Layout(_) if at == i => return ValueType::Own(regs[at].own_ty.clone()),
            RegisterBody::Layout(_) => {
                return ValueType::Shared(format!("{}::{}", regs[at].module, regs[at].own_ty))
            }
            RegisterBody::Fields(r) => {
                return match r.target {
                    Some(s) => ValueType::Shared(format!("{}::{}", sets[s].0, sets[s].1)),
                    None => ValueType::Raw,
                }
            }
            RegisterBody::Mapping(r) => match r.target {
                Some(t) => at = t,
                None => return ValueType::Raw,
            },
        }
    }
    ValueType::Raw
}

/// Groups registers whose names differ only in one decimal number, numbered 0..n-1 (n >= 4).
fn find_families(
    regs: &[RegInfo],
    unique: &mut impl FnMut(String) -> String,
) -> Vec<(usize, Family)> {
    let mut groups: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
    for (i, info) in regs.iter().enumerate() {
        let name = &info.reg.name;
        let bytes = name.as_bytes();
        let mut j = 0;
        while j < bytes.len() {
            if bytes[j].is_ascii_digit() {
                let start = j;
                while j < bytes.len() && bytes[j].is_ascii_digit() {
                    j += 1;
                }
                // Only a number after letters and before `_` counts (`ICH_LR3_EL2`, not `EL2`).
                if start > 0
                    && bytes[start - 1].is_ascii_alphabetic()
                    && bytes.get(j) == Some(&b'_')
                {
                    if let Ok(n) = name[start..j].parse::<usize>() {
                        if name[start..j] == n.to_string() {
                            let pattern = format!("{}n{}", &name[..start], &name[j..]);
                            groups.entry(pattern).or_default().push((n, i));
                        }
                    }
                }
            } else {
                j += 1;
            }
        }
    }
    let mut out = Vec::new();
    for (pattern, mut members) in groups {
        members.sort();
        let contiguous = members.iter().enumerate().all(|(k, &(n, _))| k == n);
        if members.len() < 4 || !contiguous {
            continue;
        }
        let first = members[0].1;
        out.push((
            first,
            Family {
                module: unique(snake(&pattern)),
                name: pattern,
                members: members.into_iter().map(|(_, i)| i).collect(),
            },
        ));
    }
    out
}

/// `v as u64`, or `v` when the field's integer type is already `u64`.
fn widen(v: TokenStream, width: u32) -> TokenStream {
    if int_bits(width) == 64 {
        v
    } else {
        quote!(#v as u64)
    }
}

/// `v as uN` for the field's integer type (`v` a call or a path), or `v` when that is `u64`.
fn narrow(v: TokenStream, width: u32) -> TokenStream {
    if int_bits(width) == 64 {
        v
    } else {
        let int = int_type(width);
        quote!(#v as #int)
    }
}

fn path_tokens(path: &str) -> TokenStream {
    let parts = path.split("::").map(|p| format_ident!("{}", p));
    quote!(crate #(:: #parts)*)
}

fn int_bits(width: u32) -> u32 {
    match width {
        0..=8 => 8,
        9..=16 => 16,
        17..=32 => 32,
        _ => 64,
    }
}

fn int_type(width: u32) -> Ident {
    format_ident!("u{}", int_bits(width))
}

/// A `u64` literal in hex, grouped by 16 bits (`0xffff_0000_0000_0001`).
fn hex(v: u64) -> Literal {
    hex_int(v, 64)
}

fn hex_int(v: u64, width: u32) -> Literal {
    let digits = (int_bits(width) / 4) as usize;
    let raw = format!("{v:0digits$x}");
    let mut grouped = String::from("0x");
    for (i, c) in raw.chars().enumerate() {
        if i > 0 && (raw.len() - i) % 4 == 0 {
            grouped.push('_');
        }
        grouped.push(c);
    }
    grouped.parse().expect("a valid integer literal")
}

/// A hex literal with no leading zeros, grouped by 16 bits (`0x1f`, `0x1_0000_0000`).
fn hex_min(v: u64) -> Literal {
    let raw = format!("{v:x}");
    let mut grouped = String::from("0x");
    for (i, c) in raw.chars().enumerate() {
        if i > 0 && (raw.len() - i) % 4 == 0 {
            grouped.push('_');
        }
        grouped.push(c);
    }
    grouped.parse().expect("a valid integer literal")
}

/// A field value as a binary literal with the field's width of digits (`0b0101`).
fn binary(v: u64, width: u32) -> Literal {
    format!("0b{v:0w$b}", w = width as usize)
        .parse()
        .expect("a valid integer literal")
}

/// `63:32, 26:1`, or `none`.
fn ranges(layout: &Layout, want: fn(&EntryKind) -> bool) -> String {
    let parts: Vec<String> = layout
        .entries
        .iter()
        .filter(|e| want(&e.kind))
        .map(|e| e.bits.to_string())
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_names_are_read_from_the_runtime() {
        let names = runtime_names();
        for name in [
            "Encoding",
            "RegisterValue",
            "SysReg",
            "Readable",
            "Writable",
            "Backend",
            "write_bits",
            "Hardware",
            "RegisterFile",
            "Nth",
            "debug_bits",
            "name_of",
        ] {
            assert!(names.contains(name), "{name} missing from {names:?}");
        }
    }

    #[test]
    fn value_type_names_avoid_prelude_and_register_names() {
        assert_eq!(value_type_name("PMCR_EL0"), "PmcrEl0");
        assert_eq!(value_type_name("DEFAULT"), "DefaultValue");
        assert_eq!(value_type_name("Foo"), "FooValue");
    }
}
