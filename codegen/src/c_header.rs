//! The kernel's `sysreg-defs.h`, byte for byte as `arch/arm64/tools/gen-sysreg.awk` writes it.
//!
//! The askama template `templates/sysreg-defs.h` holds the text; it walks the IR through small
//! views made on the fly (nothing is collected first). Quirks the kernel's output has, and this
//! reproduces:
//! - every `#define` pads `#define NAME` to 56 columns (`printf "%-56s%s"`);
//! - plain `Enum` fields get no `_SIGNED` macro, `SignedEnum`/`UnsignedEnum` get `true`/`false`;
//! - enum values are pasted as spelled (`UL(0b0001)`);
//! - a register described by `Fields`/`Mapping` gets a comment and no RES0/RES1/UNKN macros,
//!   a field set always gets them, and each `Prefix` layout gets its own, prefixed.
//!
//! Speed: the newest kernel header is ~1 MB of ~18 000 lines, and the template makes three
//! writes per line (the literal `#define `, the padded name, the value). Each write is one
//! copy: names are assembled in a stack buffer kept padded with blanks, the field's name stem
//! and its `GENMASK(h, l)` are built once per field (not once per macro), and output goes to a
//! reused 64 KiB buffer rather than a `BufWriter` behind a trait object per byte run.

use askama::Template;
use std::cell::RefCell;
use std::fmt;
use std::io;
use sysreg_db::{
    BitRange, Database, Encoding, EntryKind, EnumKind, EnumValue, Field, Item, Layout, RegisterBody,
};

#[derive(Template)]
#[template(path = "sysreg-defs.h", escape = "none")]
struct Header<'a> {
    db: &'a Database,
    scratch: &'a Scratch,
}

/// The starts of names being written, kept out of the views: a view is moved at every step of
/// the template's loops, and one holding these lines would be too big to move without a call
/// to `memcpy`. Each is made on first use and tagged with the address of what it was made for
/// (askama's loops look one item ahead, so "the current one" is not the last one made); a name
/// is written by appending its end to the cached start in place, then taking it off again.
struct Scratch {
    /// `SYS_<name>` of a register (tagged with its name), the start of six of its macros.
    sys: Stem,
    /// `[PREFIX_]REG_`, the start of every field macro's name in a layout (tagged with it).
    layout: Stem,
    /// `[PREFIX_]REG_FIELD` of a field (tagged with it), the start of its four to seven macros.
    field: Stem,
}

/// The start of a family of names, in a line (`None` when not ASCII or too long for a line:
/// the names are then written as their pieces), and what it was made for.
type Stem = RefCell<(*const (), Option<Line>)>;

/// Writes the name the line in `stem` starts, made by `make` unless it was made for `owner`,
/// followed by `tail`, padded; `None` (having written nothing) when there is no such line or
/// the name does not fit one.
#[inline(always)]
fn write_stem(
    stem: &Stem,
    owner: *const (),
    make: impl FnOnce() -> Option<Line>,
    tail: [&str; 2],
    out: &mut dyn fmt::Write,
) -> Option<fmt::Result> {
    let mut stem = stem.borrow_mut();
    if stem.0 != owner {
        *stem = (owner, make());
    }
    let line = stem.1.as_mut()?;
    let len = line.len;
    let written = (line.push(tail[0]) && line.push(tail[1])).then(|| out.write_str(line.padded()));
    line.truncate(len);
    written
}

impl<'a> Header<'a> {
    /// Registers and field sets in input order.
    fn items(&self) -> impl Iterator<Item = ItemView<'a>> + 'a {
        let scratch = self.scratch;
        self.db.items().map(move |item| match item {
            Item::Register(r) => {
                let (own, fields_from) = match &r.body {
                    RegisterBody::Layout(l) => (Some(l), None),
                    RegisterBody::Fields(t) | RegisterBody::Mapping(t) => {
                        (None, Some(t.name.as_str()))
                    }
                };
                ItemView {
                    name: &r.name,
                    encoding: Some(EncodingView::new(r.encoding)),
                    prefixed: &r.prefixed,
                    own,
                    fields_from,
                    scratch,
                }
            }
            Item::FieldSet(s) => ItemView {
                name: &s.name,
                encoding: None,
                prefixed: &s.prefixed,
                own: Some(&s.layout),
                fields_from: None,
                scratch,
            },
        })
    }
}

