//! The project's own register database, `sysreg-db/data/*.sysreg`, checked on its own and
//! against the kernel's v6.19 database.
//!
//! The project's files are written so that the kernel could adopt them: wherever both define a
//! register, its encoding, its field names and positions (in every layout, the default one and
//! each `Prefix` one), and the kind and values of each enumerated field must be the kernel's.
//! The exceptions are listed in [`DELIBERATE`], each with its reason; an entry that no longer
//! matches a real difference fails the test too, so the list cannot go stale.
//!
//! On its own the database must load strictly with no diagnostic at all, define every register
//! the project needs ([`REQUIRED`]), spell out the PMEVCNTR<n>/PMEVTYPER<n> (and ICH_LR<n>)
//! arrays at the architectural encodings, and mark exactly the registers in [`READ_ONLY`] and
//! [`WRITE_ONLY`] with `#@ access`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;
use sysreg_db::{
    load, Access, BitRange, Database, Encoding, EnumKind, Layout, Options, Register, RegisterBody,
    SourceFile, SourceMap,
};
use sysreg_tests::corpus_dir;

/// The kernel version the project's database is kept in line with.
const KERNEL_VERSION: &str = "linux-2025-v6.19";

/// What part of a register two databases disagree on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Aspect {
    /// The `Sysreg` line's op0, op1, CRn, CRm, op2.
    Encoding,
    /// A field present in one layout only, or at other bits; for the pseudo-fields `RES0`,
    /// `RES1`, `UNKN` and `RAZ`, different reserved bits.
    Position,
    /// `Field` against one of the `*Enum` directives, or two different `*Enum` directives.
    EnumKind,
    /// Enumerated values with other names or numbers.
    EnumValues,
    /// A `Prefix` layout only one side has (the field is the prefix name).
    Prefix,
}

/// A difference from the kernel that the project makes on purpose.
struct Deliberate {
    register: &'static str,
    /// The field; `PREFIX/FIELD` for a field of a prefixed layout; `-` for the encoding.
    field: &'static str,
    aspect: Aspect,
    reason: &'static str,
}

/// Every deliberate difference between `sysreg-db/data` and the kernel's database.
const DELIBERATE: &[Deliberate] = &[
    Deliberate {
        register: "ID_AA64DFR0_EL1",
        field: "HPMN0",
        aspect: Aspect::EnumKind,
        reason: "UnsignedEnum here, plain Enum in the kernel: a plain Enum gets no \
                 ID_AA64DFR0_EL1_HPMN0_SIGNED macro, which feature checks paste \
                 (sysreg-format.md section 7)",
    },
    Deliberate {
        register: "ID_AA64DFR0_EL1",
        field: "HPMN0",
        aspect: Aspect::EnumValues,
        reason: "NI/IMP (the Arm ARM's names, as for every other ID field) where the kernel \
                 has UNPREDICTABLE/DEF",
    },
];

/// Every register the project needs, apart from the arrays checked by encoding below
/// (PMEVCNTR<n>_EL0, PMEVTYPER<n>_EL0, ICH_LR<n>_EL2).
const REQUIRED: &[&str] = &[
    // pmu.sysreg
    "PMCR_EL0",
    "PMCNTENSET_EL0",
    "PMCNTENCLR_EL0",
    "PMINTENSET_EL1",
    "PMINTENCLR_EL1",
    "PMOVSSET_EL0",
    "PMOVSCLR_EL0",
    "PMSWINC_EL0",
    "PMSELR_EL0",
    "PMCEID0_EL0",
    "PMCEID1_EL0",
    "PMCCNTR_EL0",
    "PMCCFILTR_EL0",
    "PMXEVTYPER_EL0",
    "PMXEVCNTR_EL0",
    "PMUSERENR_EL0",
    "PMMIR_EL1",
    "PMICNTR_EL0",
    "PMICFILTR_EL0",
    "PMZR_EL0",
    "PMUACR_EL1",
    "PMSSCR_EL1",
    "PMECR_EL1",
    "PMIAR_EL1",
    // el2.sysreg
    "MDCR_EL2",
    "HDFGRTR_EL2",
    "HDFGWTR_EL2",
    "HDFGRTR2_EL2",
    "HDFGWTR2_EL2",
    "HCR_EL2",
    "ESR_EL2",
    "ELR_EL2",
    "SPSR_EL2",
    "FAR_EL2",
    "VBAR_EL2",
    "SCTLR_EL2",
    "CNTHCTL_EL2",
    "CNTVOFF_EL2",
    "VTTBR_EL2",
    "VPIDR_EL2",
    "VMPIDR_EL2",
    "CurrentEL",
    "MPIDR_EL1",
    "SPSR_EL1",
    "ELR_EL1",
    "VBAR_EL1",
    "ESR_EL1",
    "ICH_HCR_EL2",
    "ICH_VTR_EL2",
    "ICH_MISR_EL2",
    "ICH_ELRSR_EL2",
    "ICH_VMCR_EL2",
    "ICC_SRE_EL2",
    "ICC_SRE_EL1",
    "ICC_PMR_EL1",
    "ICC_IGRPEN1_EL1",
    "ICC_CTLR_EL1",
    "ICC_IAR1_EL1",
    "ICC_EOIR1_EL1",
    "ICC_DIR_EL1",
    "ICC_SGI1R_EL1",
    // id.sysreg
    "ID_AA64DFR0_EL1",
    "ID_AA64DFR1_EL1",
    "ID_AA64MMFR0_EL1",
    "ID_AA64PFR0_EL1",
    "MIDR_EL1",
];

