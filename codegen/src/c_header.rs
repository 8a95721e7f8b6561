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
use std::fmt;
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
    /// `["PREFIX", "_"]` in a Prefix layout, else empty.
    prefix: [&'a str; 2],
    owner: &'a str,
    fields: Vec<FieldView<'a>>,
    masks: Option<Masks>,
}

struct FieldView<'a> {
    /// `[PREFIX_]REG_FIELD`, built once per field: every macro of the field starts with it.
    stem: String,
    /// `GENMASK(msb, lsb)`, the value of two of its macros.
    genmask: String,
    bits: BitRange,
    signed: Option<bool>,
    values: &'a [EnumValue],
}

struct Masks {
    res0: String,
    res1: String,
    unkn: String,
}

impl<'a> ItemView<'a> {
    /// `REG_<name>`, `SYS_<name>_Op0`, ...
    fn define(&self, before: &'a str, after: &'a str) -> Name<'a> {
        Name([before, self.name, after, ""])
    }
}

impl<'a> LayoutView<'a> {
    /// `[PREFIX_]REG_RES0`, ...
    fn define(&self, suffix: &'a str) -> Name<'a> {
        let [p, sep] = self.prefix;
        Name([p, sep, self.owner, suffix])
    }
}

impl<'a> FieldView<'a> {
    /// `[PREFIX_]REG_FIELD<suffix>`.
    fn define<'s>(&'s self, suffix: &'s str) -> Name<'s> {
        Name([&self.stem, suffix, "", ""])
    }

    /// `[PREFIX_]REG_FIELD_VALUE`.
    fn define_value<'s>(&'s self, v: &'s EnumValue) -> Name<'s> {
        Name([&self.stem, "_", &v.name, ""])
    }
}

/// A macro name made of pieces, written padded so that `#define NAME` fills 56 columns, as
/// awk's `printf "%-56s%s"` does (a longer name is not cut, and gets no blank). The pieces and
/// the padding are assembled on the stack and written in one call: with ~14 000 such lines in
/// the newest kernel header, the number of writes is what the rendering time is made of.
struct Name<'a>([&'a str; 4]);

/// Width of `NAME` in `#define NAME` padded to 56.
const NAME_WIDTH: usize = 56 - "#define ".len();

impl Name<'_> {
    fn write(&self, out: &mut dyn fmt::Write) -> fmt::Result {
        let mut line = [b' '; 128];
        let mut len = 0;
        let mut chars = 0;
        for part in self.0 {
            chars += if part.is_ascii() {
                part.len()
            } else {
                part.chars().count()
            };
            if let Some(dest) = line.get_mut(len..len + part.len()) {
                dest.copy_from_slice(part.as_bytes());
            }
            len += part.len();
        }
        let padded = len + NAME_WIDTH.saturating_sub(chars);
        match line.get(..padded) {
            // SAFETY: the bytes are whole `&str`s followed by ASCII blanks, so UTF-8.
            // (Validating them again cost more than the rest of the line.)
            Some(text) => out.write_str(unsafe { std::str::from_utf8_unchecked(text) }),
            // A name too long for the stack line (never in the kernel's databases).
            None => {
                for part in self.0 {
                    out.write_str(part)?;
                }
                (chars..NAME_WIDTH).try_for_each(|_| out.write_char(' '))
            }
        }
    }
}

impl fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f)
    }
}

impl askama::FastWritable for Name<'_> {
    fn write_into(&self, dest: &mut dyn fmt::Write, _: &dyn askama::Values) -> askama::Result<()> {
        Ok(self.write(dest)?)
    }
}

/// `GENMASK(msb, lsb)`, without `format!` (one per field: it showed in profiles).
fn genmask(bits: BitRange) -> String {
    let mut s = String::with_capacity(16);
    s.push_str("GENMASK(");
    push_decimal(&mut s, bits.msb);
    s.push_str(", ");
    push_decimal(&mut s, bits.lsb);
    s.push(')');
    s
}

fn push_decimal(s: &mut String, n: u8) {
    if n >= 100 {
        s.push(char::from(b'0' + n / 100));
    }
    if n >= 10 {
        s.push(char::from(b'0' + n / 10 % 10));
    }
    s.push(char::from(b'0' + n % 10));
}

