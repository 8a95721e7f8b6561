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
use std::fmt::Write;
use std::io;
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
        let _ = write!(s, " | GENMASK_ULL({}, {})", e.bits.msb, e.bits.lsb);
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
    let mut out = header(db)
        .render()
        .expect("rendering into a String cannot fail");
    // askama drops the template file's final newline; the kernel's header ends with one.
    out.push('\n');
    out
}

/// Writes the C header for `db` to `out`: the text [`generate`] returns, without holding all of
/// it in memory (the CLI writes through a `BufWriter`).
pub fn write(db: &Database, out: &mut dyn io::Write) -> io::Result<()> {
    header(db).write_into(out)?;
    out.write_all(b"\n")
}

fn header(db: &Database) -> Header<'_> {
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
    Header { items }
}

mod filters {
    use askama::FastWritable;
    use std::fmt;

    /// `#define NAME` padded to 56 columns: the name padded to 48 characters, as
    /// `format!("{name:<48}")` does. The name is usually a `~` concatenation; it is assembled
    /// on the stack rather than in a `String` of its own, which makes the header several times
    /// faster to render (one of these per line of output).
    #[askama::filter_fn]
    pub fn pad(name: impl FastWritable, values: &dyn askama::Values) -> askama::Result<Padded> {
        let mut padded = Padded {
            inline: [b' '; INLINE],
            len: 0,
            chars: 0,
            heap: None,
        };
        name.write_into(&mut padded, values)?;
        let fill = WIDTH.saturating_sub(padded.chars);
        match &mut padded.heap {
            // `inline` is blank past `len`.
            None if padded.len + fill <= INLINE => padded.len += fill,
            _ => {
                let heap = padded.spill();
                heap.extend(std::iter::repeat_n(' ', fill));
            }
        }
        Ok(padded)
    }

    const WIDTH: usize = 48;
    const INLINE: usize = 64;

    /// A padded name: in `inline` while it fits, else on the heap.
    pub struct Padded {
        /// Whole `&str`s, then blanks: always UTF-8.
        inline: [u8; INLINE],
        len: usize,
        /// Characters written (padding counts characters, like `format!`, not bytes).
        chars: usize,
        heap: Option<String>,
    }

    impl Padded {
        fn as_str(&self) -> &str {
            match &self.heap {
                Some(s) => s,
                None => std::str::from_utf8(&self.inline[..self.len]).unwrap_or_default(),
            }
        }

        /// Moves the text to the heap (once) and returns it there.
        fn spill(&mut self) -> &mut String {
            if self.heap.is_none() {
                self.heap = Some(self.as_str().to_owned());
            }
            self.heap.get_or_insert_default()
        }
    }

    impl fmt::Write for Padded {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.chars += if s.is_ascii() {
                s.len()
            } else {
                s.chars().count()
            };
            match self.heap {
                None if self.len + s.len() <= INLINE => {
                    self.inline[self.len..self.len + s.len()].copy_from_slice(s.as_bytes());
                    self.len += s.len();
                }
                _ => self.spill().push_str(s),
            }
            Ok(())
        }
    }

    impl FastWritable for Padded {
        fn write_into(
            &self,
            dest: &mut dyn fmt::Write,
            _: &dyn askama::Values,
        ) -> askama::Result<()> {
            Ok(dest.write_str(self.as_str())?)
        }
    }

    impl fmt::Display for Padded {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.as_str())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::generate;
    use sysreg_db::{Options, SourceFile, SourceMap};

    /// `pad` keeps `format!("{name:<48}")`'s behaviour off the corpus's beaten path: names
    /// longer than its inline buffer, and padding counted in characters.
    #[test]
    fn padding_counts_characters_and_never_cuts() {
        let long = "AN_EXTREMELY_LONG_FIELD_NAME_THAT_GOES_PAST_SIXTY_FOUR_BYTES_OF_NAME";
        let src = format!(
            "Sysreg\tFOO_EL1\t3\t0\t1\t2\t3\nField\t63:1\t{long}\nField\t0\tCAF\u{c9}\nEndSysreg\n"
        );
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new("t", src.as_bytes()));
        let loaded = sysreg_db::load(&sources, &Options::lenient());
        let out = generate(&loaded.database.expect("lenient mode accepts the input"));
        for (name, value) in [
            ("SYS_FOO_EL1_Op0".to_string(), "3"),
            (format!("FOO_EL1_{long}_MASK"), "GENMASK(63, 1)"),
            ("FOO_EL1_CAF\u{c9}_SHIFT".to_string(), "0"),
        ] {
            let line = format!("\n#define {name:<48}{value}\n");
            assert!(out.contains(&line), "{line:?} missing from:\n{out}");
        }
    }
}
