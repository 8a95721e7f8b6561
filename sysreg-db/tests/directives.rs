//! One test per directive of the sysreg format (and per lexical rule): each loads a small inline
//! database and checks the IR built from it, down to masks, enum values and source locations.

use sysreg_db::{
    load, BitRange, Database, EntryKind, EnumKind, FileId, Item, Layout, Loaded, Loc, Options,
    RegisterBody, SourceFile, SourceMap,
};

/// Loads `files` (name, text) as one database; returns the sources and the result.
fn load_files(files: &[(&str, &str)], options: &Options) -> (SourceMap, Loaded) {
    let mut sources = SourceMap::new();
    for (name, text) in files {
        sources.add(SourceFile::new(*name, text.as_bytes()));
    }
    let loaded = load(&sources, options);
    (sources, loaded)
}

/// Loads a valid database: no diagnostic at all is allowed.
fn db_of_files(files: &[(&str, &str)]) -> Database {
    let (sources, loaded) = load_files(files, &Options::default());
    let rendered = loaded.diagnostics.render(&sources);
    assert!(rendered.is_empty(), "unexpected diagnostics:\n{rendered}");
    loaded.database.expect("no errors, so a database")
}

fn db(text: &str) -> Database {
    db_of_files(&[("test.sysreg", text)])
}

fn loc(line: u32, col: u32) -> Loc {
    Loc {
        file: FileId(0),
        line,
        col,
    }
}

fn bits(msb: u8, lsb: u8) -> BitRange {
    BitRange { msb, lsb }
}

/// The kernel's `GENMASK_ULL(h, l)`.
fn genmask(h: u32, l: u32) -> u64 {
    (u64::MAX >> (63 - h)) & (u64::MAX << l)
}

/// `(bits, what)` of every entry of a layout, `what` being the field name or `Res0`, ...
fn slices(layout: &Layout) -> Vec<(BitRange, String)> {
    layout
        .entries
        .iter()
        .map(|e| {
            let what = match &e.kind {
                EntryKind::Field(f) => f.name.clone(),
                EntryKind::Res0 => "Res0".into(),
                EntryKind::Res1 => "Res1".into(),
                EntryKind::Unkn => "Unkn".into(),
                EntryKind::Raz => "Raz".into(),
            };
            (e.bits, what)
        })
        .collect()
}

fn own_layout(db: &Database, reg: &str) -> Layout {
    match &db.register(reg).expect("register exists").body {
        RegisterBody::Layout(l) => l.clone(),
        other => panic!("{reg} has no layout of its own: {other:?}"),
    }
}

#[test]
fn sysreg_block_has_encoding_layout_and_locations() {
    let db = db("Sysreg\tMDCCINT_EL1\t2\t0\t0\t2\t0\n\
         Res0\t63:31\n\
         Field\t30\tRX\n\
         Field\t29\tTX\n\
         Res0\t28:0\n\
         EndSysreg\n");
    assert_eq!(db.registers.len(), 1);
    assert!(db.field_sets.is_empty());
    let reg = db.register("MDCCINT_EL1").unwrap();
    assert_eq!(reg.name, "MDCCINT_EL1");
    let e = reg.encoding;
    assert_eq!((e.op0, e.op1, e.crn, e.crm, e.op2), (2, 0, 0, 2, 0));
    assert_eq!(e.to_string(), "S2_0_C0_C2_0");
    assert_eq!(e.s_name(), "S2_0_C0_C2_0");
    assert_eq!(reg.loc, loc(1, 1));
    assert_eq!(reg.end, loc(6, 1));
    assert!(reg.prefixed.is_empty());
    let layout = own_layout(&db, "MDCCINT_EL1");
    assert!(layout.prefix.is_none());
    assert_eq!(
        slices(&layout),
        [
            (bits(63, 31), "Res0".to_string()),
            (bits(30, 30), "RX".to_string()),
            (bits(29, 29), "TX".to_string()),
            (bits(28, 0), "Res0".to_string()),
        ]
    );
    let locs: Vec<Loc> = layout.entries.iter().map(|e| e.loc).collect();
    assert_eq!(locs, [loc(2, 1), loc(3, 1), loc(4, 1), loc(5, 1)]);
    assert_eq!(layout.res0(), genmask(63, 31) | genmask(28, 0));
    assert_eq!(layout.res0(), 0xffff_ffff_9fff_ffff);
    assert_eq!((layout.res1(), layout.unkn(), layout.raz()), (0, 0, 0));
    // The effective layout of a register with fields of its own is that layout.
    let effective = db.effective_layout(reg).unwrap();
    assert_eq!(slices(effective), slices(&layout));
}