struct ItemView<'a> {
    name: &'a str,
    encoding: Option<EncodingView>,
    prefixed: &'a [Layout],
    /// The layout of its own (none for a register described by `Fields`/`Mapping`).
    own: Option<&'a Layout>,
    /// `Fields X` / `Mapping X`: the name in the "For ... fields see X" comment.
    fields_from: Option<&'a str>,
    scratch: &'a Scratch,
}

impl<'a> ItemView<'a> {
    /// `REG_<name>`, `SYS_<name>_Op0`, ...
    fn define(&self, before: &'a str, after: &'a str) -> Name<'_, 'a> {
        match before {
            "SYS_" => Name::Sys(self, after),
            _ => Name::Parts([before, self.name, after, ""]),
        }
    }

    /// Its Prefix layouts, then its own.
    fn layouts(&self) -> impl Iterator<Item = LayoutView<'a>> + 'a {
        let (owner, scratch) = (self.name, self.scratch);
        self.prefixed
            .iter()
            .chain(self.own)
            .map(move |layout| LayoutView::new(owner, layout, scratch))
    }
}

struct LayoutView<'a> {
    layout: &'a Layout,
    /// `PREFIX`, `_`, `REG` (the first two empty outside a Prefix layout).
    head: [&'a str; 3],
    scratch: &'a Scratch,
}

impl<'a> LayoutView<'a> {
    /// The view of `layout`, whose field names start `[PREFIX_]<owner>_`.
    fn new(owner: &'a str, layout: &'a Layout, scratch: &'a Scratch) -> LayoutView<'a> {
        let prefix = layout.prefix.as_ref().map_or("", |p| p.name.as_str());
        let head = [prefix, if prefix.is_empty() { "" } else { "_" }, owner];
        LayoutView {
            layout,
            head,
            scratch,
        }
    }

    /// `[PREFIX_]REG_` in a line, as cached for the layout's names.
    fn cached_stem(&self) -> Option<Line> {
        let mut stem = self.scratch.layout.borrow_mut();
        let owner = std::ptr::from_ref(self.layout).cast();
        if stem.0 != owner {
            *stem = (owner, self.stem());
        }
        stem.1
    }

    /// `[PREFIX_]REG_` in a line.
    fn stem(&self) -> Option<Line> {
        let mut line = Line::BLANK;
        let fits = self.head.iter().chain(&["_"]).all(|p| line.push(p));
        fits.then_some(line)
    }

    /// `[PREFIX_]REG<suffix>` (`_RES0`, ...).
    fn define(&self, suffix: &'a str) -> Name<'_, 'a> {
        match suffix.strip_prefix('_') {
            Some(tail) => Name::Layout(self, tail),
            None => {
                let [p, sep, owner] = self.head;
                Name::Parts([p, sep, owner, suffix])
            }
        }
    }

    /// The named fields, from bit 63 down.
    fn fields<'s>(&'s self) -> impl Iterator<Item = FieldView<'s, 'a>> + 's {
        self.layout.fields().map(move |(entry, field)| FieldView {
            layout: self,
            field,
            bits: BitsView {
                lsb: Decimal(entry.bits.lsb),
                msb: Decimal(entry.bits.msb),
            },
            genmask: Genmask::new(entry.bits),
        })
    }

    fn res0(&self) -> Masks<'a> {
        Masks(self.layout, |k| matches!(k, EntryKind::Res0))
    }

    fn res1(&self) -> Masks<'a> {
        Masks(self.layout, |k| matches!(k, EntryKind::Res1))
    }

    fn unkn(&self) -> Masks<'a> {
        Masks(self.layout, |k| matches!(k, EntryKind::Unkn))
    }
}

/// A field of a layout. Kept small: the template loop moves it several times.
struct FieldView<'s, 'a> {
    layout: &'s LayoutView<'a>,
    field: &'a Field,
    bits: BitsView,
    /// `GENMASK(msb, lsb)`, the value of two of its macros.
    genmask: Genmask,
}

