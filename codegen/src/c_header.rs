//! The kernel's `sysreg-defs.h`, byte for byte as `arch/arm64/tools/gen-sysreg.awk` writes it.
//!
//! The IR is flattened into a small view (one entry per register or field set, one per layout)
//! and rendered by the askama template `templates/sysreg-defs.h`, which holds the text itself.
//! Quirks the kernel's output has, and this reproduces:
//! - every `#define` pads `#define NAME` to 56 columns (`printf "%-56s%s"`);
//! - plain `Enum` fields get no `_SIGNED` macro, `SignedEnum`/`UnsignedEnum` get `true`/`false`;
//! - enum values are pasted as spelled (`UL(0b0001)`);
//! - a register described by `Fields`/`Mapping` gets a comment and no RES0/RES1/UNKN macros,
//!   a field set always gets them, and each `Prefix` layout gets its own, prefixed.

use askama::Template;
use sysreg_db::Encoding;
use sysreg_db::{BitRange, Database, EntryKind, EnumKind, EnumValue, Item, Layout, RegisterBody};

#[derive(Template)]
#[template(path = "sysreg-defs.h", escape = "none")]
struct Header<'a> {
    items: Vec<ItemView<'a>>,
}

struct ItemView<'a> {
    name: &'a str,
    encoding: Option<Encoding>,
    layouts: Vec<LayoutView<'a>>,
    /// `Fields X` / `Mapping X`: the name in the "For ... fields see X" comment.
    fields_from: Option<&'a str>,
}

struct LayoutView<'a> {
    /// Macro stem: `REG` or, in a Prefix layout, `PREFIX_REG`.
    c_name: String,
    fields: Vec<FieldView<'a>>,
    masks: Option<Masks>,
}

struct FieldView<'a> {
    name: &'a str,
    bits: BitRange,
    signed: Option<bool>,
    values: &'a [EnumValue],
}

struct Masks {
    res0: String,
    res1: String,
    unkn: String,
}

/// `UL(0) | GENMASK_ULL(h, l) | ...`, one term per slice, in input order.
fn mask_expr(layout: &Layout, want: fn(&EntryKind) -> bool) -> String {
    let mut s = String::from("UL(0)");
    for e in layout.entries.iter().filter(|e| want(&e.kind)) {
        s.push_str(&format!(" | GENMASK_ULL({}, {})", e.bits.msb, e.bits.lsb));
    }
    s
}

fn layout_view<'a>(owner: &str, layout: &'a Layout, with_masks: bool) -> LayoutView<'a> {
    let c_name = match &layout.prefix {
        Some(p) => format!("{}_{owner}", p.name),
        None => owner.to_string(),
    };
    let fields = layout
        .fields()
        .map(|(entry, field)| FieldView {
            name: &field.name,
            bits: entry.bits,
            signed: field.enumeration.as_ref().and_then(|e| match e.kind {
                EnumKind::Plain => None,
                EnumKind::Signed => Some(true),
                EnumKind::Unsigned => Some(false),
            }),
            values: field.enumeration.as_ref().map_or(&[], |e| &e.values[..]),
        })
        .collect();
    let masks = with_masks.then(|| Masks {
        res0: mask_expr(layout, |k| matches!(k, EntryKind::Res0)),
        res1: mask_expr(layout, |k| matches!(k, EntryKind::Res1)),
        unkn: mask_expr(layout, |k| matches!(k, EntryKind::Unkn)),
    });
    LayoutView {
        c_name,
        fields,
        masks,
    }
}

/// Renders the C header for `db`.
pub fn generate(db: &Database) -> String {
    let items = db
        .items()
        .map(|item| match item {
            Item::Register(r) => {
                let mut layouts: Vec<_> = r
                    .prefixed
                    .iter()
                    .map(|l| layout_view(&r.name, l, true))
                    .collect();
                let fields_from = match &r.body {
                    RegisterBody::Layout(l) => {
                        layouts.push(layout_view(&r.name, l, true));
                        None
                    }
                    RegisterBody::Fields(t) | RegisterBody::Mapping(t) => Some(t.name.as_str()),
                };
                ItemView {
                    name: &r.name,
                    encoding: Some(r.encoding),
                    layouts,
                    fields_from,
                }
            }
            Item::FieldSet(s) => ItemView {
                name: &s.name,
                encoding: None,
                layouts: s
                    .prefixed
                    .iter()
                    .chain([&s.layout])
                    .map(|l| layout_view(&s.name, l, true))
                    .collect(),
                fields_from: None,
            },
        })
        .collect();
    let mut out = Header { items }
        .render()
        .expect("rendering into a String cannot fail");
    // askama drops the template file's final newline; the kernel's header ends with one.
    out.push('\n');
    out
}

mod filters {
    use std::fmt;

    /// `#define NAME` padded to 56 columns: the name padded to 48.
    #[askama::filter_fn]
    pub fn pad(name: impl fmt::Display, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(format!("{name:<48}"))
    }
}