#[test]
fn sysreg_encoding_operands_are_read_in_order() {
    let db = db("Sysreg\tSPMZR_EL0\t2\t3\t9\t12\t4\nField\t63:0\tVAL\nEndSysreg\n");
    let e = db.register("SPMZR_EL0").unwrap().encoding;
    assert_eq!((e.op0, e.op1, e.crn, e.crm, e.op2), (2, 3, 9, 12, 4));
    assert_eq!(e.to_string(), "S2_3_C9_C12_4");
}

#[test]
fn sysreg_fields_block_has_no_encoding_and_its_own_layout() {
    let db = db("SysregFields\tZCR_ELx\n\
         Res0\t63:9\n\
         Raz\t8:4\n\
         Field\t3:0\tLEN\n\
         EndSysregFields\n");
    assert!(db.registers.is_empty());
    assert_eq!(db.field_sets.len(), 1);
    let fs = db.field_set("ZCR_ELx").unwrap();
    assert_eq!(fs.name, "ZCR_ELx");
    assert_eq!(fs.loc, loc(1, 1));
    assert_eq!(fs.end, loc(5, 1));
    assert!(fs.prefixed.is_empty());
    assert_eq!(
        slices(&fs.layout),
        [
            (bits(63, 9), "Res0".to_string()),
            (bits(8, 4), "Raz".to_string()),
            (bits(3, 0), "LEN".to_string()),
        ]
    );
    assert_eq!(fs.layout.res0(), genmask(63, 9));
    assert_eq!(fs.layout.raz(), 0x1f0);
    assert_eq!((fs.layout.res1(), fs.layout.unkn()), (0, 0));
    let (entry, field) = fs.layout.field("LEN").unwrap();
    assert_eq!(entry.bits, bits(3, 0));
    assert_eq!(entry.bits.width(), 4);
    assert_eq!(entry.bits.mask(), 0xf);
    assert!(field.enumeration.is_none());
    // A SysregFields name is not a register name.
    assert!(db.register("ZCR_ELx").is_none());
}

#[test]
fn sysreg_and_sysreg_fields_names_are_separate_namespaces() {
    let db = db("Sysreg\tFOO\t3\t0\t0\t0\t0\nRes0\t63:0\nEndSysreg\n\
         SysregFields\tFOO\nRes1\t63:0\nEndSysregFields\n");
    assert_eq!(db.register("FOO").unwrap().loc, loc(1, 1));
    assert_eq!(db.field_set("FOO").unwrap().loc, loc(4, 1));
    assert_eq!(db.field_set("FOO").unwrap().layout.res1(), u64::MAX);
}

#[test]
fn fields_refers_to_a_sysreg_fields_block_defined_later() {
    let db = db("Sysreg\tSMCR_EL1\t3\t0\t1\t2\t6\n\
         Fields\tSMCR_ELx\n\
         EndSysreg\n\
         \n\
         SysregFields\tSMCR_ELx\n\
         Res0\t63:32\n\
         Field\t31\tFA64\n\
         Res0\t30:9\n\
         Raz\t8:4\n\
         Field\t3:0\tLEN\n\
         EndSysregFields\n");
    let reg = db.register("SMCR_EL1").unwrap();
    let RegisterBody::Fields(r) = &reg.body else {
        panic!("expected a Fields body, got {:?}", reg.body);
    };
    assert_eq!(r.name, "SMCR_ELx");
    assert_eq!(r.loc, loc(2, 8));
    assert_eq!(r.target, Some(0));
    assert_eq!(db.field_sets[0].name, "SMCR_ELx");
    assert_eq!(reg.end, loc(3, 1));
    let effective = db.effective_layout(reg).unwrap();
    assert_eq!(effective.field("FA64").unwrap().0.bits, bits(31, 31));
    assert_eq!(effective.raz(), genmask(8, 4));
    assert_eq!(effective.res0(), genmask(63, 32) | genmask(30, 9));
}