/// `UL(0) | GENMASK_ULL(h, l) | ...`, one term per slice, in input order.
fn mask_expr(layout: &Layout, want: fn(&EntryKind) -> bool) -> String {
    let mut s = String::from("UL(0)");
    for e in layout.entries.iter().filter(|e| want(&e.kind)) {
        s.push_str(" | GENMASK_ULL(");
        push_decimal(&mut s, e.bits.msb);
        s.push_str(", ");
        push_decimal(&mut s, e.bits.lsb);
        s.push(')');
    }
    s
}

fn layout_view<'a>(owner: &'a str, layout: &'a Layout) -> LayoutView<'a> {
    let prefix = layout
        .prefix
        .as_ref()
        .map_or(["", ""], |p| [p.name.as_str(), "_"]);
    let fields = layout
        .fields()
        .map(|(entry, field)| FieldView {
            stem: [prefix[0], prefix[1], owner, "_", &field.name].concat(),
            genmask: genmask(entry.bits),
            bits: entry.bits,
            signed: field.enumeration.as_ref().and_then(|e| match e.kind {
                EnumKind::Plain => None,
                EnumKind::Signed => Some(true),
                EnumKind::Unsigned => Some(false),
            }),
            values: field.enumeration.as_ref().map_or(&[], |e| &e.values[..]),
        })
        .collect();
    LayoutView {
        prefix,
        owner,
        fields,
        masks: Some(Masks {
            res0: mask_expr(layout, |k| matches!(k, EntryKind::Res0)),
            res1: mask_expr(layout, |k| matches!(k, EntryKind::Res1)),
            unkn: mask_expr(layout, |k| matches!(k, EntryKind::Unkn)),
        }),
    }
}

/// Renders the C header for `db`.
pub fn generate(db: &Database) -> String {
    let header = header(db);
    // The header is about 11 bytes per byte of input; one allocation holds it.
    let mut out = String::with_capacity(header.items.len() * 3200);
    header
        .render_into(&mut out)
        .expect("rendering into a String cannot fail");
    // askama drops the template file's final newline; the kernel's header ends with one.
    out.push('\n');
    out
}

/// Writes the C header for `db` to `out`, 64 KiB at a time: the same bytes as [`generate`]
/// without holding the whole (1 MB) header in memory.
pub fn write(db: &Database, out: &mut dyn io::Write) -> io::Result<()> {
    let mut sink = Chunks {
        buf: String::with_capacity(CHUNK),
        out,
        error: None,
    };
    let rendered = header(db).render_into(&mut sink);
    sink.buf.push('\n');
    match (rendered, sink.error.take()) {
        (_, Some(e)) => Err(e),
        (Err(e), None) => Err(io::Error::other(e)),
        (Ok(()), None) => sink.flush(),
    }
}

const CHUNK: usize = 64 * 1024;

/// A `fmt::Write` that passes text on to an `io::Write` in chunks of [`CHUNK`] bytes, keeping
/// the first I/O error (`fmt::Error` cannot carry it).
struct Chunks<'w> {
    buf: String,
    out: &'w mut dyn io::Write,
    error: Option<io::Error>,
}

impl Chunks<'_> {
    fn flush(&mut self) -> io::Result<()> {
        let result = self.out.write_all(self.buf.as_bytes());
        self.buf.clear();
        result
    }
}

impl fmt::Write for Chunks<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.buf.len() + s.len() > CHUNK {
            if let Err(e) = self.flush() {
                self.error = Some(e);
                return Err(fmt::Error);
            }
        }
        self.buf.push_str(s);
        Ok(())
    }
}

fn header(db: &Database) -> Header<'_> {
    let items = db
        .items()
        .map(|item| match item {
            Item::Register(r) => {
                let mut layouts: Vec<_> =
                    r.prefixed.iter().map(|l| layout_view(&r.name, l)).collect();
                let fields_from = match &r.body {
                    RegisterBody::Layout(l) => {
                        layouts.push(layout_view(&r.name, l));
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
                    .map(|l| layout_view(&s.name, l))
                    .collect(),
                fields_from: None,
            },
        })
        .collect();
    Header { items }
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
