//! `sysreg-gen dump`: the IR as JSON, so a person can see what was understood.
//!
//! Items come in input order; every item carries `"at": "file:line:col"`. Masks are hex
//! strings (JSON numbers cannot hold all 64-bit values exactly). The writer is hand-made to keep
//! the generator free of dependencies; the output is deterministic.

use std::fmt::Write as _;
use sysreg_db::{
    Database, Entry, EntryKind, EnumKind, Item, Layout, Loc, Reference, RegisterBody, SourceMap,
};

/// A minimal pretty-printing JSON writer: objects and arrays, two-space indent.
struct Json {
    out: String,
    depth: usize,
    /// Whether the current container already has an element (a comma is due).
    has_element: Vec<bool>,
}

impl Json {
    fn new() -> Json {
        Json {
            out: String::new(),
            depth: 0,
            has_element: vec![false],
        }
    }

    fn element(&mut self, key: Option<&str>) {
        if let Some(last) = self.has_element.last_mut() {
            if *last {
                self.out.push(',');
            }
            *last = true;
        }
        if self.depth > 0 {
            self.out.push('\n');
            self.out.push_str(&"  ".repeat(self.depth));
        }
        if let Some(key) = key {
            string(&mut self.out, key);
            self.out.push_str(": ");
        }
    }

    fn open(&mut self, key: Option<&str>, bracket: char) {
        self.element(key);
        self.out.push(bracket);
        self.depth += 1;
        self.has_element.push(false);
    }

    fn close(&mut self, bracket: char) {
        self.depth -= 1;
        if self.has_element.pop() == Some(true) {
            self.out.push('\n');
            self.out.push_str(&"  ".repeat(self.depth));
        }
        self.out.push(bracket);
    }

    fn str(&mut self, key: Option<&str>, value: &str) {
        self.element(key);
        string(&mut self.out, value);
    }

    fn raw(&mut self, key: Option<&str>, value: impl std::fmt::Display) {
        self.element(key);
        let _ = write!(self.out, "{value}");
    }
}

fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

struct Dumper<'a> {
    json: Json,
    sources: &'a SourceMap,
    db: &'a Database,
}