#[test]
fn mapping_refers_to_a_sysreg_and_is_followed_transitively() {
    // CPACR_EL12 is defined before its target, ALIAS_EL02 maps onto the alias.
    let db = db("Sysreg\tCPACR_EL12\t3\t5\t1\t0\t2\n\
         Mapping\tCPACR_EL1\n\
         EndSysreg\n\
         Sysreg\tCPACR_EL1\t3\t0\t1\t0\t2\n\
         Res0\t63:30\n\
         Field\t29\tE0POE\n\
         Res0\t28:0\n\
         EndSysreg\n\
         Sysreg\tALIAS_EL02\t3\t5\t1\t0\t3\n\
         Mapping\tCPACR_EL12\n\
         EndSysreg\n");
    let alias = db.register("CPACR_EL12").unwrap();
    let RegisterBody::Mapping(r) = &alias.body else {
        panic!("expected a Mapping body, got {:?}", alias.body);
    };
    assert_eq!(r.name, "CPACR_EL1");
    assert_eq!(r.loc, loc(2, 9));
    assert_eq!(r.target, Some(1));
    assert_eq!(db.registers[1].name, "CPACR_EL1");
    let RegisterBody::Mapping(r2) = &db.register("ALIAS_EL02").unwrap().body else {
        panic!("expected a Mapping body");
    };
    assert_eq!(r2.target, Some(0));
    for name in ["CPACR_EL12", "ALIAS_EL02"] {
        let layout = db.effective_layout(db.register(name).unwrap()).unwrap();
        assert_eq!(
            layout.field("E0POE").unwrap().0.bits,
            bits(29, 29),
            "{name}"
        );
    }
    // An alias keeps its own encoding.
    assert_eq!(alias.encoding.to_string(), "S3_5_C1_C0_2");
}

#[test]
fn field_takes_a_single_bit_or_a_range() {
    let db = db("Sysreg\tMDSCR_EL1\t2\t0\t0\t2\t2\n\
         Field\t63:32\tHIGH\n\
         Field\t31\tTFO\n\
         Field\t30:1\tMID\n\
         Field\t0\tSS\n\
         EndSysreg\n");
    let layout = own_layout(&db, "MDSCR_EL1");
    let fields: Vec<(&str, BitRange, u32, u64)> = layout
        .fields()
        .map(|(e, f)| (f.name.as_str(), e.bits, e.bits.width(), e.bits.mask()))
        .collect();
    assert_eq!(
        fields,
        [
            ("HIGH", bits(63, 32), 32, 0xffff_ffff_0000_0000),
            ("TFO", bits(31, 31), 1, 0x8000_0000),
            ("MID", bits(30, 1), 30, 0x7fff_fffe),
            ("SS", bits(0, 0), 1, 1),
        ]
    );
    assert_eq!(layout.field("SS").unwrap().0.loc, loc(5, 1));
    assert_eq!(bits(31, 31).to_string(), "31");
    assert_eq!(bits(30, 1).to_string(), "30:1");
    assert_eq!((layout.res0(), layout.res1()), (0, 0));
    // Leading zeros are allowed and do not change the value.
    let db = db_of_files(&[(
        "z.sysreg",
        "Sysreg\tZ\t3\t0\t0\t0\t0\nField\t063:00\tALL\nEndSysreg\n",
    )]);
    assert_eq!(own_layout(&db, "Z").entries[0].bits, bits(63, 0));
}

#[test]
fn res0_res1_unkn_and_raz_build_the_masks() {
    let db = db("Sysreg\tCCSIDR_EL1\t3\t1\t0\t0\t0\n\
         Res0\t63:56\n\
         Res1\t55:48\n\
         Res0\t47:40\n\
         Unkn\t39:32\n\
         Field\t31:28\tNUM\n\
         Unkn\t27:24\n\
         Raz\t23:16\n\
         Res1\t15\n\
         Raz\t14:0\n\
         EndSysreg\n");
    let layout = own_layout(&db, "CCSIDR_EL1");
    assert_eq!(layout.res0(), genmask(63, 56) | genmask(47, 40));
    assert_eq!(layout.res1(), genmask(55, 48) | genmask(15, 15));
    assert_eq!(layout.unkn(), genmask(39, 32) | genmask(27, 24));
    assert_eq!(layout.raz(), genmask(23, 16) | genmask(14, 0));
    assert_eq!(layout.fields().count(), 1);
    let all = layout.res0() | layout.res1() | layout.unkn() | layout.raz() | genmask(31, 28);
    assert_eq!(all, u64::MAX);
    let kinds: Vec<&str> = layout
        .entries
        .iter()
        .map(|e| match e.kind {
            EntryKind::Res0 => "Res0",
            EntryKind::Res1 => "Res1",
            EntryKind::Unkn => "Unkn",
            EntryKind::Raz => "Raz",
            EntryKind::Field(_) => "Field",
        })
        .collect();
    assert_eq!(
        kinds,
        ["Res0", "Res1", "Res0", "Unkn", "Field", "Unkn", "Raz", "Res1", "Raz"]
    );
}

