//! Diagnostics: what is wrong, where, and what was expected.
//!
//! Every diagnostic has a stable [`Code`] (`SR0011`), a severity, the location of the offending
//! text (`file:line:col`), a message saying what is wrong, a label saying what was expected, and
//! optional notes (for example where a duplicate was first defined). [`Diagnostic::render`]
//! prints it the way compilers do:
//!
//! ```text
//! sysreg:7:7: error[SR0011]: CTR_EL0.IDC starts at bit 27, leaving bit 28 undescribed
//!    |
//!  7 | Field    27    IDC
//!    |          ^^ a field starting at bit 28 (`Res0 28` if the bit is reserved)
//! ```

use crate::source::{SourceMap, Span};
use std::fmt::Write as _;

/// How bad a diagnostic is. Errors make [`crate::load`] refuse the input; warnings do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// Which checks a run applies as errors.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Strictness {
    /// Every check is an error, except three that are always warnings: registers sharing an
    /// encoding, and `Fields`/`Mapping` naming nothing (the kernel's own v6.19 database has
    /// `MPAM1_EL12` say `Fields MPAM1_ELx`, which does not exist; the C header does not depend on
    /// the target, and the Rust backend gives such a register raw access only).
    #[default]
    Strict,
    /// The checks today's kernel generator does not make at all, and the duplicate-enum-value
    /// check it only added after 2023, are warnings, so historical databases still convert.
    Lenient,
}

macro_rules! codes {
    ($( $(#[doc = $doc:literal])* $variant:ident = $num:literal, $kernel:literal; )*) => {
        /// Stable diagnostic codes. The number never changes meaning; new checks get new numbers.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl Code {
            /// Every code, in numeric order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The numeric part of the code.
            pub const fn number(self) -> u16 {
                match self { $(Code::$variant => $num,)* }
            }

            /// The message the kernel's `gen-sysreg.awk` prints for the same condition, or `""`
            /// when the kernel script accepts the input.
            pub const fn kernel_message(self) -> &'static str {
                match self { $(Code::$variant => $kernel,)* }
            }

            /// The variant name, e.g. `BitPosition`.
            pub const fn name(self) -> &'static str {
                match self { $(Code::$variant => stringify!($variant),)* }
            }
        }
    };
}

codes! {
    /// A line whose first word is not a directive of the format (`FieldX`, `sysreg`).
    UnknownDirective = 1, "unhandled statement";
    /// A directive in a block that does not accept it (`Fields` in SysregFields, `Field` at top
    /// level, `EndEnum` with no Enum open, an enum value outside an Enum).
    MisplacedDirective = 2, "unhandled statement";
    /// A directive with too many or too few words (including trailing comments).
    WrongFieldCount = 3, "<NF> fields found where <n> expected";
    /// A line of only spaces and tabs; the kernel script accepts only truly empty lines.
    WhitespaceOnlyLine = 4, "unhandled statement";
    /// CRLF line endings; the kernel script would paste the `\r` into its macros.
    CarriageReturn = 5, "unhandled statement";
    /// Bytes that are not UTF-8.
    InvalidUtf8 = 6, "unhandled statement";
    /// A block not closed before the end of its file, or before a directive that cannot appear in it.
    UnclosedBlock = 7, "Missing terminator for <block> block";
    /// A line inside an Enum block that is neither a `0b` value line nor `EndEnum`.
    InvalidEnumLine = 8, "unhandled statement";
    /// A bit range that is neither `<n>` nor `<msb>:<lsb>` in decimal.
    BitRangeSyntax = 10, "invalid bit-range definition '<bitdef>'";
    /// A field that does not start right below the previous one (a gap, an overlap, wrong order).
    BitPosition = 11, "<reg>.<field> starts at <msb> not <next_bit>";
    /// A bit number above 63.
    BitOutOfRange = 12, "<reg>.<field> invalid high bit in '<bitdef>' / invalid low bit";
    /// `<msb>:<lsb>` with msb below lsb.
    BitRangeReversed = 13, "<reg>.<field> invalid bit-range '<bitdef>'";
    /// A layout closed before bit 0 was described.
    UnspecifiedBits = 14, "Unspecified bits in <reg> / Unspecified bits in prefix <name>_ for <reg>";
    /// `Fields` or `Mapping` after fields of the register's own.
    FieldsNotFirst = 15, "Some fields already defined for <reg>";
    /// `Prefix` after fields of the default layout.
    PrefixNotFirst = 16, "Prefixed fields must precede non-prefixed fields (<reg>)";
    /// A second `Sysreg` with the same name (in the same or another input file).
    DuplicateSysreg = 20, "Duplicate Sysreg definition for <name>";
    /// A second `SysregFields` with the same name.
    DuplicateSysregFields = 21, "Duplicate SysregFields definition for <name>";
    /// The same `Prefix` twice in one register.
    DuplicatePrefix = 22, "Duplicate prefix <name>_ for <reg>";
    /// The same value twice in one Enum (the kernel script checks this only since 2025).
    DuplicateEnumValue = 23, "Duplicate Enum value <val> for <name>";
    /// `Fields X` where no `SysregFields X` exists (always a warning, see [`Strictness::Strict`]).
    UnknownFieldSet = 30, "";
    /// `Mapping X` where no `Sysreg X` exists (always a warning).
    UnknownMappingTarget = 31, "";
    /// An enum value with digits other than 0 and 1 (`0b0002`).
    EnumValueNotBinary = 32, "";
    /// An enum value wider than its field.
    EnumValueTooWide = 33, "";
    /// Two fields with the same name in one layout.
    DuplicateFieldName = 34, "";
    /// Two values with the same name in one Enum.
    DuplicateEnumName = 35, "";
    /// Two registers with the same encoding (always a warning).
    DuplicateEncoding = 36, "";
    /// An encoding operand that is not a decimal number, or one too large for the IR to hold
    /// (above 255): an error even when lenient, so no wrong encoding is ever generated.
    EncodingNotNumber = 37, "";
    /// An encoding operand outside its architectural width (op0 0..3, op1 0..7, CRn/CRm 0..15, op2 0..7).
    EncodingOutOfRange = 38, "";
    /// A name with characters other than ASCII letters, digits and `_`.
    InvalidName = 39, "";
    /// A `#@` annotation comment the project's extension does not know, or in the wrong place
    /// (annotations go inside a Sysreg block, outside its Prefix and Enum blocks).
    InvalidAnnotation = 40, "";
    /// The same annotation twice in one Sysreg.
    DuplicateAnnotation = 41, "";
}