/// Exactly the registers marked `#@ access RO`.
const READ_ONLY: &[&str] = &[
    "PMCEID0_EL0",
    "PMCEID1_EL0",
    "PMMIR_EL1",
    "CurrentEL",
    "MPIDR_EL1",
    "ICH_VTR_EL2",
    "ICH_MISR_EL2",
    "ICH_ELRSR_EL2",
    "ICC_IAR1_EL1",
    "ID_AA64DFR0_EL1",
    "ID_AA64DFR1_EL1",
    "ID_AA64MMFR0_EL1",
    "ID_AA64PFR0_EL1",
    "MIDR_EL1",
];

/// Exactly the registers marked `#@ access WO`.
const WRITE_ONLY: &[&str] = &[
    "PMSWINC_EL0",
    "PMZR_EL0",
    "ICC_EOIR1_EL1",
    "ICC_DIR_EL1",
    "ICC_SGI1R_EL1",
];

/// The registers with one bit per counter (P<n>, C, F0), all described by one field set.
const COUNTER_BITMASK_REGISTERS: &[&str] = &[
    "PMCNTENSET_EL0",
    "PMCNTENCLR_EL0",
    "PMINTENSET_EL1",
    "PMINTENCLR_EL1",
    "PMOVSSET_EL0",
    "PMOVSCLR_EL0",
    "PMZR_EL0",
    "PMUACR_EL1",
];

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sysreg-db/data")
}

/// Every `*.sysreg` file of the project's database, sorted by name.
fn data_files() -> Vec<PathBuf> {
    let dir = data_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "sysreg"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no *.sysreg files in {}", dir.display());
    files
}

fn sources(paths: &[PathBuf]) -> SourceMap {
    let mut sources = SourceMap::new();
    for path in paths {
        let bytes =
            std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        sources.add(SourceFile::from_bytes(path.display().to_string(), bytes));
    }
    sources
}

/// The project's database, loaded strictly; any diagnostic at all fails the test.
fn project_db() -> Database {
    let sources = sources(&data_files());
    let loaded = load(&sources, &Options::default());
    let count = loaded.diagnostics.iter().count() + loaded.diagnostics.dropped();
    assert!(
        count == 0,
        "sysreg-db/data must load with no diagnostic, got {count}:\n{}",
        loaded.diagnostics.render(&sources)
    );
    loaded.database.expect("no diagnostics, so a database")
}

/// The kernel's database. It has one warning of its own (`MPAM1_EL12` names a missing field
/// set), so only errors fail here.
fn kernel_db() -> Database {
    let path = corpus_dir().join(KERNEL_VERSION).join("sysreg");
    assert!(
        path.is_file(),
        "the kernel's database is missing: expected {}",
        path.display()
    );
    let sources = sources(std::slice::from_ref(&path));
    let loaded = load(&sources, &Options::default());
    loaded.database.unwrap_or_else(|| {
        panic!(
            "{} does not load:\n{}",
            path.display(),
            loaded.diagnostics.render(&sources)
        )
    })
}