#[test]
fn enum_signed_enum_and_unsigned_enum_have_kinds_and_values() {
    let db = db("Sysreg\tID_AA64DFR0_EL1\t3\t0\t0\t5\t0\n\
         Res0\t63:44\n\
         SignedEnum\t43:40\tDoubleLock\n\
         \t0b0000\tIMP\n\
         \t0b1111\tNI\n\
         EndEnum\n\
         UnsignedEnum\t39:36\tPMUVer\n\
         \t0b0000\tNI\n\
         \t0b0001\tIMP\n\
         \t0b1000\tV3P8\n\
         EndEnum\n\
         Enum\t35:34\tL1Ip\n\
         \t0b01\tAIVIVT\n\
         \t0b10\tVIPT\n\
         \t0b11\tPIPT\n\
         EndEnum\n\
         Res0\t33:0\n\
         EndSysreg\n");
    let layout = own_layout(&db, "ID_AA64DFR0_EL1");
    let enums: Vec<(&str, EnumKind, BitRange)> = layout
        .fields()
        .map(|(e, f)| {
            let en = f.enumeration.as_ref().expect("an enum field");
            (f.name.as_str(), en.kind, e.bits)
        })
        .collect();
    assert_eq!(
        enums,
        [
            ("DoubleLock", EnumKind::Signed, bits(43, 40)),
            ("PMUVer", EnumKind::Unsigned, bits(39, 36)),
            ("L1Ip", EnumKind::Plain, bits(35, 34)),
        ]
    );
    assert_eq!(EnumKind::Signed.directive(), "SignedEnum");
    assert_eq!(EnumKind::Unsigned.directive(), "UnsignedEnum");
    assert_eq!(EnumKind::Plain.directive(), "Enum");

    let values = |name: &str| -> Vec<(String, String, Option<u64>, Loc)> {
        let (_, f) = layout.field(name).unwrap();
        f.enumeration
            .as_ref()
            .unwrap()
            .values
            .iter()
            .map(|v| (v.name.clone(), v.spelling.clone(), v.value, v.loc))
            .collect()
    };
    let v = |name: &str, spelling: &str, value: u64, line: u32| {
        (
            name.to_string(),
            spelling.to_string(),
            Some(value),
            loc(line, 2),
        )
    };
    assert_eq!(
        values("DoubleLock"),
        [v("IMP", "0b0000", 0, 4), v("NI", "0b1111", 15, 5)]
    );
    assert_eq!(
        values("PMUVer"),
        [
            v("NI", "0b0000", 0, 8),
            v("IMP", "0b0001", 1, 9),
            v("V3P8", "0b1000", 8, 10)
        ]
    );
    assert_eq!(
        values("L1Ip"),
        [
            v("AIVIVT", "0b01", 1, 13),
            v("VIPT", "0b10", 2, 14),
            v("PIPT", "0b11", 3, 15)
        ]
    );
    // The enum header is where the field is defined.
    assert_eq!(layout.field("PMUVer").unwrap().0.loc, loc(7, 1));
    assert_eq!(layout.res0(), genmask(63, 44) | genmask(33, 0));
}

#[test]
fn enum_with_no_values_and_enum_in_sysreg_fields() {
    let db = db("SysregFields\tCTR_ELx\n\
         Enum\t63:62\tEMPTY\n\
         EndEnum\n\
         UnsignedEnum\t61:0\tWIDE\n\
         \t0b11111111111111111111111111111111111111111111111111111111111111\tALL\n\
         EndEnum\n\
         EndSysregFields\n");
    let fs = db.field_set("CTR_ELx").unwrap();
    let (_, empty) = fs.layout.field("EMPTY").unwrap();
    let empty = empty.enumeration.as_ref().unwrap();
    assert_eq!(empty.kind, EnumKind::Plain);
    assert!(empty.values.is_empty());
    let (entry, wide) = fs.layout.field("WIDE").unwrap();
    assert_eq!(entry.bits.width(), 62);
    let all = &wide.enumeration.as_ref().unwrap().values[0];
    assert_eq!(all.value, Some(genmask(61, 0)));
    assert_eq!(all.spelling.len(), 64);
}