impl Dumper<'_> {
    fn at(&mut self, loc: Loc) {
        let text = self.sources.display(loc).to_string();
        self.json.str(Some("at"), &text);
    }

    fn mask(&mut self, key: &str, mask: u64) {
        self.json.str(Some(key), &format!("{mask:#018x}"));
    }

    fn reference(&mut self, kind: &str, r: &Reference, target_name: Option<&str>) {
        self.json.open(Some("body"), '{');
        self.json.str(Some("kind"), kind);
        self.json.str(Some("name"), &r.name);
        self.at(r.loc);
        self.json.raw(Some("resolved"), target_name.is_some());
        self.json.close('}');
    }

    fn layouts(&mut self, prefixed: &[Layout]) {
        self.json.open(Some("prefixed"), '[');
        for l in prefixed {
            self.json.open(None, '{');
            self.layout(l);
            self.json.close('}');
        }
        self.json.close(']');
    }

    fn layout(&mut self, l: &Layout) {
        match &l.prefix {
            Some(p) => {
                self.json.str(Some("prefix"), &p.name);
                self.at(p.loc);
            }
            None => self.json.raw(Some("prefix"), "null"),
        }
        self.mask("res0", l.res0());
        self.mask("res1", l.res1());
        self.mask("unkn", l.unkn());
        self.mask("raz", l.raz());
        self.json.open(Some("entries"), '[');
        for e in &l.entries {
            self.entry(e);
        }
        self.json.close(']');
    }

    fn entry(&mut self, e: &Entry) {
        self.json.open(None, '{');
        let kind = match &e.kind {
            EntryKind::Field(f) => match f.enumeration.as_ref().map(|e| e.kind) {
                None => "field",
                Some(EnumKind::Plain) => "enum",
                Some(EnumKind::Signed) => "signed_enum",
                Some(EnumKind::Unsigned) => "unsigned_enum",
            },
            EntryKind::Res0 => "res0",
            EntryKind::Res1 => "res1",
            EntryKind::Unkn => "unkn",
            EntryKind::Raz => "raz",
        };
        self.json.str(Some("kind"), kind);
        if let EntryKind::Field(f) = &e.kind {
            self.json.str(Some("name"), &f.name);
        }
        self.json.raw(Some("msb"), e.bits.msb);
        self.json.raw(Some("lsb"), e.bits.lsb);
        self.json.raw(Some("width"), e.bits.width());
        self.at(e.loc);
        if let EntryKind::Field(f) = &e.kind {
            if let Some(en) = &f.enumeration {
                self.json.open(Some("values"), '[');
                for v in &en.values {
                    self.json.open(None, '{');
                    self.json.str(Some("name"), &v.name);
                    self.json.str(Some("spelling"), &v.spelling);
                    match v.value {
                        Some(n) => self.json.raw(Some("value"), n),
                        None => self.json.raw(Some("value"), "null"),
                    }
                    self.at(v.loc);
                    self.json.close('}');
                }
                self.json.close(']');
            }
        }
        self.json.close('}');
    }

    fn items(&mut self) {
        let db = self.db;
        self.json.open(Some("items"), '[');
        for item in db.items() {
            self.json.open(None, '{');
            match item {
                Item::Register(r) => {
                    self.json.str(Some("type"), "register");
                    self.json.str(Some("name"), &r.name);
                    self.at(r.loc);
                    let e = r.encoding;
                    self.json.open(Some("encoding"), '{');
                    self.json.raw(Some("op0"), e.op0);
                    self.json.raw(Some("op1"), e.op1);
                    self.json.raw(Some("crn"), e.crn);
                    self.json.raw(Some("crm"), e.crm);
                    self.json.raw(Some("op2"), e.op2);
                    self.json.str(Some("name"), &e.s_name());
                    self.json.close('}');
                    let access = match r.access {
                        sysreg_db::Access::ReadWrite => "RW",
                        sysreg_db::Access::ReadOnly => "RO",
                        sysreg_db::Access::WriteOnly => "WO",
                    };
                    self.json.str(Some("access"), access);
                    self.layouts(&r.prefixed);
                    match &r.body {
                        RegisterBody::Layout(l) => {
                            self.json.open(Some("body"), '{');
                            self.json.str(Some("kind"), "layout");
                            self.layout(l);
                            self.json.close('}');
                        }
                        RegisterBody::Fields(t) => {
                            let name = t.target.map(|i| db.field_sets[i].name.as_str());
                            self.reference("fields", t, name);
                        }
                        RegisterBody::Mapping(t) => {
                            let name = t.target.map(|i| db.registers[i].name.as_str());
                            self.reference("mapping", t, name);
                        }
                    }
                }
                Item::FieldSet(s) => {
                    self.json.str(Some("type"), "field_set");
                    self.json.str(Some("name"), &s.name);
                    self.at(s.loc);
                    self.layouts(&s.prefixed);
                    self.json.open(Some("body"), '{');
                    self.json.str(Some("kind"), "layout");
                    self.layout(&s.layout);
                    self.json.close('}');
                }
            }
            self.json.close('}');
        }
        self.json.close(']');
    }
}

/// The database as a JSON document.
pub fn dump(db: &Database, sources: &SourceMap) -> String {
    let mut d = Dumper {
        json: Json::new(),
        sources,
        db,
    };
    d.json.open(None, '{');
    d.json.open(Some("files"), '[');
    for (_, file) in sources.files() {
        d.json.str(None, &file.name);
    }
    d.json.close(']');
    d.json.raw(Some("registers"), db.registers.len());
    d.json.raw(Some("field_sets"), db.field_sets.len());
    d.items();
    d.json.close('}');
    d.json.out.push('\n');
    d.json.out
}
