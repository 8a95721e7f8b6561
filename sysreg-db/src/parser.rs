//! The block-structure parser: turns lines into IR items, reporting every problem it meets.
//!
//! It follows the kernel script's state machine (Root -> Sysreg | SysregFields -> Prefix -> Enum)
//! and its rules for which directive is accepted where, but instead of stopping at the first
//! error it reports it and recovers (closing a forgotten block, re-synchronising the bit cursor
//! after a misplaced field), so one run reports every error. Blocks do not span input files.

use crate::diagnostic::{Code, Diagnostics, Note};
use crate::ir::*;
use crate::lexer::{self, Binary, Word};
use crate::source::{FileId, Loc, SourceFile, Span, LINE_STEP};
use std::collections::hash_map::Entry as MapEntry;
use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::ops::Range;

/// The directives of the format. Recognised by exact equality of the line's first word, as the
/// newest kernel script does (so `FieldX` is unknown and leading blanks are allowed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Directive {
    Sysreg,
    EndSysreg,
    SysregFields,
    EndSysregFields,
    Fields,
    Mapping,
    Field,
    Res0,
    Res1,
    Unkn,
    Raz,
    Enum,
    SignedEnum,
    UnsignedEnum,
    EndEnum,
    Prefix,
    EndPrefix,
}

use Directive as D;

impl Directive {
    const ALL: [Directive; 17] = [
        D::Sysreg,
        D::EndSysreg,
        D::SysregFields,
        D::EndSysregFields,
        D::Fields,
        D::Mapping,
        D::Field,
        D::Res0,
        D::Res1,
        D::Unkn,
        D::Raz,
        D::Enum,
        D::SignedEnum,
        D::UnsignedEnum,
        D::EndEnum,
        D::Prefix,
        D::EndPrefix,
    ];

    fn word(self) -> &'static str {
        match self {
            D::Sysreg => "Sysreg",
            D::EndSysreg => "EndSysreg",
            D::SysregFields => "SysregFields",
            D::EndSysregFields => "EndSysregFields",
            D::Fields => "Fields",
            D::Mapping => "Mapping",
            D::Field => "Field",
            D::Res0 => "Res0",
            D::Res1 => "Res1",
            D::Unkn => "Unkn",
            D::Raz => "Raz",
            D::Enum => "Enum",
            D::SignedEnum => "SignedEnum",
            D::UnsignedEnum => "UnsignedEnum",
            D::EndEnum => "EndEnum",
            D::Prefix => "Prefix",
            D::EndPrefix => "EndPrefix",
        }
    }

    fn from_word(word: &str) -> Option<Directive> {
        // A `match` on the string compiles to a length switch and one comparison.
        Some(match word {
            "Sysreg" => D::Sysreg,
            "EndSysreg" => D::EndSysreg,
            "SysregFields" => D::SysregFields,
            "EndSysregFields" => D::EndSysregFields,
            "Fields" => D::Fields,
            "Mapping" => D::Mapping,
            "Field" => D::Field,
            "Res0" => D::Res0,
            "Res1" => D::Res1,
            "Unkn" => D::Unkn,
            "Raz" => D::Raz,
            "Enum" => D::Enum,
            "SignedEnum" => D::SignedEnum,
            "UnsignedEnum" => D::UnsignedEnum,
            "EndEnum" => D::EndEnum,
            "Prefix" => D::Prefix,
            "EndPrefix" => D::EndPrefix,
            _ => return None,
        })
    }

    /// The full syntax of the line, for "expected" labels.
    fn syntax(self) -> &'static str {
        match self {
            D::Sysreg => "Sysreg <name> <op0> <op1> <CRn> <CRm> <op2>",
            D::SysregFields => "SysregFields <name>",
            D::Fields => "Fields <SysregFields name>",
            D::Mapping => "Mapping <Sysreg name>",
            D::Field => "Field <msb>[:<lsb>] <name>",
            D::Res0 => "Res0 <msb>[:<lsb>]",
            D::Res1 => "Res1 <msb>[:<lsb>]",
            D::Unkn => "Unkn <msb>[:<lsb>]",
            D::Raz => "Raz <msb>[:<lsb>]",
            D::Enum => "Enum <msb>[:<lsb>] <name>",
            D::SignedEnum => "SignedEnum <msb>[:<lsb>] <name>",
            D::UnsignedEnum => "UnsignedEnum <msb>[:<lsb>] <name>",
            D::Prefix => "Prefix <name>",
            D::EndSysreg => "EndSysreg",
            D::EndSysregFields => "EndSysregFields",
            D::EndEnum => "EndEnum",
            D::EndPrefix => "EndPrefix",
        }
    }

    /// Number of words on the line, directive included (the kernel's `expect_fields`).
    fn arity(self) -> usize {
        match self {
            D::Sysreg => 7,
            D::SysregFields | D::Fields | D::Mapping | D::Prefix => 2,
            D::Res0 | D::Res1 | D::Unkn | D::Raz => 2,
            D::Field | D::Enum | D::SignedEnum | D::UnsignedEnum => 3,
            D::EndSysreg | D::EndSysregFields | D::EndEnum | D::EndPrefix => 1,
        }
    }

    /// A close match for a misspelt directive, for "did you mean" hints.
    fn suggest(word: &str) -> Option<Directive> {
        let lower = word.to_ascii_lowercase();
        Directive::ALL
            .into_iter()
            .find(|d| d.word().to_ascii_lowercase() == lower)
            .or_else(|| {
                // On a tie prefer a directive the word starts with (`FieldX` -> `Field`, not
                // `Fields`) or that starts with the word.
                Directive::ALL
                    .into_iter()
                    .map(|d| (edit_distance(d.word(), word), d))
                    .filter(|&(dist, _)| dist <= 2)
                    .min_by_key(|&(dist, d)| {
                        let related = word.starts_with(d.word()) || d.word().starts_with(word);
                        (dist, !related)
                    })
                    .map(|(_, d)| d)
            })
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    // Words longer than any directive plus the threshold cannot be within distance 2.
    if b.len() > 20 {
        return usize::MAX;
    }
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Accumulates the database across input files.
pub(crate) struct Builder<'src> {
    db: Database,
    diags: Diagnostics,
    /// First definition of every Sysreg / SysregFields name, for duplicate reports and to
    /// resolve references.
    sysreg_defs: NameMap<'src>,
    fieldset_defs: NameMap<'src>,
    /// Emptied buffers that layouts and enums are read into. A finished layout (enum) gets an
    /// exact-size copy and its buffer is reused: growing each vector by doubling would leave
    /// the old blocks behind (the allocator of `sysreg-gen` does not reuse memory) and, in
    /// total, more than double the memory the database takes.
    spare_entries: Vec<Vec<Entry>>,
    spare_values: Vec<EnumValue>,
    /// Whether to read the commonest lines on the fast path (`FileParser::fast_path`); off
    /// only in the tests that compare the two paths.
    fast: bool,
}

/// Block names and where each was first defined.
type NameMap<'src> = HashMap<&'src str, Definition, SeededNames>;

/// Hashes the block names: a multiply-rotate hash taking eight bytes a step, seeded from the
/// standard library's random keys. About a fifth of SipHash's instructions on these short
/// names (SipHash was a percent of a `c-header` run), and still seeded per process, so names
/// that collide cannot be prepared in advance.
#[derive(Clone, Copy)]
struct SeededNames(u64);

impl Default for SeededNames {
    fn default() -> SeededNames {
        SeededNames(RandomState::new().hash_one(0x5eed_u64))
    }
}

impl BuildHasher for SeededNames {
    type Hasher = NameHasher;

    fn build_hasher(&self) -> NameHasher {
        NameHasher(self.0)
    }
}

struct NameHasher(u64);

impl NameHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for NameHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        self.add(bytes.len() as u64);
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            self.add(u64::from_le_bytes(word.try_into().unwrap_or_default()));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            self.add(rest.iter().fold(0, |w, &b| w << 8 | u64::from(b)));
        }
    }

    #[inline]
    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0 ^ self.0 >> 32
    }
}

/// Where a name was first defined, and the index of the item in the database (every block
/// that is not a duplicate is added when it closes, even one cut short by the end of the file).
#[derive(Clone, Copy)]
struct Definition {
    name: Span,
    index: usize,
}

/// The names defined in the input, for resolving references.
pub(crate) struct Names<'src> {
    sysregs: NameMap<'src>,
    field_sets: NameMap<'src>,
}

impl Names<'_> {
    /// The index in `db.registers` of the register called `name`.
    pub fn register(&self, name: &str) -> Option<usize> {
        self.sysregs.get(name).map(|d| d.index)
    }

    /// The index in `db.field_sets` of the field set called `name`.
    pub fn field_set(&self, name: &str) -> Option<usize> {
        self.field_sets.get(name).map(|d| d.index)
    }
}