#[test]
fn end_enum_returns_to_the_enclosing_layout() {
    let db = db("Sysreg\tFOO\t3\t0\t0\t0\t0\n\
         Enum\t63:32\tA\n\
         \t0b1\tONE\n\
         EndEnum\n\
         Field\t31:0\tB\n\
         EndSysreg\n");
    let layout = own_layout(&db, "FOO");
    assert_eq!(
        slices(&layout),
        [
            (bits(63, 32), "A".to_string()),
            (bits(31, 0), "B".to_string())
        ]
    );
    let (_, b) = layout.field("B").unwrap();
    assert!(b.enumeration.is_none());
    let (_, a) = layout.field("A").unwrap();
    assert_eq!(a.enumeration.as_ref().unwrap().values.len(), 1);
}

#[test]
fn prefix_blocks_describe_feature_specific_layouts() {
    let db = db("Sysreg\tICH_VMCR_EL2\t3\t4\t12\t11\t7\n\
         Prefix\tFEAT_GCIE\n\
         Res0\t63:32\n\
         Field\t31:27\tVPMR\n\
         Res0\t26:1\n\
         Field\t0\tEN\n\
         EndPrefix\n\
         Prefix\tFEAT_X\n\
         Res1\t63:0\n\
         EndPrefix\n\
         Res0\t63:32\n\
         Field\t31:24\tVPMR\n\
         Res0\t23:1\n\
         Field\t0\tVENG0\n\
         EndSysreg\n");
    let reg = db.register("ICH_VMCR_EL2").unwrap();
    assert_eq!(reg.encoding.to_string(), "S3_4_C12_C11_7");
    assert_eq!(reg.prefixed.len(), 2);
    let gcie = &reg.prefixed[0];
    let p = gcie.prefix.as_ref().expect("a prefixed layout");
    assert_eq!(p.name, "FEAT_GCIE");
    assert_eq!(p.loc, loc(2, 1));
    assert_eq!(gcie.field("VPMR").unwrap().0.bits, bits(31, 27));
    assert_eq!(gcie.field("EN").unwrap().0.loc, loc(6, 1));
    assert_eq!(gcie.res0(), genmask(63, 32) | genmask(26, 1));
    assert_eq!(gcie.res1(), 0);
    let x = &reg.prefixed[1];
    assert_eq!(x.prefix.as_ref().unwrap().name, "FEAT_X");
    assert_eq!(x.prefix.as_ref().unwrap().loc, loc(8, 1));
    assert_eq!(x.res1(), u64::MAX);
    // The default layout is separate and complete.
    let own = own_layout(&db, "ICH_VMCR_EL2");
    assert!(own.prefix.is_none());
    assert_eq!(own.field("VPMR").unwrap().0.bits, bits(31, 24));
    assert!(own.field("EN").is_none());
    assert_eq!(own.res0(), genmask(63, 32) | genmask(23, 1));
    assert_eq!(reg.end, loc(15, 1));
}

#[test]
fn prefix_in_sysreg_fields_and_before_fields() {
    let db = db("SysregFields\tF_ELx\n\
         Prefix\tFEAT_A\n\
         Enum\t63:0\tMODE\n\
         \t0b0\tOFF\n\
         EndEnum\n\
         EndPrefix\n\
         Field\t63:0\tVAL\n\
         EndSysregFields\n\
         Sysreg\tR_EL1\t3\t0\t0\t0\t1\n\
         Prefix\tFEAT_A\n\
         Raz\t63:0\n\
         EndPrefix\n\
         Fields\tF_ELx\n\
         EndSysreg\n");
    let fs = db.field_set("F_ELx").unwrap();
    assert_eq!(fs.prefixed.len(), 1);
    let (_, mode) = fs.prefixed[0].field("MODE").unwrap();
    assert_eq!(mode.enumeration.as_ref().unwrap().values[0].name, "OFF");
    assert_eq!(fs.layout.field("VAL").unwrap().0.bits, bits(63, 0));
    // A register may have prefixed layouts and use Fields for its default layout.
    let reg = db.register("R_EL1").unwrap();
    assert_eq!(reg.prefixed[0].raz(), u64::MAX);
    assert!(matches!(&reg.body, RegisterBody::Fields(r) if r.target == Some(0)));
}