/// One place where the two databases disagree.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Difference {
    register: String,
    field: String,
    aspect: Aspect,
    detail: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{} ({:?}): {}",
            self.register, self.field, self.aspect, self.detail
        )
    }
}

/// A named field as compared: its bits, and its enum kind and sorted values if enumerated.
type FieldView = (BitRange, Option<(EnumKind, BTreeSet<(u64, String)>)>);

fn fields_of(layout: &Layout) -> BTreeMap<String, FieldView> {
    layout
        .fields()
        .map(|(entry, field)| {
            let enumeration = field.enumeration.as_ref().map(|e| {
                let values = e
                    .values
                    .iter()
                    .map(|v| {
                        let value = v.value.unwrap_or_else(|| {
                            panic!("{}: enum value {} is not binary", field.name, v.spelling)
                        });
                        (value, v.name.clone())
                    })
                    .collect();
                (e.kind, values)
            });
            (field.name.clone(), (entry.bits, enumeration))
        })
        .collect()
}

fn kind_name(view: &FieldView) -> &'static str {
    view.1
        .as_ref()
        .map_or("Field", |(kind, _)| kind.directive())
}

fn show_values(values: &BTreeSet<(u64, String)>) -> String {
    let shown: Vec<String> = values
        .iter()
        .map(|(value, name)| format!("{value:#b} {name}"))
        .collect();
    shown.join(", ")
}

/// The differences between two layouts of `register`; `prefix` qualifies field names.
fn compare_layouts(
    register: &str,
    prefix: Option<&str>,
    ours: &Layout,
    kernel: &Layout,
    out: &mut Vec<Difference>,
) {
    let qualify = |field: &str| match prefix {
        Some(p) => format!("{p}/{field}"),
        None => field.to_string(),
    };
    let mut push = |field: &str, aspect: Aspect, detail: String| {
        out.push(Difference {
            register: register.to_string(),
            field: qualify(field),
            aspect,
            detail,
        })
    };

    for (name, ours_mask, kernel_mask) in [
        ("RES0", ours.res0(), kernel.res0()),
        ("RES1", ours.res1(), kernel.res1()),
        ("UNKN", ours.unkn(), kernel.unkn()),
        ("RAZ", ours.raz(), kernel.raz()),
    ] {
        if ours_mask != kernel_mask {
            push(
                name,
                Aspect::Position,
                format!("{ours_mask:#018x} here, {kernel_mask:#018x} in the kernel"),
            );
        }
    }

    let ours = fields_of(ours);
    let kernel = fields_of(kernel);
    for name in ours.keys().chain(kernel.keys()).collect::<BTreeSet<_>>() {
        let (o, k) = match (ours.get(name), kernel.get(name)) {
            (Some(o), Some(k)) => (o, k),
            (Some(o), None) => {
                push(name, Aspect::Position, format!("only here, at {}", o.0));
                continue;
            }
            (None, Some(k)) => {
                push(
                    name,
                    Aspect::Position,
                    format!("only in the kernel, at {}", k.0),
                );
                continue;
            }
            (None, None) => unreachable!(),
        };
        if o.0 != k.0 {
            push(
                name,
                Aspect::Position,
                format!("at {} here, at {} in the kernel", o.0, k.0),
            );
            continue;
        }
        if kind_name(o) != kind_name(k) {
            push(
                name,
                Aspect::EnumKind,
                format!("{} here, {} in the kernel", kind_name(o), kind_name(k)),
            );
        }
        if let (Some((_, ov)), Some((_, kv))) = (&o.1, &k.1) {
            if ov != kv {
                push(
                    name,
                    Aspect::EnumValues,
                    format!(
                        "[{}] here, [{}] in the kernel",
                        show_values(ov),
                        show_values(kv)
                    ),
                );
            }
        }
    }
}

/// The prefixed layouts of a register: its own, or those of the field set or register its
/// `Fields`/`Mapping` line names.
fn prefixed_layouts<'a>(db: &'a Database, register: &'a Register) -> &'a [Layout] {
    let mut reg = register;
    for _ in 0..=db.registers.len() {
        match &reg.body {
            RegisterBody::Layout(_) => return &reg.prefixed,
            RegisterBody::Fields(r) => {
                return r.target.map_or(&[], |i| &db.field_sets[i].prefixed);
            }
            RegisterBody::Mapping(r) => match r.target {
                Some(i) => reg = &db.registers[i],
                None => return &[],
            },
        }
    }
    &[]
}