impl<'s, 'a> FieldView<'s, 'a> {
    /// `[PREFIX_]REG_FIELD<suffix>`.
    fn define(&self, suffix: &'static str) -> FieldName<'_, 's, 'a> {
        FieldName {
            field: self,
            tail: [suffix, ""],
        }
    }

    /// `[PREFIX_]REG_FIELD_VALUE`.
    fn define_value<'v>(&'v self, v: &'v EnumValue) -> FieldName<'v, 's, 'a> {
        FieldName {
            field: self,
            tail: ["_", &v.name],
        }
    }

    /// `Some(true)` for `SignedEnum`, `Some(false)` for `UnsignedEnum`, `None` otherwise.
    fn signed(&self) -> Option<bool> {
        match self.field.enumeration.as_ref()?.kind {
            EnumKind::Plain => None,
            EnumKind::Signed => Some(true),
            EnumKind::Unsigned => Some(false),
        }
    }

    fn values(&self) -> &'a [EnumValue] {
        self.field
            .enumeration
            .as_ref()
            .map_or(&[], |e| &e.values[..])
    }
}

/// Width of `NAME` in `#define NAME` padded to 56.
const NAME_WIDTH: usize = 56 - "#define ".len();

/// Bytes of a stack line, the longest name assembled in one; a longer name takes the slow path
/// (never in the kernel's databases, whose longest is 43 characters). Small enough that a line
/// is copied with a few vector moves rather than a call to `memcpy`.
const LINE: usize = 64;

/// A macro name being assembled: ASCII bytes at the start of a line of blanks, so that the
/// padded name is a prefix of it.
#[derive(Clone, Copy)]
struct Line {
    bytes: [u8; LINE],
    len: usize,
}

/// Blanks to copy over a line's end.
const BLANKS: [u8; LINE] = [b' '; LINE];

impl Line {
    const BLANK: Line = Line {
        bytes: [b' '; LINE],
        len: 0,
    };

    /// Appends `s`; false if it is not ASCII (padding counts characters) or does not fit, and
    /// then the line must not be used.
    #[inline(always)]
    fn push(&mut self, s: &str) -> bool {
        let len = self.len;
        let Some(dest) = self.bytes.get_mut(len..len + s.len()) else {
            return false;
        };
        if copy_short(dest, s.as_bytes()) & 0x80 != 0 {
            // Blank again what was copied: the line may be a cached one, to be used again.
            copy_short(dest, &BLANKS[..dest.len()]);
            return false;
        }
        self.len = len + s.len();
        true
    }

    /// Takes off what was pushed after the first `len` bytes.
    #[inline(always)]
    fn truncate(&mut self, len: usize) {
        if let Some(pushed) = self.bytes.get_mut(len..self.len) {
            copy_short(pushed, &BLANKS[..pushed.len()]);
            self.len = len;
        }
    }

    /// The name padded to [`NAME_WIDTH`].
    fn padded(&self) -> &str {
        // SAFETY: only ASCII was pushed, and the rest is ASCII blanks.
        unsafe { std::str::from_utf8_unchecked(&self.bytes[..self.len.max(NAME_WIDTH)]) }
    }
}

/// Copies `src` to `dst` (of the same length) with a few overlapping fixed-size moves: the
/// pieces here are short, and a call to `memcpy` costs more than such a copy. Returns the
/// bitwise OR of the bytes (its top bit says whether any is not ASCII).
#[inline(always)]
fn copy_short(dst: &mut [u8], src: &[u8]) -> u8 {
    /// Moves `N` (4, 8 or 16) bytes at `at`; returns them ORed into a word.
    #[inline(always)]
    fn chunk<const N: usize>(dst: &mut [u8], src: &[u8], at: usize) -> u64 {
        let mut bytes = [0; 16];
        bytes[..N].copy_from_slice(&src[at..at + N]);
        dst[at..at + N].copy_from_slice(&bytes[..N]);
        let [lo, hi] = [&bytes[..8], &bytes[8..]]
            .map(|half| u64::from_le_bytes(half.try_into().unwrap_or_default()));
        lo | hi
    }
    let n = src.len();
    let high = match n {
        0 => 0,
        1..=3 => {
            dst[0] = src[0];
            dst[n / 2] = src[n / 2];
            dst[n - 1] = src[n - 1];
            u64::from(src[0] | src[n / 2] | src[n - 1])
        }
        4..=7 => chunk::<4>(dst, src, 0) | chunk::<4>(dst, src, n - 4),
        8..=16 => chunk::<8>(dst, src, 0) | chunk::<8>(dst, src, n - 8),
        _ => {
            // 16 bytes at a time, the last move overlapping the one before.
            let mut high = 0;
            let mut at = 0;
            while at + 16 < n {
                high |= chunk::<16>(dst, src, at);
                at += 16;
            }
            high | chunk::<16>(dst, src, n - 16)
        }
    };
    if high & 0x8080_8080_8080_8080 == 0 {
        0
    } else {
        0x80
    }
}