#[test]
fn comments_anywhere_including_indented_ones_inside_enums() {
    let db = db("# A comment at the top\n\
         #\n\
         Sysreg\tCTR_EL0\t3\t3\t0\t0\t1\n\
         # a comment inside a Sysreg\n\
         Res0\t63:16\n\
         \t# an indented comment\n\
         Enum\t15:14\tL1Ip\n\
         \t0b00\tRESERVED_VPIPT\n\
         \t# This was named as VPIPT in the ARM but now documented as reserved\n\
         \x20\x20  # indented with spaces\n\
         #\t0b01\tNOT_A_VALUE\n\
         \t0b11\tPIPT\n\
         EndEnum\n\
         #Res0\t13:0\n\
         Res0\t13:0\n\
         EndSysreg\n\
         # Sysreg\tNOT_A_REGISTER\t3\t0\t0\t0\t0\n\
         # trailing comment");
    assert_eq!(db.registers.len(), 1);
    assert!(db.register("NOT_A_REGISTER").is_none());
    let reg = db.register("CTR_EL0").unwrap();
    assert_eq!(reg.loc, loc(3, 1));
    assert_eq!(reg.end, loc(16, 1));
    let layout = own_layout(&db, "CTR_EL0");
    assert_eq!(layout.entries.len(), 3);
    assert_eq!(layout.entries[2].loc, loc(15, 1));
    let (_, l1ip) = layout.field("L1Ip").unwrap();
    let names: Vec<(&str, Loc)> = l1ip
        .enumeration
        .as_ref()
        .unwrap()
        .values
        .iter()
        .map(|v| (v.name.as_str(), v.loc))
        .collect();
    assert_eq!(names, [("RESERVED_VPIPT", loc(8, 2)), ("PIPT", loc(12, 2))]);
}

#[test]
fn tabs_and_spaces_are_both_separators() {
    let tabs = "Sysreg\tACTLR_EL1\t3\t0\t1\t0\t1\n\
                Field\t63:32\tIMPDEF\n\
                Enum\t31:30\tTG1\n\
                \t0b01\tA\n\
                EndEnum\n\
                Res0\t29:0\n\
                EndSysreg\n";
    let spaces = "Sysreg  ACTLR_EL1 3 0  1 0 1\n\
                  Field   63:32    IMPDEF\n\
                  Enum    31:30   TG1\n\
                  \x20 0b01 \t A\n\
                  EndEnum\n\
                  Res0 \t 29:0   \n\
                  EndSysreg  \n";
    let a = db(tabs);
    let b = db(spaces);
    for db in [&a, &b] {
        let reg = db.register("ACTLR_EL1").unwrap();
        assert_eq!(reg.encoding.to_string(), "S3_0_C1_C0_1");
        let layout = own_layout(db, "ACTLR_EL1");
        assert_eq!(
            slices(&layout),
            [
                (bits(63, 32), "IMPDEF".to_string()),
                (bits(31, 30), "TG1".to_string()),
                (bits(29, 0), "Res0".to_string()),
            ]
        );
        let (_, tg1) = layout.field("TG1").unwrap();
        let value = &tg1.enumeration.as_ref().unwrap().values[0];
        assert_eq!((value.name.as_str(), value.value), ("A", Some(1)));
    }
    // Columns count characters, a tab being one: the value line `  0b01 \t A` starts at 3.
    let layout = own_layout(&b, "ACTLR_EL1");
    let (_, tg1) = layout.field("TG1").unwrap();
    assert_eq!(tg1.enumeration.as_ref().unwrap().values[0].loc, loc(4, 3));
    assert_eq!(layout.entries[2].loc, loc(6, 1));
}

#[test]
fn directives_may_be_indented() {
    let db = db("  Sysreg\tFOO\t3\t0\t0\t0\t0\n\
         \tField\t63:1\tA\n\
         \x20\x20\x20\x20Res1\t0\n\
         \t EndSysreg\n");
    let reg = db.register("FOO").unwrap();
    assert_eq!(reg.loc, loc(1, 3));
    assert_eq!(reg.end, loc(4, 3));
    let layout = own_layout(&db, "FOO");
    assert_eq!(layout.entries[0].loc, loc(2, 2));
    assert_eq!(layout.entries[1].loc, loc(3, 5));
    assert_eq!(layout.res1(), 1);
}