/// The prefixed layouts of a register by prefix name.
fn by_prefix(db: &Database, register: &Register) -> BTreeMap<String, Layout> {
    prefixed_layouts(db, register)
        .iter()
        .map(|l| {
            (
                l.prefix.as_ref().expect("a prefixed layout").name.clone(),
                l.clone(),
            )
        })
        .collect()
}

fn compare_registers(
    ours_db: &Database,
    ours: &Register,
    kernel_db: &Database,
    kernel: &Register,
    out: &mut Vec<Difference>,
) {
    let name = ours.name.as_str();
    if ours.encoding != kernel.encoding {
        out.push(Difference {
            register: name.to_string(),
            field: "-".to_string(),
            aspect: Aspect::Encoding,
            detail: format!("{} here, {} in the kernel", ours.encoding, kernel.encoding),
        });
    }
    let resolve = |db: &Database, reg: &Register| {
        db.effective_layout(reg)
            .unwrap_or_else(|| panic!("{name}: its Fields/Mapping reference does not resolve"))
            .clone()
    };
    compare_layouts(
        name,
        None,
        &resolve(ours_db, ours),
        &resolve(kernel_db, kernel),
        out,
    );

    let ours_prefixed = by_prefix(ours_db, ours);
    let kernel_prefixed = by_prefix(kernel_db, kernel);
    let prefixes: BTreeSet<&String> = ours_prefixed.keys().chain(kernel_prefixed.keys()).collect();
    for prefix in prefixes {
        match (ours_prefixed.get(prefix), kernel_prefixed.get(prefix)) {
            (Some(o), Some(k)) => compare_layouts(name, Some(prefix), o, k, out),
            (o, _) => out.push(Difference {
                register: name.to_string(),
                field: prefix.clone(),
                aspect: Aspect::Prefix,
                detail: if o.is_some() {
                    "prefixed layout only here".to_string()
                } else {
                    "prefixed layout only in the kernel".to_string()
                },
            }),
        }
    }
}

#[test]
fn project_database_agrees_with_the_kernel() {
    let ours = project_db();
    let kernel = kernel_db();

    let mut differences = Vec::new();
    let mut checked = Vec::new();
    for reg in ours.registers_by_name() {
        if let Some(k) = kernel.register(&reg.name) {
            compare_registers(&ours, reg, &kernel, k, &mut differences);
            checked.push(reg.name.as_str());
        }
    }
    differences.sort();
    eprintln!(
        "cross-checked {} registers against {KERNEL_VERSION}: {}",
        checked.len(),
        checked.join(" ")
    );
    assert!(
        checked.len() >= 20,
        "only {} registers in common with the kernel: is the project's database complete?",
        checked.len()
    );

    let (explained, unexplained, stale) = reconcile(&differences, DELIBERATE);
    for d in explained {
        eprintln!("deliberate difference: {d}");
    }
    let unexplained: Vec<String> = unexplained.iter().map(|d| format!("  {d}")).collect();
    let stale: Vec<String> = stale
        .iter()
        .map(|e| {
            format!(
                "  {}.{} ({:?}): {}",
                e.register, e.field, e.aspect, e.reason
            )
        })
        .collect();
    assert!(
        unexplained.is_empty() && stale.is_empty(),
        "sysreg-db/data and the kernel's {KERNEL_VERSION} database disagree\n\
         differences not in DELIBERATE (fix the file, or add an entry with its reason):\n{}\n\
         DELIBERATE entries that match no difference (remove them):\n{}",
        unexplained.join("\n"),
        stale.join("\n")
    );
}

/// Splits `differences` into those `table` explains and those it does not, and returns the
/// table entries that match no difference.
fn reconcile<'a, 'b>(
    differences: &'a [Difference],
    table: &'b [Deliberate],
) -> (
    Vec<&'a Difference>,
    Vec<&'a Difference>,
    Vec<&'b Deliberate>,
) {
    let matches = |e: &Deliberate, d: &Difference| {
        e.register == d.register && e.field == d.field && e.aspect == d.aspect
    };
    let (explained, unexplained) = differences
        .iter()
        .partition(|d| table.iter().any(|e| matches(e, d)));
    let stale = table
        .iter()
        .filter(|e| !differences.iter().any(|d| matches(e, d)))
        .collect();
    (explained, unexplained, stale)
}