/// Writes `parts`, then blanks up to [`NAME_WIDTH`] characters, as awk's `printf "%-56s"`
/// does: padding counts characters, and a longer name is not cut and gets no blank.
fn write_padded(parts: &[&str], out: &mut dyn fmt::Write) -> fmt::Result {
    let mut chars = 0;
    for part in parts {
        out.write_str(part)?;
        chars += part.chars().count();
    }
    (chars..NAME_WIDTH).try_for_each(|_| out.write_char(' '))
}

/// A macro name for the few lines per register and layout (encodings and masks), written
/// padded in one call where it fits a line, else as its pieces. Small: askama makes all the
/// values of a block before writing them.
enum Name<'s, 'a> {
    /// `SYS_<register><tail>`.
    Sys(&'s ItemView<'a>, &'a str),
    /// `[PREFIX_]REG_<tail>`.
    Layout(&'s LayoutView<'a>, &'a str),
    /// The pieces of any other name.
    Parts([&'a str; 4]),
}

impl Name<'_, '_> {
    #[inline(always)]
    fn write(&self, out: &mut dyn fmt::Write) -> fmt::Result {
        match *self {
            Name::Sys(item, tail) => {
                let make = || {
                    let mut line = Line::BLANK;
                    (line.push("SYS_") && line.push(item.name)).then_some(line)
                };
                let owner = item.name.as_ptr().cast();
                write_stem(&item.scratch.sys, owner, make, [tail, ""], out)
                    .unwrap_or_else(|| write_padded(&["SYS_", item.name, tail], out))
            }
            Name::Layout(layout, tail) => {
                let owner = std::ptr::from_ref(layout.layout).cast();
                write_stem(
                    &layout.scratch.layout,
                    owner,
                    || layout.stem(),
                    [tail, ""],
                    out,
                )
                .unwrap_or_else(|| {
                    let [p, sep, owner] = layout.head;
                    write_padded(&[p, sep, owner, "_", tail], out)
                })
            }
            Name::Parts(parts) => write_padded(&parts, out),
        }
    }
}

/// A field's macro name: the layout's stem, the field's name and up to two more pieces.
struct FieldName<'v, 's, 'a> {
    field: &'v FieldView<'s, 'a>,
    tail: [&'v str; 2],
}

impl FieldName<'_, '_, '_> {
    #[inline(always)]
    fn write(&self, out: &mut dyn fmt::Write) -> fmt::Result {
        let layout = self.field.layout;
        let field = self.field.field;
        let make = || {
            let mut line = layout.cached_stem()?;
            line.push(&field.name).then_some(line)
        };
        let owner = std::ptr::from_ref(field).cast();
        write_stem(&layout.scratch.field, owner, make, self.tail, out).unwrap_or_else(|| {
            let [p, sep, owner] = layout.head;
            let [a, b] = self.tail;
            write_padded(&[p, sep, owner, "_", &field.name, a, b], out)
        })
    }
}

/// The operands of a register's encoding, as the template writes them.
struct EncodingView {
    op0: Decimal,
    op1: Decimal,
    crn: Decimal,
    crm: Decimal,
    op2: Decimal,
}

impl EncodingView {
    fn new(e: Encoding) -> EncodingView {
        EncodingView {
            op0: Decimal(e.op0),
            op1: Decimal(e.op1),
            crn: Decimal(e.crn),
            crm: Decimal(e.crm),
            op2: Decimal(e.op2),
        }
    }
}

/// A field's bit range, as the template writes it.
#[derive(Clone, Copy)]
struct BitsView {
    msb: Decimal,
    lsb: Decimal,
}

impl BitsView {
    fn width(&self) -> Decimal {
        Decimal(self.msb.0 - self.lsb.0 + 1)
    }
}

/// A number of a register's encoding or a field's bits, written from a table of decimal
/// digits: some 8 500 numbers per header, and integer formatting costs several times more.
#[derive(Clone, Copy)]
struct Decimal(u8);

/// `0` to `255` in decimal: the digits and how many there are.
static DECIMALS: [([u8; 3], u8); 256] = {
    let mut table = [([0; 3], 0); 256];
    let mut n = 0;
    while n < 256 {
        let (hundreds, tens, ones) = ((n / 100) as u8, (n / 10 % 10) as u8, (n % 10) as u8);
        table[n] = match n {
            0..=9 => ([b'0' + ones, 0, 0], 1),
            10..=99 => ([b'0' + tens, b'0' + ones, 0], 2),
            _ => ([b'0' + hundreds, b'0' + tens, b'0' + ones], 3),
        };
        n += 1;
    }
    table
};

impl Decimal {
    fn as_str(self) -> &'static str {
        let (digits, len) = &DECIMALS[usize::from(self.0)];
        // SAFETY: ASCII digits.
        unsafe { std::str::from_utf8_unchecked(&digits[..usize::from(*len)]) }
    }
}

/// `GENMASK(msb, lsb)`, formatted once per field.
struct Genmask {
    text: [u8; 20],
    len: u8,
}

impl Genmask {
    fn new(bits: BitRange) -> Genmask {
        let mut text = *b"GENMASK(            ";
        let mut len = 8;
        push_decimal(&mut text, &mut len, bits.msb);
        text[len..len + 2].copy_from_slice(b", ");
        len += 2;
        push_decimal(&mut text, &mut len, bits.lsb);
        text[len] = b')';
        Genmask {
            text,
            len: len as u8 + 1,
        }
    }

    fn as_str(&self) -> &str {
        // SAFETY: ASCII letters, digits and punctuation.
        unsafe { std::str::from_utf8_unchecked(&self.text[..usize::from(self.len)]) }
    }
}

/// Appends `n` (a bit number: at most 63 in a valid database, at most 255 in any) in decimal.
fn push_decimal(text: &mut [u8], len: &mut usize, n: u8) {
    if n >= 100 {
        text[*len] = b'0' + n / 100;
        *len += 1;
    }
    if n >= 10 {
        text[*len] = b'0' + n / 10 % 10;
        *len += 1;
    }
    text[*len] = b'0' + n % 10;
    *len += 1;
}

/// `UL(0) | GENMASK_ULL(h, l) | ...`: one term per slice of the wanted kind, in input order.
struct Masks<'a>(&'a Layout, fn(&EntryKind) -> bool);

impl Masks<'_> {
    fn write(&self, out: &mut dyn fmt::Write) -> fmt::Result {
        out.write_str("UL(0)")?;
        for e in self.0.entries.iter().filter(|e| (self.1)(&e.kind)) {
            let mut text = *b" | GENMASK_ULL(         ";
            let mut len = 15;
            push_decimal(&mut text, &mut len, e.bits.msb);
            text[len..len + 2].copy_from_slice(b", ");
            len += 2;
            push_decimal(&mut text, &mut len, e.bits.lsb);
            text[len] = b')';
            // SAFETY: ASCII.
            out.write_str(unsafe { std::str::from_utf8_unchecked(&text[..len + 1]) })?;
        }
        Ok(())
    }
}