impl<'src> Builder<'src> {
    /// The database, the diagnostics, and the names defined.
    pub fn finish(self) -> (Database, Diagnostics, Names<'src>) {
        let names = Names {
            sysregs: self.sysreg_defs,
            field_sets: self.fieldset_defs,
        };
        (self.db, self.diags, names)
    }

    pub fn new(diags: Diagnostics, fast: bool) -> Builder<'src> {
        Builder {
            db: Database::default(),
            diags,
            sysreg_defs: NameMap::default(),
            fieldset_defs: NameMap::default(),
            spare_entries: Vec::new(),
            spare_values: Vec::new(),
            fast,
        }
    }

    /// Parses one input file into the database.
    pub fn parse_file(&mut self, file: FileId, src: &'src SourceFile) {
        let mut p = FileParser {
            file,
            b: self,
            owner: None,
            prefix: None,
            enumeration: None,
            field_names: Default::default(),
            enum_names: FirstSeen::default(),
            enum_numbers: FirstSeen::default(),
        };
        p.report_encoding_problems(src);
        // About one block per 256 bytes in the kernel's database: room for the names and
        // registers without rehashing and copying as they grow (bounded, for huge inputs).
        let blocks = (src.text.len() / 256).min(1 << 16);
        p.b.sysreg_defs.reserve(blocks);
        p.b.db.registers.reserve(blocks);
        p.b.db.order.reserve(blocks);
        let mut words = Vec::with_capacity(8);
        let ascii = src.is_ascii();
        let text = src.text.as_str();
        // Where every `LINE_STEP`-th line starts, for diagnostics to find their lines.
        let mut starts = Vec::with_capacity(text.len() / 16 / LINE_STEP + 1);
        let mut start = 0;
        let mut number = 0;
        loop {
            let end = lexer::line_end(text.as_bytes(), start);
            if number % LINE_STEP as u32 == 0 {
                starts.push(start);
            }
            number += 1;
            let line_end = if end > start && text.as_bytes()[end - 1] == b'\r' {
                end - 1
            } else {
                end
            };
            p.line(number, text, start, line_end, ascii, &mut words);
            if end == text.len() {
                break;
            }
            start = end + 1;
        }
        src.set_line_starts(starts);
        p.finish();
    }
}

enum OwnerKind {
    Sysreg(Encoding),
    FieldSet,
}

/// The Sysreg or SysregFields block being read.
struct Owner {
    kind: OwnerKind,
    name: String,
    loc: Loc,
    /// `Sysreg`/`SysregFields` word, for "not closed" reports.
    open: Span,
    prefixed: Vec<Layout>,
    /// The name of every `Prefix` so far and where it is, for duplicate reports.
    prefix_names: Vec<(String, Span)>,
    default: LayoutBuilder,
    reference: Option<(Directive, Reference)>,
    /// `#@ access` and where it was given.
    access: Option<(Access, Span)>,
    /// A duplicate definition: checked like any other, but not added to the database.
    duplicate: bool,
}

impl Owner {
    fn directive(&self) -> Directive {
        match self.kind {
            OwnerKind::Sysreg(_) => D::Sysreg,
            OwnerKind::FieldSet => D::SysregFields,
        }
    }

    fn terminator(&self) -> Directive {
        match self.kind {
            OwnerKind::Sysreg(_) => D::EndSysreg,
            OwnerKind::FieldSet => D::EndSysregFields,
        }
    }
}

/// A layout being read, with the kernel's `next_bit` cursor.
#[derive(Default)]
struct LayoutBuilder {
    layout: Layout,
    /// The next bit a slice must start at; -1 when complete; `None` after an unparseable range,
    /// until the next valid slice re-synchronises it (so one typo is reported once).
    next_bit: Option<i8>,
    /// Where `Prefix` opened this layout.
    open: Option<Span>,
    /// Whether any Field/Res0/.../Enum line was read into it.
    touched: bool,
}

impl LayoutBuilder {
    /// A layout read into `entries` (an empty buffer).
    fn new(entries: Vec<Entry>) -> Self {
        LayoutBuilder {
            layout: Layout {
                prefix: None,
                entries,
            },
            next_bit: Some(63),
            open: None,
            touched: false,
        }
    }
}

/// An `Enum` block being read.
struct OpenEnum<'src> {
    open: Span,
    name: &'src str,
    bits: Option<BitRange>,
    /// Whether its entry was added to the layout (its bit range was valid).
    placed: bool,
    values: Vec<EnumValue>,
}

/// What makes two enum values the same: the number, or the spelling of a non-number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum ValueKey<'src> {
    Number(u64),
    Spelling(&'src str),
}

/// What was first seen under each key, for duplicate reports. A linear scan while small (the
/// normal case: a few fields or enum values, no allocation per key), a hash map once large,
/// so an adversarial input with 100 000 values stays linear.
struct FirstSeen<K, V> {
    /// A cheap hash of each key first, so the scan compares one word per entry.
    small: Vec<(u64, K, V)>,
    /// Bit `hash >> 58` set for the cheap hash of every key in `small`: a key whose bit is clear
    /// is new without a scan (the usual case: keys are rarely repeated).
    hashes_seen: u64,
    large: Option<HashMap<K, V>>,
}

impl<K, V> Default for FirstSeen<K, V> {
    fn default() -> Self {
        FirstSeen {
            small: Vec::new(),
            hashes_seen: 0,
            large: None,
        }
    }
}

/// What [`FirstSeen`] keys need: equality, hashing for the large map, and a cheap hash for the
/// linear scan.
trait Key: Copy + Eq + Hash {
    fn quick_hash(&self) -> u64;
}

impl Key for &str {
    fn quick_hash(&self) -> u64 {
        // The length and the first and last bytes (all of a name of up to 16: two overlapping
        // loads of the largest size that fits), mixed by a multiplication: it only has to tell
        // most names apart, in a few instructions.
        let b = self.as_bytes();
        let n = b.len();
        let u32_at = |i: usize| {
            b.get(i..i + 4).map_or(0, |w| {
                u64::from(u32::from_le_bytes(w.try_into().unwrap_or_default()))
            })
        };
        let (head, tail) = match n {
            0 => (0, 0),
            1..=3 => (
                u64::from(b[0]) << 16 | u64::from(b[n / 2]) << 8,
                u64::from(b[n - 1]),
            ),
            4..=7 => (u32_at(0), u32_at(n - 4)),
            _ => (
                lexer::word_at(b, 0).unwrap_or(0),
                lexer::word_at(b, n - 8).unwrap_or(0),
            ),
        };
        let h = (head ^ tail.rotate_left(23) ^ b.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        h ^ h >> 29
    }
}

impl Key for ValueKey<'_> {
    fn quick_hash(&self) -> u64 {
        match self {
            // Fibonacci hashing: consecutive values get far-apart top bits (the bit set by
            // `FirstSeen` is chosen by the top six).
            ValueKey::Number(n) => n.wrapping_mul(0x9e37_79b9_7f4a_7c15),
            ValueKey::Spelling(s) => s.quick_hash() ^ 0x5555,
        }
    }
}

impl<K: Key, V: Copy> FirstSeen<K, V> {
    /// A layout has at most 64 slices, so field names never leave the linear scan.
    const SMALL: usize = 64;

    /// Forgets every key, keeping the small buffer's allocation.
    fn clear(&mut self) {
        self.small.clear();
        self.hashes_seen = 0;
        self.large = None;
    }

    /// The value first recorded under `key`, if any.
    #[inline]
    fn get(&self, key: K) -> Option<V> {
        if let Some(map) = &self.large {
            return map.get(&key).copied();
        }
        let hash = key.quick_hash();
        if self.hashes_seen & 1 << (hash >> 58) == 0 {
            return None;
        }
        let found = self.small.iter().find(|(h, k, _)| *h == hash && *k == key);
        found.map(|&(_, _, first)| first)
    }

    /// Records `value` under `key` unless the key was seen before; returns the first value.
    #[inline]
    fn insert(&mut self, key: K, value: V) -> Option<V> {
        // The usual case inline: a new key (its hash bit clear) into the small buffer, which
        // has room and needs no growing.
        let hash = key.quick_hash();
        let bit = 1 << (hash >> 58);
        if self.hashes_seen & bit == 0
            && self.large.is_none()
            && self.small.len() < Self::SMALL.min(self.small.capacity())
        {
            self.hashes_seen |= bit;
            self.small.push((hash, key, value));
            return None;
        }
        self.insert_slow(key, value, hash)
    }