fn load_text(text: &str) -> Database {
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new("test.sysreg", text.as_bytes()));
    let loaded = load(&sources, &Options::default());
    loaded
        .database
        .unwrap_or_else(|| panic!("{}", loaded.diagnostics.render(&sources)))
}

/// The checker itself: every kind of difference is found and named, and the table check
/// reports both unexplained differences and stale entries.
#[test]
fn the_cross_check_finds_every_kind_of_difference() {
    let ours = load_text(
        "Sysreg\tA_EL1\t3\t0\t0\t0\t1\n\
         Prefix\tFEAT_X\nRes0\t63:1\nField\t0\tX\nEndPrefix\n\
         Res0\t63:12\n\
         UnsignedEnum\t11:8\tK\n\t0b0000\tNI\n\t0b0001\tIMP\nEndEnum\n\
         Enum\t7:4\tV\n\t0b0000\tNI\n\t0b0001\tIMP\nEndEnum\n\
         Field\t3:2\tMOVED\n\
         Field\t1\tONLY_OURS\n\
         Res0\t0\n\
         EndSysreg\n\
         SysregFields\tSHARED\nRes0\t63:1\nField\t0\tS\nEndSysregFields\n\
         Sysreg\tB_EL1\t3\t0\t0\t0\t2\nFields\tSHARED\nEndSysreg\n",
    );
    let kernel = load_text(
        "Sysreg\tA_EL1\t3\t0\t0\t0\t0\n\
         Res0\t63:12\n\
         Enum\t11:8\tK\n\t0b0000\tNI\n\t0b0001\tIMP\nEndEnum\n\
         Enum\t7:4\tV\n\t0b0000\tNI\n\t0b0001\tDEF\nEndEnum\n\
         Field\t3\tMOVED\n\
         Res0\t2:0\n\
         EndSysreg\n\
         Sysreg\tB_EL1\t3\t0\t0\t0\t2\nRes0\t63:1\nField\t0\tS\nEndSysreg\n",
    );
    let mut found = Vec::new();
    for name in ["A_EL1", "B_EL1"] {
        let (o, k) = (ours.register(name).unwrap(), kernel.register(name).unwrap());
        compare_registers(&ours, o, &kernel, k, &mut found);
    }
    found.sort();
    let keys: Vec<(&str, &str, Aspect)> = found
        .iter()
        .map(|d| (d.register.as_str(), d.field.as_str(), d.aspect))
        .collect();
    // B_EL1 says `Fields SHARED` here and spells the layout out in the kernel: the same.
    assert_eq!(
        keys,
        [
            ("A_EL1", "-", Aspect::Encoding),
            ("A_EL1", "FEAT_X", Aspect::Prefix),
            ("A_EL1", "K", Aspect::EnumKind),
            ("A_EL1", "MOVED", Aspect::Position),
            ("A_EL1", "ONLY_OURS", Aspect::Position),
            ("A_EL1", "RES0", Aspect::Position),
            ("A_EL1", "V", Aspect::EnumValues),
        ],
        "{found:#?}"
    );

    let table = [
        Deliberate {
            register: "A_EL1",
            field: "K",
            aspect: Aspect::EnumKind,
            reason: "explains one",
        },
        Deliberate {
            register: "A_EL1",
            field: "K",
            aspect: Aspect::EnumValues,
            reason: "matches nothing",
        },
    ];
    let (explained, unexplained, stale) = reconcile(&found, &table);
    assert_eq!(explained.len(), 1);
    assert_eq!(unexplained.len(), found.len() - 1);
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0].reason, "matches nothing");
}

#[test]
fn project_database_defines_every_register_the_project_needs() {
    let db = project_db();
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|name| db.register(name).is_none())
        .collect();
    assert!(missing.is_empty(), "registers missing: {missing:?}");
}

/// Checks `name` is at `encoding` and is described by the field set `fields`.
fn assert_array_member(db: &Database, name: &str, encoding: Encoding, fields: &str) {
    let reg = db
        .register(name)
        .unwrap_or_else(|| panic!("{name} is not defined"));
    assert_eq!(reg.encoding, encoding, "{name}: wrong encoding");
    match &reg.body {
        RegisterBody::Fields(r) => assert_eq!(r.name, fields, "{name}: wrong field set"),
        _ => panic!("{name} should say `Fields {fields}`"),
    }
}