impl Code {
    /// `SR0011`.
    pub fn as_str(self) -> String {
        format!("SR{:04}", self.number())
    }

    /// Whether `--lenient` turns this check into a warning: the checks the kernel script does
    /// not make at all, and the duplicate-enum-value check it only added after 2023.
    /// `EncodingNotNumber` stays an error: a typed IR cannot hold a non-numeric encoding.
    pub const fn relaxed_by_lenient(self) -> bool {
        matches!(
            self,
            Code::DuplicateEnumValue
                | Code::EnumValueNotBinary
                | Code::EnumValueTooWide
                | Code::DuplicateFieldName
                | Code::DuplicateEnumName
                | Code::EncodingOutOfRange
                | Code::InvalidName
        )
    }

    /// The severity of this check under `strictness`.
    pub const fn severity(self, strictness: Strictness) -> Severity {
        match (self, strictness) {
            (Code::DuplicateEncoding | Code::UnknownFieldSet | Code::UnknownMappingTarget, _) => {
                Severity::Warning
            }
            (_, Strictness::Lenient) if self.relaxed_by_lenient() => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

/// A secondary message, optionally pointing at another place (e.g. the first definition).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub span: Option<Span>,
    pub message: String,
}

/// One problem found in the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    /// The offending text.
    pub span: Span,
    /// What is wrong.
    pub message: String,
    /// What was expected, printed under the caret.
    pub expected: String,
    pub notes: Vec<Note>,
}

impl Diagnostic {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The diagnostic as text, with the offending line and a caret under the offending part.
    pub fn render(&self, sources: &SourceMap) -> String {
        let mut out = String::new();
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(
            out,
            "{}: {}[{}]: {}",
            sources.display(self.span.loc),
            level,
            self.code.as_str(),
            self.message
        );
        render_snippet(&mut out, sources, self.span, &self.expected);
        for note in &self.notes {
            match note.span {
                Some(span) => {
                    let _ = writeln!(
                        out,
                        "  note: {}: {}",
                        sources.display(span.loc),
                        note.message
                    );
                    render_snippet(&mut out, sources, span, "");
                }
                None => {
                    let _ = writeln!(out, "  note: {}", note.message);
                }
            }
        }
        out
    }
}

/// Longest stretch of a source line shown in a snippet; longer lines are cut around the caret.
const SNIPPET_WIDTH: usize = 120;

fn render_snippet(out: &mut String, sources: &SourceMap, span: Span, label: &str) {
    let line = sources.file(span.loc.file).line(span.loc.line);
    let col = span.loc.col.max(1) as usize - 1;
    let len = span.len.max(1) as usize;
    // Show tabs as 4 spaces and control characters as U+FFFD, so the caret lines up.
    let chars: Vec<char> = line.chars().collect();
    let start = col.saturating_sub(SNIPPET_WIDTH / 2).min(chars.len());
    let end = (start + SNIPPET_WIDTH).min(chars.len());
    let mut shown = String::new();
    let mut caret_at = 0;
    let mut caret_len = 0;
    if start > 0 {
        shown.push_str("...");
    }
    for (i, &c) in chars[start..end].iter().enumerate() {
        let i = i + start;
        let width = if c == '\t' { 4 } else { 1 };
        if i < col {
            caret_at += width;
        } else if i < col + len {
            caret_len += width;
        }
        match c {
            '\t' => shown.push_str("    "),
            c if c.is_control() => shown.push('\u{fffd}'),
            c => shown.push(c),
        }
    }
    if end < chars.len() {
        shown.push_str("...");
    }
    if start > 0 {
        caret_at += 3;
    }
    let number = span.loc.line.to_string();
    let gutter = " ".repeat(number.len());
    let _ = writeln!(out, " {gutter} |");
    let _ = writeln!(out, " {number} | {shown}");
    let _ = write!(
        out,
        " {gutter} | {}{}",
        " ".repeat(caret_at),
        "^".repeat(caret_len.max(1))
    );
    if label.is_empty() {
        out.push('\n');
    } else {
        let _ = writeln!(out, " {label}");
    }
}

/// Longest message kept, in bytes: a name quoted from a 1 MB line must not make a 1 MB message.
const MAX_MESSAGE: usize = 400;

fn cap_length(mut text: String) -> String {
    if text.len() > MAX_MESSAGE {
        let mut cut = MAX_MESSAGE;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("...");
    }
    text
}

/// The diagnostics of one run, with a cap on how many are kept so that a 100 MB file of garbage
/// cannot exhaust memory; the rest are only counted.
#[derive(Clone, Debug)]
pub struct Diagnostics {
    kept: Vec<Diagnostic>,
    limit: usize,
    kept_errors: usize,
    kept_warnings: usize,
    dropped_errors: usize,
    dropped_warnings: usize,
    strictness: Strictness,
}

impl Diagnostics {
    /// `limit` = how many errors, and how many warnings, to keep (0 keeps all).
    pub fn new(strictness: Strictness, limit: usize) -> Diagnostics {
        Diagnostics {
            kept: Vec::new(),
            limit: if limit == 0 { usize::MAX } else { limit },
            kept_errors: 0,
            kept_warnings: 0,
            dropped_errors: 0,
            dropped_warnings: 0,
            strictness,
        }
    }