    #[cold]
    #[inline(never)]
    fn insert_slow(&mut self, key: K, value: V, hash: u64) -> Option<V> {
        if let Some(map) = &mut self.large {
            return match map.entry(key) {
                MapEntry::Occupied(e) => Some(*e.get()),
                MapEntry::Vacant(e) => {
                    e.insert(value);
                    None
                }
            };
        }
        let bit = 1 << (hash >> 58);
        if self.hashes_seen & bit != 0 {
            let found = self.small.iter().find(|(h, k, _)| *h == hash && *k == key);
            if let Some(&(_, _, first)) = found {
                return Some(first);
            }
        }
        self.hashes_seen |= bit;
        self.small.push((hash, key, value));
        if self.small.len() > Self::SMALL {
            self.large = Some(self.small.drain(..).map(|(_, k, v)| (k, v)).collect());
        }
        None
    }
}

struct FileParser<'b, 'src> {
    file: FileId,
    b: &'b mut Builder<'src>,
    owner: Option<Owner>,
    prefix: Option<LayoutBuilder>,
    enumeration: Option<OpenEnum<'src>>,
    /// Where each field name of the default layout ([0]) and of the open Prefix layout ([1])
    /// was first used, for duplicate-name reports. Kept here and cleared, not rebuilt, when a
    /// block opens, so reading a block allocates nothing for them.
    field_names: [FirstSeen<&'src str, Span>; 2],
    /// Where each name of the open Enum was first used.
    enum_names: FirstSeen<&'src str, Span>,
    /// The first value (index into the Enum's values) with each number, or each spelling when
    /// it is not a number.
    enum_numbers: FirstSeen<ValueKey<'src>, usize>,
}

/// Splits a line syntax such as `Fields <SysregFields name>` into its words, keeping a
/// `<placeholder>` with a blank inside it in one piece.
fn syntax_parts(syntax: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut depth) = (0, 0);
    for (i, c) in syntax.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ' ' if depth == 0 => {
                parts.push(&syntax[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&syntax[start..]);
    parts
}

/// A word as quoted in a message: cut after 40 characters.
fn shorten(word: &str) -> String {
    let mut shown: String = word.chars().take(40).collect();
    if shown.len() < word.len() {
        shown.push_str("...");
    }
    shown
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn comment_note() -> Note {
    Note {
        span: None,
        message: "comments must be on a line of their own".into(),
    }
}

fn note(span: Span, message: impl Into<String>) -> Note {
    Note {
        span: Some(span),
        message: message.into(),
    }
}

impl<'src> FileParser<'_, 'src> {
    fn loc(&self, line: u32, col: u32) -> Loc {
        Loc {
            file: self.file,
            line,
            col,
        }
    }

    fn span(&self, line: u32, word: &Word) -> Span {
        Span {
            loc: self.loc(line, word.col),
            len: word.len,
        }
    }

    /// `REG.FIELD`, the way the kernel's messages name a field.
    fn qualified(&self, field: &str) -> String {
        match &self.owner {
            Some(o) => format!("{}.{field}", o.name),
            None => field.to_string(),
        }
    }

    fn report(&mut self, code: Code, span: Span, msg: impl Into<String>, exp: impl Into<String>) {
        self.b.diags.report(code, span, msg, exp, Vec::new());
    }

    fn report_encoding_problems(&mut self, src: &SourceFile) {
        if let Some(bad) = src.invalid_utf8 {
            let span = Span {
                loc: self.loc(bad.line, bad.col),
                len: 1,
            };
            self.report(
                Code::InvalidUtf8,
                span,
                format!(
                    "the file is not UTF-8 text: byte 0x{:02x} here ({} invalid sequence{} in the file)",
                    bad.byte,
                    bad.count,
                    if bad.count == 1 { "" } else { "s" }
                ),
                "UTF-8 text (the kernel's database is plain ASCII)",
            );
        }
        if !lexer::contains_byte(src.text.as_bytes(), b'\r') {
            return;
        }
        let mut crlf = src
            .text
            .split('\n')
            .enumerate()
            .filter(|(_, l)| l.ends_with('\r'));
        if let Some((i, first)) = crlf.next() {
            let count = 1 + crlf.count();
            let span = Span {
                loc: self.loc(i as u32 + 1, first.chars().count() as u32),
                len: 1,
            };
            self.report(
                Code::CarriageReturn,
                span,
                format!(
                    "the file has CRLF line endings ({count} line{} end with a carriage return)",
                    if count == 1 { "" } else { "s" }
                ),
                "LF line endings (the kernel's generator would paste the \\r into its macros)",
            );
        }
    }

    /// Reads line `line`, `file[start..end]` (without its line terminator); `ascii` says
    /// whether the whole file is ASCII (columns are then bytes).
    fn line(
        &mut self,
        line: u32,
        file: &'src str,
        start: usize,
        end: usize,
        ascii: bool,
        words: &mut Vec<Word<'src>>,
    ) {
        let text = &file[start..end];
        let bytes = text.as_bytes();
        let Some(lead) = bytes.iter().position(|&b| !lexer::is_blank(b)) else {
            if !text.is_empty() {
                let span = Span {
                    loc: self.loc(line, 1),
                    len: text.chars().count() as u32,
                };
                self.report(
                    Code::WhitespaceOnlyLine,
                    span,
                    "line holds only spaces or tabs",
                    "an empty line (the kernel's generator rejects blank lines with whitespace)",
                );
            }
            return;
        };
        if bytes[lead] == b'#' {
            if bytes.get(lead + 1) == Some(&b'@') {
                // The project's extension: a comment to the kernel's script, data to us.
                return self.annotation(line, &text[lead + 2..], lead as u32 + 3);
            }
            return;
        }
        if ascii && self.b.fast && self.fast_path(line, file, start, end) {
            return;
        }
        lexer::words_into(file, start, end, ascii, words);
        self.dispatch(line, text, words);
    }

    /// `#@ <key> <value>`: `rest` is what follows `#@`, starting at column `col`.
    fn annotation(&mut self, line: u32, rest: &str, col: u32) {
        let words = lexer::words(rest);
        let at = |w: Option<&Word>| Span {
            loc: Loc {
                file: self.file,
                line,
                col: w.map_or(col - 2, |w| col + w.col - 1),
            },
            len: w.map_or(2, |w| w.len),
        };
        let place = match (&self.owner, &self.prefix, &self.enumeration) {
            (_, _, Some(_)) => Some("inside an Enum block"),
            (_, Some(_), None) => Some("inside a Prefix block"),
            (
                Some(Owner {
                    kind: OwnerKind::FieldSet,
                    ..
                }),
                None,
                None,
            ) => Some("inside a SysregFields block"),
            (None, None, None) => Some("outside a Sysreg block"),
            (Some(_), None, None) => None,
        };
        if let Some(place) = place {
            return self.report(
                Code::InvalidAnnotation,
                at(None),
                format!("`#@` annotation {place}"),
                "annotations inside a Sysreg block, outside its Prefix and Enum blocks",
            );
        }
        let access = match words.as_slice() {
            [key, value] if key.text == "access" => match value.text {
                "RO" => Access::ReadOnly,
                "WO" => Access::WriteOnly,
                "RW" => Access::ReadWrite,
                other => {
                    let msg = format!("unknown access `{}`", shorten(other));
                    return self.report(
                        Code::InvalidAnnotation,
                        at(Some(value)),
                        msg,
                        "`RO`, `WO` or `RW`",
                    );
                }
            },
            _ => {
                let first = words.first();
                let msg = format!(
                    "unknown annotation `#@{}`",
                    shorten(rest.trim_end_matches([' ', '\t']))
                );
                return self.report(
                    Code::InvalidAnnotation,
                    at(first),
                    msg,
                    "`#@ access RO`, `#@ access WO` or `#@ access RW`",
                );
            }
        };
        let span = at(words.get(1));
        let owner = self.owner.as_mut().expect("checked above");
        if let Some((_, first)) = owner.access {
            let notes = vec![note(first, "first given here")];
            let msg = format!("second `#@ access` for `{}`", owner.name);
            return self.b.diags.report(
                Code::DuplicateAnnotation,
                span,
                msg,
                "one `#@ access` per Sysreg",
                notes,
            );
        }
        owner.access = Some((access, span));
    }

    // ---- Fast path ------------------------------------------------------------------------

    /// The commonest lines, read without the general path's vector of words and its checks
    /// for every kind of mistake, when they are well-formed and where they belong: in a
    /// layout `Field`, `Res0` and the `*Enum` headers, in an Enum its values and `EndEnum`,
    /// outside any block `Sysreg`, and the `EndSysreg`/`EndSysregFields` of a complete block
    /// (together 97 in 100 of the kernel's database's lines that are not blank or comments). It makes exactly the changes the
    /// general path would (a test compares the two on the kernel's databases and mutations of
    /// them). Returns false, having changed nothing, for anything else: the general path then
    /// reads the line and reports what is wrong with it. The line is `file[start..end]`,
    /// ASCII (columns are byte offsets).
    fn fast_path(&mut self, line: u32, file: &'src str, start: usize, end: usize) -> bool {
        let text = &file[start..end];
        if self.enumeration.is_some() {
            if text == "EndEnum" {
                self.close_enum();
                return true;
            }
            let words = lexer::exact_words::<2>(file, start, end);
            return words.is_some_and(|words| self.fast_enum_value(line, text, words));
        }
        let bytes = text.as_bytes();
        let Some(blank) = bytes.iter().position(|&b| lexer::is_blank(b)) else {
            return match text {
                "EndSysreg" => self.fast_end_owner(line, D::EndSysreg),
                "EndSysregFields" => self.fast_end_owner(line, D::EndSysregFields),
                _ => false,
            };
        };
        let directive = Some(match &bytes[..blank] {
            b"Field" => D::Field,
            b"Res0" => D::Res0,
            b"UnsignedEnum" => D::UnsignedEnum,
            b"Enum" => D::Enum,
            b"SignedEnum" => D::SignedEnum,
            b"Sysreg" => {
                let words = lexer::exact_words::<7>(file, start, end);
                return words.is_some_and(|words| self.fast_open_sysreg(line, text, words));
            }
            _ => return false,
        });
        match directive {
            Some(D::Res0) => {
                let words = lexer::exact_words::<2>(file, start, end);
                words.is_some_and(|[d, bits]| self.fast_entry(line, text, D::Res0, d, bits, None))
            }
            Some(d) => {
                let words = lexer::exact_words::<3>(file, start, end);
                words.is_some_and(|[w, bits, name]| {
                    self.fast_entry(line, text, d, w, bits, Some(name))
                })
            }
            None => false,
        }
    }

    /// `Field`, `Res0` or a `*Enum` header (`d`, the word at `directive`) continuing the
    /// layout; all but `Res0` with a `name` that is a new C identifier.
    fn fast_entry(
        &mut self,
        line: u32,
        text: &'src str,
        d: Directive,
        directive: Range<usize>,
        bits: Range<usize>,
        name: Option<Range<usize>>,
    ) -> bool {
        let Some(raw) = lexer::short_bit_range(&text[bits]) else {
            return false;
        };
        let (Some(msb @ 0..=63), Some(lsb @ 0..=63)) = (raw.msb, raw.lsb) else {
            return false;
        };
        let name = name.map(|name| (&text[name.clone()], name));
        if msb < lsb || name.as_ref().is_some_and(|(n, _)| !lexer::is_identifier(n)) {
            return false;
        }
        let prefixed = self.prefix.is_some();
        if self.layout().map(|l| l.next_bit) != Some(Some(msb as i8)) {
            return false;
        }
        if let Some((name_text, name)) = &name {
            let span = Span {
                loc: self.loc(line, name.start as u32 + 1),
                len: name.len() as u32,
            };
            if self.field_names[usize::from(prefixed)]
                .insert(name_text, span)
                .is_some()
            {
                return false;
            }
        }
        let at = Span {
            loc: self.loc(line, directive.start as u32 + 1),
            len: directive.len() as u32,
        };
        let Some(layout) = self.layout() else {
            return false;
        };
        layout.touched = true;
        layout.next_bit = Some(lsb as i8 - 1);
        let enumeration = enum_kind(d);
        let kind = match name {
            Some((name, _)) => EntryKind::Field(Field {
                name: lexer::owned(name),
                enumeration: enumeration.map(|kind| Enumeration {
                    kind,
                    values: Vec::new(),
                }),
            }),
            None => EntryKind::Res0,
        };
        let bits = BitRange {
            msb: msb as u8,
            lsb: lsb as u8,
        };
        layout.layout.entries.push(Entry {
            bits,
            loc: at.loc,
            kind,
        });
        if enumeration.is_some() {
            self.enum_names.clear();
            self.enum_numbers.clear();
            self.enumeration = Some(OpenEnum {
                open: at,
                name: name.map_or("", |(n, _)| n),
                bits: Some(bits),
                placed: true,
                values: std::mem::take(&mut self.b.spare_values),
            });
        }
        true
    }

    /// `Sysreg <NAME> <op0> <op1> <CRn> <CRm> <op2>` outside any block, with a new name that
    /// is a C identifier and operands in range.
    fn fast_open_sysreg(&mut self, line: u32, text: &'src str, words: [Range<usize>; 7]) -> bool {
        if self.owner.is_some() || self.prefix.is_some() {
            return false;
        }
        let [directive, name, operands @ ..] = words;
        let name_text = &text[name.clone()];
        if !lexer::is_identifier(name_text) {
            return false;
        }
        let mut ops = [0u8; 5];
        for ((op, range), max) in ops.iter_mut().zip(operands).zip(OPERAND_MAX) {
            match lexer::small_decimal(&text[range]) {
                Some(v) if v <= max => *op = v,
                _ => return false,
            }
        }
        let index = self.b.db.registers.len();
        let name_span = Span {
            loc: self.loc(line, name.start as u32 + 1),
            len: name.len() as u32,
        };
        match self.b.sysreg_defs.entry(name_text) {
            MapEntry::Occupied(_) => return false,
            MapEntry::Vacant(e) => e.insert(Definition {
                name: name_span,
                index,
            }),
        };
        let [op0, op1, crn, crm, op2] = ops;
        let kind = OwnerKind::Sysreg(Encoding {
            op0,
            op1,
            crn,
            crm,
            op2,
        });
        let open = Span {
            loc: self.loc(line, directive.start as u32 + 1),
            len: directive.len() as u32,
        };
        self.begin_owner(kind, lexer::owned(name_text), open, false);
        true
    }

    /// `EndSysreg` or `EndSysregFields` (`d`, alone on the line) closing the open block of its
    /// kind, which has no open Prefix and whose layout is complete (or given by `Fields` or
    /// `Mapping`).
    fn fast_end_owner(&mut self, line: u32, d: Directive) -> bool {
        let Some(owner) = &self.owner else {
            return false;
        };
        if owner.terminator() != d || self.prefix.is_some() || owner.default.next_bit != Some(-1) {
            return false;
        }
        self.close_owner(self.loc(line, 1));
        true
    }

    /// `0b<digits> <NAME>` in an Enum with a valid bit range, fitting it, with a new value and
    /// a new name.
    fn fast_enum_value(&mut self, line: u32, text: &'src str, words: [Range<usize>; 2]) -> bool {
        let [value, name] = words;
        let (value_text, name_text) = (&text[value.clone()], &text[name.clone()]);
        let Some(Binary::Value {
            value: number,
            bits: needed,
        }) = lexer::short_binary(value_text)
        else {
            return false;
        };
        let Some(open) = &self.enumeration else {
            return false;
        };
        if open.bits.is_none_or(|b| needed > b.width()) || !lexer::is_identifier_tail(name_text) {
            return false;
        }
        let key = ValueKey::Number(number);
        if self.enum_numbers.get(key).is_some() || self.enum_names.get(name_text).is_some() {
            return false;
        }
        let loc = self.loc(line, value.start as u32 + 1);
        let name_span = Span {
            loc: self.loc(line, name.start as u32 + 1),
            len: name.len() as u32,
        };
        let Some(open) = &mut self.enumeration else {
            return false;
        };
        self.enum_numbers.insert(key, open.values.len());
        self.enum_names.insert(name_text, name_span);
        open.values.push(EnumValue {
            name: lexer::owned(name_text),
            spelling: lexer::owned(value_text),
            value: Some(number),
            loc,
        });
        true
    }

    fn dispatch(&mut self, line: u32, text: &str, words: &[Word<'src>]) {
        let first = words[0];
        let directive = Directive::from_word(first.text);
        let at = self.span(line, &first);

        if let Some(open) = &self.enumeration {
            match directive {
                Some(D::EndEnum) => return self.end_enum(line, words),
                _ if lexer::contains_binary_literal(text) => return self.enum_value(line, words),
                Some(d) => {
                    // A directive inside an Enum: the EndEnum was forgotten. Close the enum
                    // and read the line in the enclosing block.
                    let msg = format!(
                        "`{}` inside Enum `{}`: the Enum is not closed",
                        d.word(),
                        open.name
                    );
                    let notes = vec![note(open.open, "the Enum starts here")];
                    self.b.diags.report(
                        Code::UnclosedBlock,
                        at,
                        msg,
                        "`EndEnum` before this line",
                        notes,
                    );
                    self.close_enum();
                }
                None => {
                    let shown = shorten(first.text);
                    let msg = format!("unexpected `{shown}` in Enum `{}`", open.name);
                    let mut exp = "`0b<binary digits> <NAME>` or `EndEnum`".to_string();
                    if Directive::suggest(first.text) == Some(D::EndEnum) {
                        exp.push_str("; did you mean `EndEnum`?");
                    }
                    let notes = if first.text.starts_with(|c: char| c.is_ascii_digit()) {
                        vec![Note {
                            span: None,
                            message: "enum values are written in binary, e.g. `0b0001`".into(),
                        }]
                    } else {
                        Vec::new()
                    };
                    return self
                        .b
                        .diags
                        .report(Code::InvalidEnumLine, at, msg, exp, notes);
                }
            }
        }

        let Some(d) = directive else {
            return self.unknown_directive(at, first.text);
        };
        match d {
            D::Sysreg | D::SysregFields => {
                if self.owner.is_some() {
                    self.close_all_unterminated(at);
                }
                self.open_owner(d, line, words);
            }
            D::EndSysreg | D::EndSysregFields => self.end_owner(d, line, words),
            D::Fields | D::Mapping => self.reference(d, line, words),
            D::Prefix => self.open_prefix(line, words),
            D::EndPrefix => self.end_prefix(line, words),
            D::EndEnum => self.report(
                Code::MisplacedDirective,
                at,
                "`EndEnum` without an open Enum",
                "an `Enum`, `SignedEnum` or `UnsignedEnum` block before it",
            ),
            D::Field
            | D::Res0
            | D::Res1
            | D::Unkn
            | D::Raz
            | D::Enum
            | D::SignedEnum
            | D::UnsignedEnum => self.entry(d, line, words),
        }
    }

    fn unknown_directive(&mut self, at: Span, word: &str) {
        if word.starts_with("0b") {
            return self.report(
                Code::MisplacedDirective,
                at,
                format!("enum value `{}` outside an Enum block", shorten(word)),
                "`Enum`, `SignedEnum` or `UnsignedEnum` before the values",
            );
        }
        let expected = match Directive::suggest(word) {
            Some(d) => format!("a directive; did you mean `{}`?", d.word()),
            None => "a directive (Sysreg, SysregFields, Field, Enum, Res0, ... or a `#` comment)"
                .to_string(),
        };
        let shown = shorten(word);
        self.report(
            Code::UnknownDirective,
            at,
            format!("unknown directive `{shown}`"),
            expected,
        );
    }

    /// Checks the number of words; on a mismatch reports it and returns false. The caller
    /// goes on with the words that are there.
    fn arity(&mut self, d: Directive, line: u32, words: &[Word<'src>]) -> bool {
        if words.len() == d.arity() {
            return true;
        }
        let parts = syntax_parts(d.syntax());
        debug_assert_eq!(parts.len(), d.arity());
        let subject = format!("`{}`", d.word());
        let label = format!("`{}`", d.syntax());
        self.word_count(line, words, &subject, &parts, label)
    }

    /// Checks that the line has one word per element of `parts` (the line's syntax, split at
    /// blanks); on a mismatch reports what is extra or missing and returns false.
    fn word_count(
        &mut self,
        line: u32,
        words: &[Word<'src>],
        subject: &str,
        parts: &[&str],
        label: String,
    ) -> bool {
        let want = parts.len();
        let found = words.len();
        if found == want {
            return true;
        }
        let (span, msg) = if found > want {
            let extra = words[want];
            let last = words[found - 1];
            let span = Span {
                loc: self.loc(line, extra.col),
                len: last.col + last.len - extra.col,
            };
            let n = found - want;
            (span, format!("{subject} has {n} extra word{}", plural(n)))
        } else {
            let last = words[found - 1];
            let span = Span {
                loc: self.loc(line, last.col + last.len),
                len: 1,
            };
            (
                span,
                format!("{subject} is missing {}", parts[found..].join(" ")),
            )
        };
        let mut notes = Vec::new();
        if words[want.min(found)..]
            .iter()
            .any(|w| w.text.starts_with('#'))
        {
            notes.push(comment_note());
        }
        let msg = format!(
            "{msg} ({found} word{} found where {want} expected)",
            plural(found)
        );
        self.b
            .diags
            .report(Code::WrongFieldCount, span, msg, label, notes);
        false
    }

    fn check_name(&mut self, line: u32, word: &Word<'src>, what: &str, tail_only: bool) {
        let ok = if tail_only {
            lexer::is_identifier_tail(word.text)
        } else {
            lexer::is_identifier(word.text)
        };
        if !ok {
            let span = self.span(line, word);
            let expected = if tail_only {
                "letters, digits and `_` only"
            } else {
                "a C identifier: a letter or `_`, then letters, digits and `_`"
            };
            self.report(
                Code::InvalidName,
                span,
                format!("{what} name `{}` is not usable in C or Rust", word.text),
                expected,
            );
        }
    }

    // ---- Sysreg / SysregFields -------------------------------------------------------------

    fn open_owner(&mut self, d: Directive, line: u32, words: &[Word<'src>]) {
        self.arity(d, line, words);
        let open = self.span(line, &words[0]);
        let name_word = words.get(1).copied();
        let name = name_word.map_or(String::new(), |w| lexer::owned(w.text));
        let kind = match d {
            D::Sysreg => OwnerKind::Sysreg(self.encoding(line, words)),
            _ => OwnerKind::FieldSet,
        };
        let mut duplicate = false;
        if let Some(w) = name_word {
            let what = if d == D::Sysreg {
                "Sysreg"
            } else {
                "SysregFields"
            };
            self.check_name(line, &w, what, false);
            let span = self.span(line, &w);
            // No block is open, so this one is the next to be added (unless a duplicate).
            let (defs, code, index) = match d {
                D::Sysreg => (
                    &mut self.b.sysreg_defs,
                    Code::DuplicateSysreg,
                    self.b.db.registers.len(),
                ),
                _ => (
                    &mut self.b.fieldset_defs,
                    Code::DuplicateSysregFields,
                    self.b.db.field_sets.len(),
                ),
            };
            let first = match defs.entry(w.text) {
                MapEntry::Occupied(e) => Some(e.get().name),
                MapEntry::Vacant(e) => {
                    e.insert(Definition { name: span, index });
                    None
                }
            };
            if let Some(first) = first {
                duplicate = true;
                let notes = vec![note(first, "first defined here")];
                self.b.diags.report(
                    code,
                    span,
                    format!("duplicate {what} definition for `{name}`"),
                    "a name not defined before",
                    notes,
                );
            }
        } else {
            duplicate = true;
        }
        self.begin_owner(kind, name, open, duplicate);
    }

    /// Opens the block whose `Sysreg`/`SysregFields` word is `open`.
    fn begin_owner(&mut self, kind: OwnerKind, name: String, open: Span, duplicate: bool) {
        self.field_names[0].clear();
        self.owner = Some(Owner {
            kind,
            name,
            loc: open.loc,
            open,
            prefixed: Vec::new(),
            prefix_names: Vec::new(),
            default: LayoutBuilder::new(self.b.spare_entries.pop().unwrap_or_default()),
            reference: None,
            access: None,
            duplicate,
        });
    }

    fn encoding(&mut self, line: u32, words: &[Word<'src>]) -> Encoding {
        const NAMES: [&str; 5] = ["op0", "op1", "CRn", "CRm", "op2"];
        let mut ops = [0u8; 5];
        for (i, (what, max)) in NAMES.into_iter().zip(OPERAND_MAX).enumerate() {
            let max = u64::from(max);
            let Some(w) = words.get(2 + i) else { break };
            let span = self.span(line, w);
            match lexer::decimal(w.text) {
                Ok(Some(v)) if v <= u64::from(u8::MAX) => {
                    ops[i] = v as u8;
                    if v > max {
                        self.report(
                            Code::EncodingOutOfRange,
                            span,
                            format!("{what} {v} does not fit the encoding"),
                            format!("{what} from 0 to {max}"),
                        );
                    }
                }
                Ok(_) => self.report(
                    Code::EncodingNotNumber,
                    span,
                    format!(
                        "{what} `{}` is far too large for the encoding",
                        shorten(w.text)
                    ),
                    format!("a decimal {what} from 0 to {max}"),
                ),
                Err(()) => {
                    let notes = if w.text.starts_with('#') {
                        vec![comment_note()]
                    } else {
                        Vec::new()
                    };
                    self.b.diags.report(
                        Code::EncodingNotNumber,
                        span,
                        format!("{what} `{}` is not a decimal number", shorten(w.text)),
                        format!("a decimal {what} from 0 to {max}"),
                        notes,
                    );
                }
            }
        }
        Encoding {
            op0: ops[0],
            op1: ops[1],
            crn: ops[2],
            crm: ops[3],
            op2: ops[4],
        }
    }

    fn end_owner(&mut self, d: Directive, line: u32, words: &[Word<'src>]) {
        let at = self.span(line, &words[0]);
        let Some(owner) = &self.owner else {
            return self.report(
                Code::MisplacedDirective,
                at,
                format!("`{}` without an open block", d.word()),
                format!(
                    "a `{}` block before it",
                    if d == D::EndSysreg {
                        "Sysreg"
                    } else {
                        "SysregFields"
                    }
                ),
            );
        };
        if owner.terminator() != d {
            let msg = format!(
                "`{}` cannot close {} `{}`",
                d.word(),
                owner.directive().word(),
                owner.name
            );
            let notes = vec![note(owner.open, "the block starts here")];
            let exp = format!("`{}`", owner.terminator().word());
            self.b
                .diags
                .report(Code::MisplacedDirective, at, msg, exp, notes);
        }
        self.arity(d, line, words);
        if self.prefix.is_some() {
            self.close_prefix_unterminated(at);
        }
        let owner = self.owner.as_ref().expect("checked above");
        if incomplete(owner.default.next_bit) {
            let (what, end, next_bit) = (
                format!("`{}`", owner.name),
                owner.terminator(),
                owner.default.next_bit,
            );
            self.check_complete(&next_bit, at, &what, end);
        }
        self.close_owner(self.loc(line, words[0].col));
    }

    /// Reports a forgotten terminator for every open block and closes them.
    fn close_all_unterminated(&mut self, at: Span) {
        if self.enumeration.is_some() {
            self.close_enum();
        }
        if self.prefix.is_some() {
            self.close_prefix_unterminated(at);
        }
        if let Some(owner) = &self.owner {
            let msg = format!(
                "{} `{}` is not closed",
                owner.directive().word(),
                owner.name
            );
            let notes = vec![note(owner.open, "the block starts here")];
            let exp = format!("`{}` before this line", owner.terminator().word());
            self.b
                .diags
                .report(Code::UnclosedBlock, at, msg, exp, notes);
            let end = at.loc;
            self.close_owner(end);
        }
    }

    fn close_owner(&mut self, end: Loc) {
        let Some(owner) = self.owner.take() else {
            return;
        };
        if owner.duplicate {
            self.recycle(owner.default.layout.entries);
            return;
        }
        let layout = self.seal(owner.default.layout);
        match owner.kind {
            OwnerKind::Sysreg(encoding) => {
                let body = match owner.reference {
                    Some((D::Fields, r)) => RegisterBody::Fields(r),
                    Some((_, r)) => RegisterBody::Mapping(r),
                    None => RegisterBody::Layout(layout),
                };
                let db = &mut self.b.db;
                db.order.push(ItemRef::Register(db.registers.len()));
                db.registers.push(Register {
                    name: owner.name,
                    loc: owner.loc,
                    encoding,
                    prefixed: owner.prefixed,
                    body,
                    access: owner.access.map_or(Access::ReadWrite, |(a, _)| a),
                    end,
                });
            }
            OwnerKind::FieldSet => {
                let db = &mut self.b.db;
                db.order.push(ItemRef::FieldSet(db.field_sets.len()));
                db.field_sets.push(FieldSet {
                    name: owner.name,
                    loc: owner.loc,
                    prefixed: owner.prefixed,
                    layout,
                    end,
                });
            }
        }
    }

    // ---- Fields / Mapping ------------------------------------------------------------------

    fn reference(&mut self, d: Directive, line: u32, words: &[Word<'src>]) {
        let at = self.span(line, &words[0]);
        let context = match (&self.owner, &self.prefix) {
            (None, _) => Some("outside a Sysreg block".to_string()),
            (Some(_), Some(_)) => Some("inside a Prefix block".to_string()),
            (Some(o), None) => match o.kind {
                OwnerKind::FieldSet => Some(format!("inside SysregFields `{}`", o.name)),
                OwnerKind::Sysreg(_) => None,
            },
        };
        if let Some(context) = context {
            return self.report(
                Code::MisplacedDirective,
                at,
                format!("`{}` {context}", d.word()),
                format!("`{}` only as the first line of a Sysreg block", d.word()),
            );
        }
        self.arity(d, line, words);
        let owner = self.owner.as_mut().expect("checked above");
        if let Some((first, r)) = &owner.reference {
            let msg = format!(
                "second `Fields`/`Mapping` line in `{}`: `{} {}` already describes it",
                owner.name,
                first.word(),
                r.name
            );
            let notes = vec![note(
                Span {
                    loc: r.loc,
                    len: r.name.chars().count() as u32,
                },
                "the first one is here",
            )];
            return self.b.diags.report(
                Code::FieldsNotFirst,
                at,
                msg,
                "one `Fields` or `Mapping` line per Sysreg, and nothing else",
                notes,
            );
        }
        if owner.default.touched {
            let msg = format!(
                "`{}` after `{}` already has fields of its own",
                d.word(),
                owner.name
            );
            let notes = owner
                .default
                .layout
                .entries
                .first()
                .map(|e| {
                    let len = entry_directive(&e.kind).len() as u32;
                    note(Span { loc: e.loc, len }, "the first field is here")
                })
                .into_iter()
                .collect();
            // Do not also report the layout as incomplete.
            owner.default.next_bit = None;
            return self.b.diags.report(
                Code::FieldsNotFirst,
                at,
                msg,
                format!("`{}` as the first line of the Sysreg block", d.word()),
                notes,
            );
        }
        owner.default.next_bit = Some(-1);
        let Some(target) = words.get(1) else { return };
        let loc = Loc {
            file: self.file,
            line,
            col: target.col,
        };
        owner.reference = Some((
            d,
            Reference {
                name: lexer::owned(target.text),
                loc,
                target: None,
            },
        ));
    }

    // ---- Prefix ----------------------------------------------------------------------------

    fn open_prefix(&mut self, line: u32, words: &[Word<'src>]) {
        let at = self.span(line, &words[0]);
        if self.owner.is_none() {
            return self.report(
                Code::MisplacedDirective,
                at,
                "`Prefix` outside a Sysreg or SysregFields block",
                "`Prefix` inside a Sysreg or SysregFields block, before its own fields",
            );
        }
        if self.prefix.is_some() {
            self.close_prefix_unterminated(at);
        }
        self.arity(D::Prefix, line, words);
        let owner = self.owner.as_ref().expect("checked above");
        if owner.default.touched || owner.reference.is_some() {
            let msg = format!("`Prefix` after non-prefixed fields of `{}`", owner.name);
            self.report(
                Code::PrefixNotFirst,
                at,
                msg,
                "every Prefix block before the register's own fields",
            );
        }
        let mut builder = LayoutBuilder::new(self.b.spare_entries.pop().unwrap_or_default());
        builder.open = Some(at);
        if let Some(w) = words.get(1) {
            self.check_name(line, w, "Prefix", false);
            let span = self.span(line, w);
            let owner = self.owner.as_mut().expect("checked above");
            let first = owner
                .prefix_names
                .iter()
                .find(|(n, _)| n == w.text)
                .map(|&(_, s)| s);
            owner.prefix_names.push((w.text.to_string(), span));
            let owner = self.owner.as_ref().expect("checked above");
            if let Some(first) = first {
                let notes = vec![note(first, "first used here")];
                let msg = format!("duplicate prefix `{}_` for `{}`", w.text, owner.name);
                self.b.diags.report(
                    Code::DuplicatePrefix,
                    span,
                    msg,
                    "a prefix not used before in this register",
                    notes,
                );
            }
            builder.layout.prefix = Some(Prefix {
                name: lexer::owned(w.text),
                loc: at.loc,
            });
        }
        self.field_names[1].clear();
        self.prefix = Some(builder);
    }

    fn end_prefix(&mut self, line: u32, words: &[Word<'src>]) {
        let at = self.span(line, &words[0]);
        let Some(prefix) = self.prefix.take() else {
            return self.report(
                Code::MisplacedDirective,
                at,
                "`EndPrefix` without an open Prefix",
                "a `Prefix` block before it",
            );
        };
        self.arity(D::EndPrefix, line, words);
        self.finish_prefix(prefix, at);
    }

    fn finish_prefix(&mut self, prefix: LayoutBuilder, at: Span) {
        if incomplete(prefix.next_bit) {
            let owner_name = self.owner.as_ref().map_or("", |o| o.name.as_str());
            let prefix_name = prefix
                .layout
                .prefix
                .as_ref()
                .map_or("", |p| p.name.as_str());
            let what = format!("prefix `{prefix_name}_` of `{owner_name}`");
            self.check_complete(&prefix.next_bit, at, &what, D::EndPrefix);
        }
        let layout = self.seal(prefix.layout);
        if let Some(owner) = &mut self.owner {
            owner.prefixed.push(layout);
        }
    }

    fn close_prefix_unterminated(&mut self, at: Span) {
        let Some(prefix) = self.prefix.take() else {
            return;
        };
        let name = prefix
            .layout
            .prefix
            .as_ref()
            .map_or("", |p| p.name.as_str());
        let msg = format!("Prefix `{name}` is not closed");
        let notes = prefix
            .open
            .map(|s| note(s, "the Prefix starts here"))
            .into_iter()
            .collect();
        self.b.diags.report(
            Code::UnclosedBlock,
            at,
            msg,
            "`EndPrefix` before this line",
            notes,
        );
        let layout = self.seal(prefix.layout);
        if let Some(owner) = &mut self.owner {
            owner.prefixed.push(layout);
        }
    }

    // ---- Bit coverage ----------------------------------------------------------------------

    fn check_complete(&mut self, next_bit: &Option<i8>, at: Span, what: &str, end: Directive) {
        if let Some(n) = *next_bit {
            if n >= 0 {
                let missing = BitRange {
                    msb: n as u8,
                    lsb: 0,
                };
                let (bit_s, are) = if n == 0 {
                    ("bit", "is")
                } else {
                    ("bits", "are")
                };
                self.report(
                    Code::UnspecifiedBits,
                    at,
                    format!("{bit_s} {missing} of {what} {are} not described"),
                    format!("fields down to bit 0 before `{}`", end.word()),
                );
            }
        }
    }

    /// The layout being read, as messages name it: `` `FOO` `` or `` prefix `P_` of `FOO` ``.
    fn layout_description(&self) -> String {
        let owner = self.owner.as_ref().map_or("", |o| o.name.as_str());
        match self.prefix.as_ref().and_then(|p| p.layout.prefix.as_ref()) {
            Some(p) => format!("prefix `{}_` of `{owner}`", p.name),
            None => format!("`{owner}`"),
        }
    }

    /// The layout entries go to: the open Prefix layout, or the block's own.
    fn layout(&mut self) -> Option<&mut LayoutBuilder> {
        match &mut self.prefix {
            Some(p) => Some(p),
            None => self.owner.as_mut().map(|o| &mut o.default),
        }
    }

    /// Parses a bit range and checks it continues the layout right below the previous slice.
    /// `what` names the slice in messages (`FIELD`, `RES0`).
    fn place(&mut self, line: u32, word: &Word<'src>, what: &str) -> Option<BitRange> {
        let span = self.span(line, word);
        // The block's name, for messages only: not built unless something is reported.
        let owner_name = |p: &Self| p.owner.as_ref().map_or(String::new(), |o| o.name.clone());
        let Some(raw) = lexer::bit_range(word.text) else {
            self.layout()?.next_bit = None;
            let owner = owner_name(self);
            self.report(
                Code::BitRangeSyntax,
                span,
                format!("invalid bit range `{}` for {owner}.{what}", word.text),
                "`<msb>:<lsb>` or a single bit `<n>`, in decimal",
            );
            return None;
        };
        let in_range = |n: Option<u64>| n.filter(|&n| n <= 63).map(|n| n as u8);
        let (Some(msb), Some(lsb)) = (in_range(raw.msb), in_range(raw.lsb)) else {
            self.layout()?.next_bit = None;
            let owner = owner_name(self);
            let which = if in_range(raw.msb).is_none() {
                "high"
            } else {
                "low"
            };
            self.report(
                Code::BitOutOfRange,
                span,
                format!(
                    "{owner}.{what}: {which} bit of `{}` is past bit 63",
                    word.text
                ),
                "bit numbers 0 to 63",
            );
            return None;
        };
        if msb < lsb {
            self.layout()?.next_bit = None;
            let owner = owner_name(self);
            self.report(
                Code::BitRangeReversed,
                span,
                format!("{owner}.{what}: bit range `{}` runs upwards", word.text),
                format!("`<msb>:<lsb>` with the high bit first (`{lsb}:{msb}`)"),
            );
            return None;
        }
        let bits = BitRange { msb, lsb };
        let layout = self.layout()?;
        let expected = layout.next_bit;
        // Continue below this slice, but never move back up over bits already described (an
        // overlapping or out-of-order slice must not make them "undescribed" again).
        layout.next_bit = Some(expected.map_or(lsb as i8 - 1, |n| n.min(lsb as i8 - 1)));
        match expected {
            Some(n) if n != msb as i8 => {
                let owner = owner_name(self);
                // The slice before this one (this one is not in the layout yet).
                let previous = self
                    .layout()
                    .and_then(|l| l.layout.entries.last())
                    .map(|e| (e.bits, entry_name(&e.kind)));
                let (msg, exp) = if n < 0 {
                    let end = self.current_terminator();
                    match self.owner.as_ref().and_then(|o| o.reference.as_ref()) {
                        Some((d, r)) if self.prefix.is_none() => (
                            format!(
                                "{owner}.{what} at {} follows `{} {}`, which already describes every bit of `{owner}`",
                                bits_phrase(bits),
                                d.word(),
                                r.name
                            ),
                            format!("`{end}`: nothing may follow `{}`", d.word()),
                        ),
                        _ => (
                            format!(
                                "{owner}.{what} at {} comes after bit 0 was already described",
                                bits_phrase(bits)
                            ),
                            format!("`{end}`; fields go from bit 63 down to bit 0, in order"),
                        ),
                    }
                } else if (msb as i8) < n {
                    let gap = BitRange {
                        msb: n as u8,
                        lsb: msb + 1,
                    };
                    let (bit_s, are) = if gap.width() == 1 {
                        ("bit", "is")
                    } else {
                        ("bits", "are")
                    };
                    (
                        format!(
                            "{owner}.{what} starts at bit {msb}, leaving {bit_s} {gap} undescribed"
                        ),
                        format!(
                            "a field starting at bit {n} (`Res0 {gap}` if the {bit_s} {are} reserved)"
                        ),
                    )
                } else {
                    let prev = match previous {
                        Some((pb, pn)) => format!(", overlapping {pn} at {}", bits_phrase(pb)),
                        None => String::new(),
                    };
                    (
                        format!("{owner}.{what} starts at bit {msb}{prev}"),
                        format!("a field starting at bit {n}; fields go from bit 63 down to bit 0"),
                    )
                };
                self.report(Code::BitPosition, span, msg, exp);
            }
            _ => {}
        }
        Some(bits)
    }

    /// The directive that closes the innermost open layout: `EndPrefix`, `EndSysreg` or
    /// `EndSysregFields`.
    fn current_terminator(&self) -> &'static str {
        match (&self.prefix, &self.owner) {
            (Some(_), _) => D::EndPrefix.word(),
            (None, Some(o)) => o.terminator().word(),
            (None, None) => "",
        }
    }

    // ---- Field / Res0 / Res1 / Unkn / Raz / Enum -------------------------------------------

    fn entry(&mut self, d: Directive, line: u32, words: &[Word<'src>]) {
        let at = self.span(line, &words[0]);
        if self.owner.is_none() {
            self.report(
                Code::MisplacedDirective,
                at,
                format!("`{}` outside a Sysreg or SysregFields block", d.word()),
                "a `Sysreg` or `SysregFields` block around it",
            );
            if enum_kind(d).is_some() {
                // Read its values (and EndEnum) as part of it, so they are not reported too.
                self.enum_names.clear();
                self.enum_numbers.clear();
                self.enumeration = Some(OpenEnum {
                    open: at,
                    name: words.get(2).map_or("", |w| w.text),
                    bits: None,
                    placed: false,
                    values: std::mem::take(&mut self.b.spare_values),
                });
            }
            return;
        }
        self.arity(d, line, words);
        self.layout().expect("owner is open").touched = true;
        let name_word = if d.arity() == 3 {
            words.get(2).copied()
        } else {
            None
        };
        let what = match d {
            D::Res0 => "RES0",
            D::Res1 => "RES1",
            D::Unkn => "UNKN",
            D::Raz => "RAZ",
            _ => name_word.map_or("", |w| w.text),
        };
        let bits = match words.get(1) {
            Some(w) => self.place(line, w, what),
            None => {
                // No bit range at all: resynchronise on the next line, like a bad range.
                self.layout().expect("owner is open").next_bit = None;
                None
            }
        };
        if let Some(w) = name_word {
            self.check_name(line, &w, "field", false);
            let span = self.span(line, &w);
            let names = &mut self.field_names[usize::from(self.prefix.is_some())];
            if let Some(first) = names.insert(w.text, span) {
                let described = self.layout_description();
                let notes = vec![note(first, "first defined here")];
                let msg = format!("duplicate field name `{}` in {described}", w.text);
                self.b.diags.report(
                    Code::DuplicateFieldName,
                    span,
                    msg,
                    "a field name not used before in this layout",
                    notes,
                );
            }
        }
        let kind = match d {
            D::Res0 => EntryKind::Res0,
            D::Res1 => EntryKind::Res1,
            D::Unkn => EntryKind::Unkn,
            D::Raz => EntryKind::Raz,
            _ => EntryKind::Field(Field {
                name: what.to_string(),
                enumeration: enum_kind(d).map(|kind| Enumeration {
                    kind,
                    values: Vec::new(),
                }),
            }),
        };
        let placed = bits.is_some() && (d.arity() == 2 || name_word.is_some());
        if let (Some(bits), true) = (bits, placed) {
            let loc = at.loc;
            self.layout()
                .expect("owner is open")
                .layout
                .entries
                .push(Entry { bits, loc, kind });
        }
        if enum_kind(d).is_some() {
            self.enum_names.clear();
            self.enum_numbers.clear();
            self.enumeration = Some(OpenEnum {
                open: at,
                name: what,
                bits,
                placed,
                values: std::mem::take(&mut self.b.spare_values),
            });
        }
    }

    fn enum_value(&mut self, line: u32, words: &[Word<'src>]) {
        if words.len() != 2
            && !self.word_count(
                line,
                words,
                "enum value line",
                &["<value>", "<NAME>"],
                "`0b<binary digits> <NAME>`".to_string(),
            )
            && words.len() < 2
        {
            return;
        }
        let (val, name) = (words[0], words[1]);
        let val_span = self.span(line, &val);
        let open = self.enumeration.as_ref().expect("called inside an Enum");
        // `REG.FIELD` for messages; only built when there is something to report.
        let field = |p: &Self| p.qualified(p.enumeration.as_ref().expect("inside an Enum").name);
        let bits = open.bits;
        let value = match lexer::binary(val.text) {
            Binary::Value {
                value,
                bits: needed,
            } => {
                if let Some(b) = bits.filter(|b| needed > b.width()) {
                    let width = b.width();
                    let field = field(self);
                    let msg = format!(
                        "value `{}` of {field} needs {needed} bits but the field is {width} bit{} wide",
                        val.text,
                        plural(width as usize)
                    );
                    let exp = format!("a value of at most {width} bit{}", plural(width as usize));
                    self.report(Code::EnumValueTooWide, val_span, msg, exp);
                }
                Some(value)
            }
            Binary::TooWide => {
                let field = field(self);
                let msg = format!("value `{}` of {field} is wider than 64 bits", val.text);
                let exp = match bits {
                    Some(b) => format!(
                        "a value of at most {} bit{}",
                        b.width(),
                        plural(b.width() as usize)
                    ),
                    None => "a value that fits the field".to_string(),
                };
                self.report(Code::EnumValueTooWide, val_span, msg, exp);
                None
            }
            Binary::Invalid => {
                let field = field(self);
                let msg = format!(
                    "enum value `{}` of {field} is not a binary number",
                    val.text
                );
                self.report(
                    Code::EnumValueNotBinary,
                    val_span,
                    msg,
                    "`0b` followed by 0s and 1s only",
                );
                None
            }
        };
        self.check_name(line, &name, "enum value", true);
        let key = match value {
            Some(n) => ValueKey::Number(n),
            None => ValueKey::Spelling(val.text),
        };
        let open = self.enumeration.as_mut().expect("called inside an Enum");
        let first = self.enum_numbers.insert(key, open.values.len());
        if let Some(first) = first {
            let first = &open.values[first];
            let notes = vec![note(
                Span {
                    loc: first.loc,
                    len: first.spelling.chars().count() as u32,
                },
                format!("`{}` has this value", first.name),
            )];
            let field = field(self);
            let msg = format!(
                "duplicate Enum value `{}` for `{}` in {field}",
                val.text, name.text
            );
            self.b.diags.report(
                Code::DuplicateEnumValue,
                val_span,
                msg,
                "a value not used before in this Enum",
                notes,
            );
        }
        let span = self.span(line, &name);
        if let Some(first) = self.enum_names.insert(name.text, span) {
            let notes = vec![note(first, "first defined here")];
            let field = field(self);
            let msg = format!("duplicate enum name `{}` in {field}", name.text);
            self.b.diags.report(
                Code::DuplicateEnumName,
                span,
                msg,
                "a name not used before in this Enum",
                notes,
            );
        }
        let open = self.enumeration.as_mut().expect("called inside an Enum");
        open.values.push(EnumValue {
            name: lexer::owned(name.text),
            spelling: lexer::owned(val.text),
            value,
            loc: val_span.loc,
        });
    }

    fn end_enum(&mut self, line: u32, words: &[Word<'src>]) {
        self.arity(D::EndEnum, line, words);
        self.close_enum();
    }

    /// Moves the values of the open Enum into its layout entry.
    fn close_enum(&mut self) {
        let Some(mut open) = self.enumeration.take() else {
            return;
        };
        if open.placed {
            if let Some(LayoutBuilder { layout, .. }) = self.layout() {
                if let Some(Entry {
                    kind:
                        EntryKind::Field(Field {
                            enumeration: Some(e),
                            ..
                        }),
                    ..
                }) = layout.entries.last_mut()
                {
                    // Exactly sized (see `Builder::spare_values`), moved in one copy.
                    e.values = Vec::with_capacity(open.values.len());
                    e.values.append(&mut open.values);
                }
            }
        }
        open.values.clear();
        self.b.spare_values = open.values;
    }

    /// `layout` with its entries moved to an exactly sized vector, its buffer kept for reuse.
    fn seal(&mut self, mut layout: Layout) -> Layout {
        let mut entries = Vec::with_capacity(layout.entries.len());
        entries.append(&mut layout.entries);
        self.recycle(std::mem::replace(&mut layout.entries, entries));
        layout
    }

    /// Keeps an entry buffer for reuse.
    fn recycle(&mut self, mut entries: Vec<Entry>) {
        entries.clear();
        self.b.spare_entries.push(entries);
    }

    /// End of file: every block still open lacks its terminator.
    fn finish(&mut self) {
        if let Some(open) = &self.enumeration {
            let msg = format!("Enum `{}` is not closed at the end of the file", open.name);
            let at = open.open;
            self.report(
                Code::UnclosedBlock,
                at,
                msg,
                "`EndEnum` before the end of the file",
            );
            self.close_enum();
        }
        if let Some(prefix) = self.prefix.take() {
            let name = prefix
                .layout
                .prefix
                .as_ref()
                .map_or("", |p| p.name.as_str());
            let msg = format!("Prefix `{name}` is not closed at the end of the file");
            let at = prefix.open.expect("Prefix layouts record where they open");
            self.report(
                Code::UnclosedBlock,
                at,
                msg,
                "`EndPrefix` before the end of the file",
            );
            let layout = self.seal(prefix.layout);
            if let Some(owner) = &mut self.owner {
                owner.prefixed.push(layout);
            }
        }
        if let Some(owner) = &self.owner {
            let msg = format!(
                "{} `{}` is not closed at the end of the file",
                owner.directive().word(),
                owner.name
            );
            let exp = format!("`{}` before the end of the file", owner.terminator().word());
            let (at, end) = (owner.open, owner.open.loc);
            self.report(Code::UnclosedBlock, at, msg, exp);
            self.close_owner(end);
        }
    }
}

/// The largest value of each operand of a register's encoding: op0, op1, CRn, CRm, op2.
const OPERAND_MAX: [u8; 5] = [3, 7, 15, 15, 7];

/// Whether a layout whose cursor is `next_bit` lacks bits (see `check_complete`).
fn incomplete(next_bit: Option<i8>) -> bool {
    next_bit.is_some_and(|n| n >= 0)
}

fn enum_kind(d: Directive) -> Option<EnumKind> {
    match d {
        D::Enum => Some(EnumKind::Plain),
        D::SignedEnum => Some(EnumKind::Signed),
        D::UnsignedEnum => Some(EnumKind::Unsigned),
        _ => None,
    }
}

/// `bit 5` or `bits 63:32`.
fn bits_phrase(bits: BitRange) -> String {
    if bits.msb == bits.lsb {
        format!("bit {bits}")
    } else {
        format!("bits {bits}")
    }
}

/// The directive that declared an entry.
fn entry_directive(kind: &EntryKind) -> &'static str {
    match kind {
        EntryKind::Field(Field {
            enumeration: Some(e),
            ..
        }) => e.kind.directive(),
        EntryKind::Field(_) => "Field",
        EntryKind::Res0 => "Res0",
        EntryKind::Res1 => "Res1",
        EntryKind::Unkn => "Unkn",
        EntryKind::Raz => "Raz",
    }
}

fn entry_name(kind: &EntryKind) -> String {
    match kind {
        EntryKind::Field(f) => format!("`{}`", f.name),
        EntryKind::Res0 => "Res0".into(),
        EntryKind::Res1 => "Res1".into(),
        EntryKind::Unkn => "Unkn".into(),
        EntryKind::Raz => "Raz".into(),
    }
}