#[test]
fn counter_arrays_have_the_architectural_encodings() {
    let db = project_db();
    let enc = |op1, crn, crm, op2| Encoding {
        op0: 3,
        op1,
        crn,
        crm,
        op2,
    };
    for n in 0..=30u8 {
        let (crm_high, op2) = (n >> 3, n & 7);
        assert_array_member(
            &db,
            &format!("PMEVCNTR{n}_EL0"),
            enc(3, 14, 8 + crm_high, op2),
            "PMEVCNTRx_EL0",
        );
        assert_array_member(
            &db,
            &format!("PMEVTYPER{n}_EL0"),
            enc(3, 14, 12 + crm_high, op2),
            "PMEVTYPERx_EL0",
        );
    }
    // n = 31 of either array is not a register of that name: PMCCFILTR_EL0 takes the slot.
    for name in ["PMEVCNTR31_EL0", "PMEVTYPER31_EL0"] {
        assert!(db.register(name).is_none(), "{name} must not exist");
    }
    assert_eq!(
        db.register("PMCCFILTR_EL0").unwrap().encoding,
        enc(3, 14, 15, 7)
    );
    for n in 0..=15u8 {
        assert_array_member(
            &db,
            &format!("ICH_LR{n}_EL2"),
            enc(4, 12, 12 + (n >> 3), n & 7),
            "ICH_LRx_EL2",
        );
    }
    for name in COUNTER_BITMASK_REGISTERS {
        let reg = db.register(name).unwrap();
        assert!(
            matches!(&reg.body, RegisterBody::Fields(r) if r.name == "PMU_COUNTERS"),
            "{name} should say `Fields PMU_COUNTERS`"
        );
    }
    let counters = &db.field_set("PMU_COUNTERS").unwrap().layout;
    for (field, msb, lsb) in [("F0", 32, 32), ("C", 31, 31), ("P", 30, 0)] {
        let (entry, _) = counters
            .field(field)
            .unwrap_or_else(|| panic!("PMU_COUNTERS.{field} missing"));
        assert_eq!(entry.bits, BitRange { msb, lsb }, "PMU_COUNTERS.{field}");
    }
}

#[test]
fn access_annotations_are_exactly_the_listed_ones() {
    let db = project_db();
    let with = |access: Access| -> BTreeSet<&str> {
        db.registers
            .iter()
            .filter(|r| r.access == access)
            .map(|r| r.name.as_str())
            .collect()
    };
    let expected = |names: &[&'static str]| names.iter().copied().collect::<BTreeSet<_>>();
    assert_eq!(with(Access::ReadOnly), expected(READ_ONLY), "read-only set");
    assert_eq!(
        with(Access::WriteOnly),
        expected(WRITE_ONLY),
        "write-only set"
    );
}

#[test]
fn id_aa64pfr0_fp_is_the_signed_enum_example() {
    let db = project_db();
    let reg = db.register("ID_AA64PFR0_EL1").unwrap();
    let layout = db.effective_layout(reg).unwrap();
    for field in ["FP", "AdvSIMD"] {
        let (_, f) = layout.field(field).unwrap();
        let e = f.enumeration.as_ref().unwrap();
        assert_eq!(e.kind, EnumKind::Signed, "ID_AA64PFR0_EL1.{field}");
        assert!(
            e.values
                .iter()
                .any(|v| v.name == "NI" && v.value == Some(0b1111)),
            "ID_AA64PFR0_EL1.{field} should have 0b1111 NI"
        );
    }
}

/// The three files exist, and every file starts with a comment header that explains the
/// `#@ access` extension.
#[test]
fn data_files_start_with_a_header() {
    let files = data_files();
    for expected in ["el2.sysreg", "id.sysreg", "pmu.sysreg"] {
        assert!(
            files
                .iter()
                .any(|p| p.file_name().is_some_and(|n| n == expected)),
            "sysreg-db/data/{expected} is missing"
        );
    }
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with('#') && text.contains("#@ access"),
            "{}: should start with a comment header that mentions `#@ access`",
            path.display()
        );
    }
}