/// The template's values: each writes itself with one `write_str` where it can (askama calls
/// `FastWritable` for values passed through `|safe`).
macro_rules! writable {
    ($($ty:ty => |$this:ident, $out:ident| $body:expr;)*) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let ($this, $out): (&Self, &mut dyn fmt::Write) = (self, f);
                $body
            }
        }

        impl askama::FastWritable for $ty {
            #[inline(always)]
            fn write_into(
                &self,
                dest: &mut dyn fmt::Write,
                _: &dyn askama::Values,
            ) -> askama::Result<()> {
                let ($this, $out) = (self, dest);
                Ok($body?)
            }
        }
    )*};
}

writable! {
    Name<'_, '_> => |this, out| this.write(out);
    FieldName<'_, '_, '_> => |this, out| this.write(out);
    Genmask => |this, out| out.write_str(this.as_str());
    Decimal => |this, out| out.write_str(this.as_str());
    Masks<'_> => |this, out| this.write(out);
}

/// Renders the C header for `db`.
pub fn generate(db: &Database) -> String {
    // The header is about 11 bytes per byte of input; one allocation holds it.
    let mut out = Vec::with_capacity(db.order.len() * 3200);
    write(db, &mut out).expect("writing to a Vec cannot fail");
    // SAFETY: the bytes are whole `&str`s the template wrote, one after another.
    unsafe { String::from_utf8_unchecked(out) }
}