    pub fn strictness(&self) -> Strictness {
        self.strictness
    }

    /// Records a diagnostic; its severity follows from its code and the run's strictness.
    pub fn report(
        &mut self,
        code: Code,
        span: Span,
        message: impl Into<String>,
        expected: impl Into<String>,
        notes: Vec<Note>,
    ) {
        let severity = code.severity(self.strictness);
        // The cap applies to errors and warnings separately, so warnings can never crowd out
        // the errors that explain why the input was refused.
        let (kept, dropped) = match severity {
            Severity::Error => (&mut self.kept_errors, &mut self.dropped_errors),
            Severity::Warning => (&mut self.kept_warnings, &mut self.dropped_warnings),
        };
        if *kept >= self.limit {
            *dropped += 1;
            return;
        }
        *kept += 1;
        self.kept.push(Diagnostic {
            severity,
            code,
            span,
            message: cap_length(message.into()),
            expected: cap_length(expected.into()),
            notes: notes
                .into_iter()
                .map(|n| Note {
                    message: cap_length(n.message),
                    ..n
                })
                .collect(),
        });
    }

    /// The diagnostics kept, in the order found.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.kept.iter()
    }

    pub fn error_count(&self) -> usize {
        self.kept.iter().filter(|d| d.is_error()).count() + self.dropped_errors
    }

    pub fn warning_count(&self) -> usize {
        self.kept.iter().filter(|d| !d.is_error()).count() + self.dropped_warnings
    }

    pub fn has_errors(&self) -> bool {
        self.error_count() > 0
    }

    /// How many diagnostics were counted but not kept.
    pub fn dropped(&self) -> usize {
        self.dropped_errors + self.dropped_warnings
    }

    /// Every kept diagnostic rendered, then a summary line if anything was found.
    pub fn render(&self, sources: &SourceMap) -> String {
        let mut out = String::new();
        for d in &self.kept {
            out.push_str(&d.render(sources));
            out.push('\n');
        }
        if self.dropped() > 0 {
            let _ = writeln!(
                out,
                "... and {} more diagnostics not shown (raise the limit to see them)",
                self.dropped()
            );
        }
        let (errors, warnings) = (self.error_count(), self.warning_count());
        if errors + warnings > 0 {
            let _ = writeln!(
                out,
                "{errors} error{}, {warnings} warning{}",
                if errors == 1 { "" } else { "s" },
                if warnings == 1 { "" } else { "s" }
            );
        }
        out
    }
}