#[test]
fn empty_lines_are_skipped_everywhere() {
    let db = db("\n\n\
         Sysreg\tFOO\t3\t0\t0\t0\t0\n\
         \n\
         Enum\t63:32\tA\n\
         \n\
         \t0b0\tZERO\n\
         \n\
         EndEnum\n\
         \n\
         Field\t31:0\tB\n\
         \n\
         EndSysreg\n\
         \n\n");
    let reg = db.register("FOO").unwrap();
    assert_eq!((reg.loc, reg.end), (loc(3, 1), loc(13, 1)));
    let layout = own_layout(&db, "FOO");
    let (entry, a) = layout.field("A").unwrap();
    assert_eq!(entry.loc, loc(5, 1));
    assert_eq!(a.enumeration.as_ref().unwrap().values[0].loc, loc(7, 2));
    assert_eq!(layout.field("B").unwrap().0.loc, loc(11, 1));
}

#[test]
fn a_file_without_final_newline_and_an_empty_database() {
    let db = db("Sysreg\tFOO\t3\t0\t0\t0\t0\nRes0\t63:0\nEndSysreg");
    assert_eq!(db.register("FOO").unwrap().end, loc(3, 1));
    let empty = db_of_files(&[("empty.sysreg", "")]);
    assert!(empty.registers.is_empty() && empty.field_sets.is_empty());
    let only_comments = db_of_files(&[("c.sysreg", "# nothing\n\n# here\n")]);
    assert_eq!(only_comments.items().count(), 0);
}

#[test]
fn several_files_are_read_as_one_database() {
    let first = "Sysreg\tA_EL12\t3\t5\t0\t0\t0\n\
                 Mapping\tB_EL1\n\
                 EndSysreg\n\
                 SysregFields\tC_ELx\n\
                 Res0\t63:0\n\
                 EndSysregFields\n";
    let second = "\n\
                  Sysreg\tB_EL1\t3\t0\t0\t0\t1\n\
                  Fields\tC_ELx\n\
                  EndSysreg\n\
                  Sysreg\tD_EL1\t3\t0\t0\t0\t2\n\
                  Fields\tE_ELx\n\
                  EndSysreg\n";
    let third = "SysregFields\tE_ELx\n\
                 Res1\t63:0\n\
                 EndSysregFields\n";
    let db = db_of_files(&[
        ("one.sysreg", first),
        ("two.sysreg", second),
        ("three.sysreg", third),
    ]);
    // Input order, file by file.
    let order: Vec<String> = db
        .items()
        .map(|i| match i {
            Item::Register(r) => format!("Sysreg {}", r.name),
            Item::FieldSet(f) => format!("SysregFields {}", f.name),
        })
        .collect();
    assert_eq!(
        order,
        [
            "Sysreg A_EL12",
            "SysregFields C_ELx",
            "Sysreg B_EL1",
            "Sysreg D_EL1",
            "SysregFields E_ELx"
        ]
    );
    // Sorted lookups.
    let names: Vec<&str> = db.registers_by_name().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["A_EL12", "B_EL1", "D_EL1"]);
    let sets: Vec<&str> = db.field_sets_by_name().map(|f| f.name.as_str()).collect();
    assert_eq!(sets, ["C_ELx", "E_ELx"]);
    // Locations name the file they are in.
    let b = db.register("B_EL1").unwrap();
    assert_eq!(
        b.loc,
        Loc {
            file: FileId(1),
            line: 2,
            col: 1
        }
    );
    assert_eq!(db.field_set("E_ELx").unwrap().loc.file, FileId(2));
    // Mapping forward into the next file, Fields back into the previous one and forward
    // into the next one.
    let RegisterBody::Mapping(m) = &db.register("A_EL12").unwrap().body else {
        panic!("Mapping expected");
    };
    assert_eq!(m.loc.file, FileId(0));
    assert_eq!(db.registers[m.target.unwrap()].name, "B_EL1");
    let RegisterBody::Fields(f) = &b.body else {
        panic!("Fields expected");
    };
    assert_eq!(db.field_sets[f.target.unwrap()].name, "C_ELx");
    assert_eq!(
        f.loc,
        Loc {
            file: FileId(1),
            line: 3,
            col: 8
        }
    );
    let d = db.register("D_EL1").unwrap();
    assert_eq!(db.effective_layout(d).unwrap().res1(), u64::MAX);
    let a = db.register("A_EL12").unwrap();
    assert_eq!(db.effective_layout(a).unwrap().res0(), u64::MAX);
}