/// Writes the C header for `db` to `out`, `CHUNK` (64 KiB) bytes at a time: the same bytes as
/// [`generate`] without holding the whole (1 MB) header in memory. `out` needs no buffering of
/// its own (each write is a whole chunk).
pub fn write(db: &Database, out: &mut dyn io::Write) -> io::Result<()> {
    let mut sink = Chunks {
        buf: vec![0; CHUNK].into_boxed_slice(),
        len: 0,
        out,
        error: None,
    };
    let unmade = || RefCell::new((std::ptr::null(), None));
    let scratch = Scratch {
        sys: unmade(),
        layout: unmade(),
        field: unmade(),
    };
    let rendered = Header {
        db,
        scratch: &scratch,
    }
    .render_into(&mut sink);
    // askama drops the template file's final newline; the kernel's header ends with one.
    let _ = fmt::Write::write_str(&mut sink, "\n");
    match (rendered, sink.error.take()) {
        (_, Some(e)) => Err(e),
        (Err(e), None) => Err(io::Error::other(e)),
        (Ok(()), None) => sink.flush(),
    }
}

/// Output is passed on in chunks of this size: large enough that the writes cost little, small
/// enough that the buffer stays in cache and touches few fresh pages.
const CHUNK: usize = 64 * 1024;

/// A `fmt::Write` that passes text on to an `io::Write` in chunks of [`CHUNK`] bytes, keeping
/// the first I/O error (`fmt::Error` cannot carry it).
struct Chunks<'w> {
    buf: Box<[u8]>,
    len: usize,
    out: &'w mut dyn io::Write,
    error: Option<io::Error>,
}

impl Chunks<'_> {
    fn flush(&mut self) -> io::Result<()> {
        let result = self.out.write_all(&self.buf[..self.len]);
        self.len = 0;
        result
    }

    /// `write_str` when the buffer is full.
    #[cold]
    fn flush_for(&mut self, s: &str) -> fmt::Result {
        let flushed = self.flush().and_then(|()| {
            if s.len() > self.buf.len() {
                // Only a pathological name could be this long: pass it straight on.
                self.out.write_all(s.as_bytes())
            } else {
                self.buf[..s.len()].copy_from_slice(s.as_bytes());
                self.len = s.len();
                Ok(())
            }
        });
        flushed.map_err(|e| {
            self.error = Some(e);
            fmt::Error
        })
    }
}

impl fmt::Write for Chunks<'_> {
    /// Called some 58 000 times per header (three pieces a line, through askama's `dyn Write`):
    /// one comparison, then the copy with a few fixed-size moves.
    #[inline]
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let bytes = s.as_bytes();
        // `len <= buf.len()` always, so the subtraction cannot wrap.
        if bytes.len() > self.buf.len() - self.len {
            return self.flush_for(s);
        }
        // SAFETY: `bytes.len()` bytes fit in `buf` from `len` (checked above), and `s` is not
        // in `buf`.
        unsafe {
            copy_raw(
                bytes.as_ptr(),
                self.buf.as_mut_ptr().add(self.len),
                bytes.len(),
            )
        };
        self.len += bytes.len();
        Ok(())
    }
}