#[test]
fn lenient_mode_accepts_what_the_kernel_script_accepts() {
    // Duplicate enum values (kernel databases of 2023-2024 have them), a non-binary value the
    // kernel pastes verbatim, a value wider than its field, an odd name.
    let text = "Sysreg\tID_PFR1_EL1\t3\t0\t0\t1\t1\n\
                UnsignedEnum\t63:60\tSecurity\n\
                \t0b0001\tEL3\n\
                \t0b0001\tNSACR_RFR\n\
                \t0b0002\tODD\n\
                \t0b11111\tWIDE\n\
                EndEnum\n\
                Res0\t59:0\n\
                EndSysreg\n";
    let (_, strict) = load_files(&[("test.sysreg", text)], &Options::default());
    assert!(strict.database.is_none());
    let (sources, lenient) = load_files(&[("test.sysreg", text)], &Options::lenient());
    assert_eq!(lenient.diagnostics.error_count(), 0);
    assert_eq!(
        lenient.diagnostics.warning_count(),
        3,
        "{}",
        lenient.diagnostics.render(&sources)
    );
    let db = lenient.database.expect("warnings only");
    let layout = own_layout(&db, "ID_PFR1_EL1");
    let (_, sec) = layout.field("Security").unwrap();
    let values: Vec<(&str, &str, Option<u64>)> = sec
        .enumeration
        .as_ref()
        .unwrap()
        .values
        .iter()
        .map(|v| (v.name.as_str(), v.spelling.as_str(), v.value))
        .collect();
    assert_eq!(
        values,
        [
            ("EL3", "0b0001", Some(1)),
            ("NSACR_RFR", "0b0001", Some(1)),
            ("ODD", "0b0002", None),
            ("WIDE", "0b11111", Some(31)),
        ]
    );
}

#[test]
fn unknown_fields_target_is_a_warning_and_stays_unresolved() {
    // The kernel's v6.19 database has `MPAM1_EL12` say `Fields MPAM1_ELx`, which is not defined.
    let (sources, loaded) = load_files(
        &[(
            "test.sysreg",
            "Sysreg\tMPAM1_EL12\t3\t5\t10\t5\t0\nFields\tMPAM1_ELx\nEndSysreg\n",
        )],
        &Options::default(),
    );
    assert_eq!(
        loaded.diagnostics.warning_count(),
        1,
        "{}",
        loaded.diagnostics.render(&sources)
    );
    let db = loaded.database.expect("a warning only");
    let reg = db.register("MPAM1_EL12").unwrap();
    assert!(
        matches!(&reg.body, RegisterBody::Fields(r) if r.target.is_none() && r.name == "MPAM1_ELx")
    );
    assert!(db.effective_layout(reg).is_none());
}

#[test]
fn access_annotations_mark_read_only_and_write_only_registers() {
    // `#@ access` is a comment to the kernel's script and data to us.
    let src = b"Sysreg\tPMCEID0_EL0\t3\t3\t9\t12\t6\n#@ access RO\nField\t63:0\tIDhi\nEndSysreg\n\
Sysreg\tPMSWINC_EL0\t3\t3\t9\t12\t4\n  #@ access WO\nRes0\t63:31\nField\t30:0\tP\nEndSysreg\n\
Sysreg\tPMCR_EL0\t3\t3\t9\t12\t0\nField\t63:0\tBITS\nEndSysreg\n";
    let mut sources = sysreg_db::SourceMap::new();
    sources.add(sysreg_db::SourceFile::new("t", src));
    let loaded = sysreg_db::load(&sources, &sysreg_db::Options::default());
    let db = loaded.database.expect("valid");
    use sysreg_db::Access;
    assert_eq!(db.register("PMCEID0_EL0").unwrap().access, Access::ReadOnly);
    assert_eq!(
        db.register("PMSWINC_EL0").unwrap().access,
        Access::WriteOnly
    );
    assert_eq!(db.register("PMCR_EL0").unwrap().access, Access::ReadWrite);
    assert!(!Access::ReadOnly.writable() && Access::ReadOnly.readable());
    assert!(!Access::WriteOnly.readable() && Access::WriteOnly.writable());
}