/// Copies `n` bytes from `src` to `dst` with a few overlapping moves of 4 to 16 bytes when
/// `n` is at most 64 (nearly every piece of the header is), with `memcpy` beyond.
///
/// # Safety
/// `src` is readable and `dst` writable for `n` bytes, and they do not overlap.
#[inline(always)]
unsafe fn copy_raw(src: *const u8, dst: *mut u8, n: usize) {
    use std::ptr::{read_unaligned, write_unaligned};
    /// Moves the `T` at `at`.
    #[inline(always)]
    unsafe fn mov<T: Copy>(src: *const u8, dst: *mut u8, at: usize) {
        write_unaligned(
            dst.add(at).cast::<T>(),
            read_unaligned(src.add(at).cast::<T>()),
        );
    }
    match n {
        0 => {}
        1..=3 => {
            *dst = *src;
            *dst.add(n / 2) = *src.add(n / 2);
            *dst.add(n - 1) = *src.add(n - 1);
        }
        4..=7 => {
            mov::<u32>(src, dst, 0);
            mov::<u32>(src, dst, n - 4);
        }
        8..=15 => {
            mov::<u64>(src, dst, 0);
            mov::<u64>(src, dst, n - 8);
        }
        16..=32 => {
            mov::<u128>(src, dst, 0);
            mov::<u128>(src, dst, n - 16);
        }
        33..=64 => {
            mov::<u128>(src, dst, 0);
            mov::<u128>(src, dst, 16);
            mov::<u128>(src, dst, n - 32);
            mov::<u128>(src, dst, n - 16);
        }
        _ => std::ptr::copy_nonoverlapping(src, dst, n),
    }
}

#[cfg(test)]
mod tests {
    use super::generate;
    use sysreg_db::{Options, SourceFile, SourceMap};

    /// Keeps `printf "%-56s"`'s behaviour off the corpus's beaten path: names longer than the
    /// stack line, and padding counted in characters.
    #[test]
    fn padding_counts_characters_and_never_cuts() {
        let long = "AN_EXTREMELY_LONG_FIELD_NAME_THAT_GOES_PAST_SIXTY_FOUR_BYTES_OF_NAME";
        let longer = long.repeat(2);
        let src = format!(
            "Sysreg\tFOO_EL1\t3\t0\t1\t2\t3\nField\t63:3\t{long}\nEnum\t2:1\t{longer}\n\t0b1\t{long}\nEndEnum\nEnum\t0\tE\n\t0b0\tN\u{c9}\n\t0b1\tY\nEndEnum\nEndSysreg\nSysreg\tBAR_EL1\t3\t0\t1\t2\t4\nField\t63:1\tX\nField\t0\tCAF\u{c9}\nEndSysreg\n"
        );
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new("t", src.as_bytes()));
        let loaded = sysreg_db::load(&sources, &Options::lenient());
        let out = generate(&loaded.database.expect("lenient mode accepts the input"));
        for (name, value) in [
            ("SYS_FOO_EL1_Op0".to_string(), "3"),
            (format!("FOO_EL1_{long}_MASK"), "GENMASK(63, 3)"),
            (format!("FOO_EL1_{longer}_SHIFT"), "1"),
            (format!("FOO_EL1_{longer}_{long}"), "UL(0b1)"),
            // A name that is not ASCII, then one that is, after the same stem.
            ("FOO_EL1_E_N\u{c9}".to_string(), "UL(0b0)"),
            ("FOO_EL1_E_Y".to_string(), "UL(0b1)"),
            ("BAR_EL1_CAF\u{c9}_SHIFT".to_string(), "0"),
            ("BAR_EL1_CAF\u{c9}".to_string(), "GENMASK(0, 0)"),
        ] {
            let line = format!("\n#define {name:<48}{value}\n");
            assert!(out.contains(&line), "{line:?} missing from:\n{out}");
        }
    }

    /// `write` in chunks gives the bytes `generate` does.
    #[test]
    fn chunked_write_matches_generate() {
        let mut text = String::new();
        for i in 0..2000 {
            text.push_str(&format!(
                "Sysreg\tR{i}_EL1\t3\t0\t1\t2\t{}\nRes0\t63:1\nField\t0\tEN\nEndSysreg\n",
                i % 8
            ));
        }
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new("t", text.as_bytes()));
        let db = sysreg_db::load(&sources, &Options::lenient())
            .database
            .expect("valid");
        let mut written = Vec::new();
        super::write(&db, &mut written).unwrap();
        assert!(written.len() > 2 * super::CHUNK);
        assert_eq!(String::from_utf8(written).unwrap(), generate(&db));
    }
}
