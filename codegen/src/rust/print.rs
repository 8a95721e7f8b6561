//! Prints the token streams the backend builds as formatted Rust: one item or statement per
//! line, blocks indented by four spaces, lines kept within 100 columns, `#[doc]` attributes as
//! `///` comments wrapped at 100 columns.
//!
//! It is not a general Rust formatter: it knows the narrow subset of Rust this backend emits
//! (items, attributes, `fn` bodies of statements and `match`es, paths, calls, casts, binary
//! operators, `asm!`) and lays it out the way rustfmt would, or close to it. Printing the tokens
//! directly, rather than parsing them back into a syntax tree to pretty-print it, is what keeps
//! regeneration fast. Anything outside the subset still prints as valid Rust, only less nicely.

use proc_macro2::{Delimiter, Ident, Literal, Spacing, TokenStream, TokenTree};
use std::fmt::Write as _;

/// Columns per line.
const WIDTH: usize = 100;
/// Columns per indentation level.
const INDENT: usize = 4;

/// The text of `tokens`, a sequence of items, as a file (ending with a newline).
pub fn file(tokens: TokenStream) -> String {
    let mut p = Printer::default();
    p.items(&tree(tokens));
    p.out.push('\n');
    p.out
}

/// A token: `proc_macro2`'s, with a group's tokens held directly so they can be walked
/// without copying.
enum Tok {
    Ident(Ident),
    Punct(char, Spacing),
    Literal(Literal),
    Group(Delimiter, Vec<Tok>),
}

/// The tokens of `stream`, moved out of it. (A `Group` only lends its tokens by a new handle
/// on them; dropping the group first leaves that handle the only one, so iterating it moves
/// the tokens instead of cloning each one.)
fn tree(stream: TokenStream) -> Vec<Tok> {
    stream
        .into_iter()
        .map(|tt| match tt {
            TokenTree::Group(g) => {
                let (delimiter, stream) = (g.delimiter(), g.stream());
                drop(g);
                Tok::Group(delimiter, tree(stream))
            }
            TokenTree::Ident(i) => Tok::Ident(i),
            TokenTree::Punct(p) => Tok::Punct(p.as_char(), p.spacing()),
            TokenTree::Literal(l) => Tok::Literal(l),
        })
        .collect()
}

impl std::fmt::Display for Tok {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tok::Ident(i) => write!(f, "{i}"),
            Tok::Punct(c, _) => write!(f, "{c}"),
            Tok::Literal(l) => write!(f, "{l}"),
            Tok::Group(d, inner) => {
                let (open, close) = match d {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Brace => ("{ ", " }"),
                    Delimiter::None => ("", ""),
                };
                f.write_str(open)?;
                plain(f, inner)?;
                f.write_str(close)
            }
        }
    }
}

/// `tokens` separated by spaces, except after a punctuation joined to the next (`::`, `->`):
/// valid Rust, if not laid out.
fn plain(out: &mut impl std::fmt::Write, tokens: &[Tok]) -> std::fmt::Result {
    for (k, tok) in tokens.iter().enumerate() {
        if k > 0 && !matches!(tokens[k - 1], Tok::Punct(_, Spacing::Joint)) {
            out.write_str(" ")?;
        }
        write!(out, "{tok}")?;
    }
    Ok(())
}

/// What the last token printed was, for the spacing before the next one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prev {
    /// An opening delimiter: no space before the next token.
    Open,
    /// An identifier, keyword, literal or lifetime.
    Word,
    /// A keyword after which `(`, `&`, `*`, `-` begin an operand (`return`, `as`, `match`, ...).
    Keyword,
    /// `)`, `]`, `}` or `?`.
    Close,
    /// `>` closing generic arguments.
    Angle,
    /// A token owed a space after it: a binary operator, `,`, `;`, `:`.
    Spaced,
    /// A token the next one sticks to: `::`, `.`, a unary `&`/`!`/`-`/`*`, `<` opening generic
    /// arguments, `#`, a macro's `!`.
    Glue,
}

#[derive(Default)]
struct Printer {
    out: String,
    indent: usize,
    /// Byte offset in `out` where the current line starts.
    line_start: usize,
    /// The last token on the current line (`None` at its start).
    prev: Option<Prev>,
}

/// Keywords after which `(`, `&`, `*`, `-` begin an operand rather than continue one.
fn is_operand_keyword(ident: &Ident) -> bool {
    // Not `in`: `asm!`'s `in(reg)` is not `in (reg)`.
    [
        "return", "as", "match", "if", "while", "let", "mut", "else", "move", "dyn",
    ]
    .iter()
    .any(|k| ident == k)
}

fn is_punct(tt: &Tok, c: char) -> bool {
    matches!(tt, Tok::Punct(p, _) if *p == c)
}

fn is_ident(tt: &Tok, s: &str) -> bool {
    matches!(tt, Tok::Ident(i) if i == s)
}

fn is_block(tt: &Tok) -> bool {
    matches!(tt, Tok::Group(Delimiter::Brace, _))
}

/// Splits `tokens` at top-level commas (a trailing comma makes no empty last part).
fn split_commas(tokens: &[Tok]) -> Vec<&[Tok]> {
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, tt) in tokens.iter().enumerate() {
        if is_punct(tt, ',') {
            parts.push(&tokens[start..i]);
            start = i + 1;
        }
    }
    if start < tokens.len() {
        parts.push(&tokens[start..]);
    }
    parts
}

/// `tokens` without a trailing comma.
fn without_trailing_comma(tokens: &[Tok]) -> &[Tok] {
    match tokens.split_last() {
        Some((last, init)) if is_punct(last, ',') => init,
        _ => tokens,
    }
}

/// The value of a string literal: a raw one (`r"..."`, what a `///` comment in `quote!` becomes)
/// as it is, or one printed by `Literal::string` with its escapes undone.
fn unescape(literal: &str) -> String {
    if let Some(raw) = literal.strip_prefix('r') {
        let hashes = raw.len() - raw.trim_start_matches('#').len();
        return raw[hashes..raw.len() - hashes]
            .trim_start_matches('"')
            .trim_end_matches('"')
            .to_string();
    }
    let inner = literal
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(literal);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('u') => {
                let code: String = chars
                    .by_ref()
                    .skip_while(|&c| c == '{')
                    .take_while(|&c| c != '}')
                    .collect();
                if let Some(c) = u32::from_str_radix(&code, 16).ok().and_then(char::from_u32) {
                    out.push(c);
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// The text of a `doc = "..."` attribute's string, if `attr` (a `#[...]`'s contents) is one.
fn doc_text(attr: &[Tok]) -> Option<String> {
    match attr {
        [Tok::Ident(doc), Tok::Punct('=', _), Tok::Literal(text)] if doc == "doc" => {
            Some(unescape(&text.to_string()))
        }
        _ => None,
    }
}

impl Printer {
    fn column(&self) -> usize {
        self.out.len() - self.line_start
    }

    /// Starts a new line at the current indentation.
    fn newline(&mut self) {
        if !self.out.is_empty() {
            self.out.push('\n');
        }
        self.line_start = self.out.len();
        for _ in 0..self.indent * INDENT {
            self.out.push(' ');
        }
        self.prev = None;
    }

    fn space_unless_line_start(&mut self) {
        if self.prev.is_some() {
            self.out.push(' ');
        }
    }

    /// Items or statements, each on lines of its own. An item ends after a top-level `;`, or
    /// after a block (`{ ... }`) that is not a `use` list, not followed by `else`.
    fn items(&mut self, tokens: &[Tok]) {
        let mut start = 0;
        let mut is_use = false;
        let mut i = 0;
        while i < tokens.len() {
            match &tokens[i] {
                Tok::Ident(id) if id == "use" => is_use = true,
                // An attribute's `#[...]` is part of the item it is on.
                Tok::Punct('#', _) => i += 1,
                Tok::Punct(';', _) => {
                    self.item(&tokens[start..=i]);
                    start = i + 1;
                    is_use = false;
                }
                Tok::Group(Delimiter::Brace, _)
                    if !is_use && !tokens.get(i + 1).is_some_and(|t| is_ident(t, "else")) =>
                {
                    self.item(&tokens[start..=i]);
                    start = i + 1;
                }
                _ => {}
            }
            i += 1;
        }
        if start < tokens.len() {
            self.item(&tokens[start..]);
        }
    }

    /// One item or statement: its attributes on lines of their own, then the rest.
    fn item(&mut self, tokens: &[Tok]) {
        let mut rest = tokens;
        while let [Tok::Punct('#', _), Tok::Group(Delimiter::Bracket, attr), tail @ ..] = rest {
            match doc_text(attr) {
                Some(text) => self.doc(&text),
                None => {
                    self.newline();
                    self.out.push_str("#[");
                    self.prev = Some(Prev::Open);
                    self.flat(attr);
                    self.out.push(']');
                }
            }
            rest = tail;
        }
        if !rest.is_empty() {
            self.newline();
            self.line(rest, 0);
        }
    }

    /// A `///` line per line of `text`, each wrapped at spaces to fit the width.
    fn doc(&mut self, text: &str) {
        for line in text.split('\n') {
            self.newline();
            let lead = self.column();
            self.out.push_str("///");
            if line.is_empty() {
                continue;
            }
            // The attribute's text starts with the space after `///` (or not, for `///x`).
            let (space, body) = match line.strip_prefix(' ') {
                Some(body) => (" ", body),
                None => ("", line),
            };
            self.out.push_str(space);
            let mut first = true;
            for word in body.split(' ') {
                if !first {
                    if self.column() + 1 + word.len() > WIDTH && self.column() > lead + 4 {
                        self.newline();
                        self.out.push_str("/// ");
                    } else {
                        self.out.push(' ');
                    }
                }
                first = false;
                self.out.push_str(word);
            }
        }
    }

    /// Tokens from the current position on the current line, breaking them over lines where
    /// they do not fit: blocks always open onto lines of their own, and a parenthesised list
    /// that would reach past the width puts each element on a line of its own. `tail` is the
    /// width of what the caller prints after these tokens on the same line (`,`, `;`).
    fn line(&mut self, tokens: &[Tok], tail: usize) {
        // Most lines fit as they are: print flat, and only if that fails, again with breaks.
        // (Tokens with a block at their top level, not a `use` list, cannot be flat: no need to
        // try.)
        let has_block = tokens
            .iter()
            .enumerate()
            .any(|(i, t)| is_block(t) && !(i > 0 && is_punct(&tokens[i - 1], ':')));
        if !has_block || self.unsafe_one_liner(tokens) {
            let mark = self.out.len();
            let prev = self.prev;
            if self.try_flat(tokens) && self.column() + tail <= WIDTH {
                return;
            }
            self.out.truncate(mark);
            self.prev = prev;
        }
        let mut in_match = false;
        let mut is_use = false;
        let mut i = 0;
        while i < tokens.len() {
            let tt = &tokens[i];
            match tt {
                Tok::Group(Delimiter::Brace, inner) if is_use => {
                    let rest = self.flat_width(&tokens[i + 1..]).unwrap_or(0) + tail;
                    self.use_list(inner, rest);
                }
                Tok::Group(Delimiter::Brace, inner) => {
                    self.block(inner, in_match);
                    in_match = false;
                }
                Tok::Group(Delimiter::None, inner) => self.line(inner, 0),
                Tok::Group(delimiter, inner) => {
                    let macro_args = i > 0 && is_punct(&tokens[i - 1], '!');
                    let rest = self.flat_width(&tokens[i + 1..]).unwrap_or(0) + tail;
                    self.list(*delimiter, inner, rest, macro_args);
                }
                Tok::Ident(id) => {
                    if id == "match" {
                        in_match = true;
                    } else if id == "use" {
                        is_use = true;
                    }
                    self.word(tt);
                }
                Tok::Punct(..) => i = self.punct(tokens, i),
                Tok::Literal(_) => self.word(tt),
            }
            i += 1;
        }
    }

    /// Whether `tokens` are an `unsafe` block of one expression (`unsafe { f(x) }`), which
    /// rustfmt keeps on one line when it fits.
    fn unsafe_one_liner(&self, tokens: &[Tok]) -> bool {
        match tokens {
            [Tok::Ident(kw), Tok::Group(Delimiter::Brace, inner)] if kw == "unsafe" => {
                !inner.iter().any(|t| is_punct(t, ';') || is_block(t))
            }
            _ => false,
        }
    }

    /// The width `tokens` take printed flat up to their first block (and its ` {`), or `None`
    /// if a block is nested in them before that.
    fn flat_width(&mut self, tokens: &[Tok]) -> Option<usize> {
        let block = tokens.iter().position(is_block);
        let end = block.unwrap_or(tokens.len());
        let mark = self.out.len();
        let (line_start, prev) = (self.line_start, self.prev);
        self.line_start = mark;
        let ok = self.try_flat(&tokens[..end]);
        let width = self.column() + if block.is_some() { 2 } else { 0 };
        self.out.truncate(mark);
        self.line_start = line_start;
        self.prev = prev;
        ok.then_some(width)
    }

    /// Prints `tokens` on one line; false (and the output to be discarded) if they hold a block,
    /// which cannot be on one line.
    fn try_flat(&mut self, tokens: &[Tok]) -> bool {
        let mut i = 0;
        while i < tokens.len() {
            let tt = &tokens[i];
            match tt {
                Tok::Group(Delimiter::Brace, inner) => {
                    // `m::{A, B}` is a `use` list; `{}` an empty body; `unsafe { f(x) }`, an
                    // `unsafe` block of one expression, stays on its line as rustfmt keeps it.
                    let in_use = i > 0 && is_punct(&tokens[i - 1], ':');
                    let one_expression = i > 0 && self.unsafe_one_liner(&tokens[i - 1..=i]);
                    if !inner.is_empty() && !in_use && !one_expression {
                        return false;
                    }
                    if !in_use {
                        self.space_unless_line_start();
                    }
                    self.out.push('{');
                    if one_expression {
                        self.out.push(' ');
                    }
                    self.prev = Some(Prev::Open);
                    if !self.try_flat(inner) {
                        return false;
                    }
                    if one_expression {
                        self.out.push(' ');
                    }
                    self.out.push('}');
                    self.prev = Some(Prev::Close);
                }
                Tok::Group(Delimiter::None, inner) => {
                    if !self.try_flat(inner) {
                        return false;
                    }
                }
                Tok::Group(delimiter, inner) => {
                    self.open(*delimiter);
                    // A trailing comma is dropped when the list is on one line.
                    if !self.try_flat(without_trailing_comma(inner)) {
                        return false;
                    }
                    self.close(*delimiter);
                }
                Tok::Punct(..) => i = self.punct(tokens, i),
                _ => self.word(tt),
            }
            i += 1;
        }
        true
    }

    /// `tokens` flat, where they cannot be broken (attributes).
    fn flat(&mut self, tokens: &[Tok]) {
        let mark = self.out.len();
        if !self.try_flat(tokens) {
            // A block where none belongs: valid Rust all the same, spaced plainly.
            self.out.truncate(mark);
            let _ = plain(&mut self.out, tokens);
        }
    }

    fn open(&mut self, delimiter: Delimiter) {
        // No space in a call, an index, a macro's arguments, or `in(reg)` in `asm!`.
        let space = match self.prev {
            Some(Prev::Spaced) => true,
            Some(Prev::Keyword) => delimiter == Delimiter::Parenthesis,
            _ => false,
        };
        if space {
            self.out.push(' ');
        }
        self.out.push(if delimiter == Delimiter::Bracket {
            '['
        } else {
            '('
        });
        self.prev = Some(Prev::Open);
    }

    fn close(&mut self, delimiter: Delimiter) {
        self.out.push(if delimiter == Delimiter::Bracket {
            ']'
        } else {
            ')'
        });
        self.prev = Some(Prev::Close);
    }

    /// A parenthesised or bracketed list: flat if it fits with the `rest` of the line after
    /// it, else one element per line (with a trailing comma, except in a macro's arguments).
    /// A list of one element holding a block (`Some(match n { .. })`) opens around the block.
    fn list(&mut self, delimiter: Delimiter, inner: &[Tok], rest: usize, macro_args: bool) {
        let mark = self.out.len();
        let prev = self.prev;
        self.open(delimiter);
        let trimmed = without_trailing_comma(inner);
        let body = self.out.len();
        if self.try_flat(trimmed) {
            self.close(delimiter);
            if self.column() + rest <= WIDTH {
                return;
            }
        } else if split_commas(trimmed).len() == 1 {
            self.out.truncate(body);
            self.prev = Some(Prev::Open);
            self.line(trimmed, 0);
            self.close(delimiter);
            return;
        }
        self.out.truncate(mark);
        self.prev = prev;
        self.vertical(delimiter, inner, macro_args);
    }

    fn vertical(&mut self, delimiter: Delimiter, inner: &[Tok], macro_args: bool) {
        self.open(delimiter);
        self.indent += 1;
        let parts = split_commas(inner);
        let count = parts.len();
        for (k, part) in parts.into_iter().enumerate() {
            self.newline();
            let comma = !macro_args || k + 1 < count;
            self.line(part, usize::from(comma));
            if comma {
                self.out.push(',');
            }
        }
        self.indent -= 1;
        self.newline();
        self.close(delimiter);
    }

    /// `{A, B}` of a `use`: on the line if it fits, else filled over lines of their own.
    fn use_list(&mut self, inner: &[Tok], tail: usize) {
        let mark = self.out.len();
        let prev = self.prev;
        self.out.push('{');
        self.prev = Some(Prev::Open);
        if self.try_flat(inner) {
            self.out.push('}');
            self.prev = Some(Prev::Close);
            if self.column() + tail <= WIDTH {
                return;
            }
        }
        self.out.truncate(mark);
        self.prev = prev;
        self.out.push('{');
        self.indent += 1;
        self.newline();
        for part in split_commas(inner) {
            let mark = self.out.len();
            let first = self.prev.is_none();
            if !first {
                self.out.push(' ');
            }
            self.prev = Some(Prev::Open);
            self.flat(part);
            self.out.push(',');
            if self.column() > WIDTH && !first {
                self.out.truncate(mark);
                self.newline();
                self.prev = Some(Prev::Open);
                self.flat(part);
                self.out.push(',');
            }
        }
        self.indent -= 1;
        self.newline();
        self.out.push('}');
        self.prev = Some(Prev::Close);
    }

    /// A block: ` {`, its items (or a `match`'s arms) on lines of their own, `}`.
    fn block(&mut self, inner: &[Tok], arms: bool) {
        self.space_unless_line_start();
        if inner.is_empty() {
            self.out.push_str("{}");
            self.prev = Some(Prev::Close);
            return;
        }
        self.out.push('{');
        self.indent += 1;
        if arms {
            for arm in split_commas(inner) {
                self.newline();
                let ends_in_block = arm.last().is_some_and(is_block);
                self.line(arm, usize::from(!ends_in_block));
                if !ends_in_block {
                    self.out.push(',');
                }
            }
        } else {
            self.items(inner);
        }
        self.indent -= 1;
        self.newline();
        self.out.push('}');
        self.prev = Some(Prev::Close);
    }

    /// An identifier, keyword, or literal.
    fn word(&mut self, tt: &Tok) {
        if matches!(
            self.prev,
            Some(Prev::Word | Prev::Keyword | Prev::Close | Prev::Angle | Prev::Spaced)
        ) {
            self.out.push(' ');
        }
        let _ = write!(self.out, "{tt}");
        self.prev = Some(match tt {
            Tok::Ident(id) if is_operand_keyword(id) => Prev::Keyword,
            _ => Prev::Word,
        });
    }

    /// The punctuation starting at `tokens[i]`, joined with the punctuation that follows it
    /// into one operator (`::`, `->`, `>=`) or a lifetime (`'static`); returns the index of its
    /// last token.
    fn punct(&mut self, tokens: &[Tok], i: usize) -> usize {
        let mut buf = [0u8; 16];
        let mut len = 0;
        let mut j = i;
        while let Some(&Tok::Punct(c, spacing)) = tokens.get(j) {
            len += c.encode_utf8(&mut buf[len..]).len();
            let joined =
                spacing == Spacing::Joint && matches!(tokens.get(j + 1), Some(Tok::Punct(..)));
            if !joined || len + 4 > buf.len() {
                break;
            }
            j += 1;
        }
        let op = std::str::from_utf8(&buf[..len]).unwrap_or("");
        // A lifetime: `'` joined to the identifier after it.
        if op == "'" {
            if matches!(self.prev, Some(Prev::Word | Prev::Keyword | Prev::Spaced)) {
                self.out.push(' ');
            }
            self.out.push('\'');
            if let Some(name) = tokens.get(j + 1) {
                let _ = write!(self.out, "{name}");
                j += 1;
            }
            self.prev = Some(Prev::Word);
            return j;
        }
        // Whether the operator follows an operand, which makes `&`, `*`, `-`, `!` binary.
        let after_operand = matches!(self.prev, Some(Prev::Word | Prev::Close | Prev::Angle));
        let spaced = matches!(self.prev, Some(Prev::Spaced | Prev::Keyword));
        let (space_before, next) = match op {
            "::" | "." => (false, Prev::Glue),
            "," | ";" | ":" => (false, Prev::Spaced),
            // A macro call's `!` sticks to its name.
            "!" if self.prev == Some(Prev::Word) => (false, Prev::Glue),
            // Generic arguments, or a qualified path (`<T as Trait>::X`).
            "<" => (self.prev == Some(Prev::Spaced), Prev::Glue),
            ">" => (false, Prev::Angle),
            "?" => (false, Prev::Close),
            "#" => (spaced || after_operand, Prev::Glue),
            "&" | "*" | "-" | "!" | "&&" if !after_operand => (spaced, Prev::Glue),
            // Binary operators, `=`, `->`, `=>`.
            _ => (
                self.prev.is_some() && self.prev != Some(Prev::Open),
                Prev::Spaced,
            ),
        };
        if space_before {
            self.out.push(' ');
        }
        self.out.push_str(op);
        self.prev = Some(next);
        j
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn items_statements_and_blocks() {
        let text = file(quote! {
            #[doc = " A value."]
            #[derive(Clone, Copy)]
            pub struct A(u64);
            impl Eq for A {}
            impl A {
                pub const X: Self = Self(0b01);
                #[inline(always)]
                pub const fn f(self) -> bool {
                    self.0 & !0x1_0000 != 0
                }
                pub fn g(f: impl FnOnce(u8) -> u8, r: &'static str) -> Option<&'static str> {
                    let bits: u64;
                    unsafe { crate::Backend::write::<Self>(&mut crate::Hardware, value) }
                    Some(match n {
                        0 => <crate::a::B as crate::SysReg>::ENCODING,
                        _ => return None,
                    })
                }
            }
            pub use a::{A, B};
        });
        assert_eq!(
            text,
            "/// A value.
#[derive(Clone, Copy)]
pub struct A(u64);
impl Eq for A {}
impl A {
    pub const X: Self = Self(0b01);
    #[inline(always)]
    pub const fn f(self) -> bool {
        self.0 & !0x1_0000 != 0
    }
    pub fn g(f: impl FnOnce(u8) -> u8, r: &'static str) -> Option<&'static str> {
        let bits: u64;
        unsafe { crate::Backend::write::<Self>(&mut crate::Hardware, value) }
        Some(match n {
            0 => <crate::a::B as crate::SysReg>::ENCODING,
            _ => return None,
        })
    }
}
pub use a::{A, B};
"
        );
    }

    #[test]
    fn long_lines_break_their_lists() {
        let text = file(quote! {
            fn mrs() -> u64 {
                unsafe {
                    core::arch::asm!("mrs {}, S3_3_C9_C12_0", out(reg) bits, options(nomem, nostack, preserves_flags));
                }
            }
            pub unsafe fn write<B: crate::Backend>(backend: &mut B, n: usize, value: crate::pmevcntrx_el0::PmevcntrxEl0) -> bool {
                true
            }
        });
        assert_eq!(
            text,
            "fn mrs() -> u64 {
    unsafe {
        core::arch::asm!(
            \"mrs {}, S3_3_C9_C12_0\",
            out(reg) bits,
            options(nomem, nostack, preserves_flags)
        );
    }
}
pub unsafe fn write<B: crate::Backend>(
    backend: &mut B,
    n: usize,
    value: crate::pmevcntrx_el0::PmevcntrxEl0,
) -> bool {
    true
}
"
        );
    }

    #[test]
    fn long_use_lists_fill_lines() {
        let names: Vec<proc_macro2::Ident> = (0..24)
            .map(|n| quote::format_ident!("Name{n:02}"))
            .collect();
        let text = file(quote! {
            pub use module::{#(#names),*};
            pub use id_aa64pfr2_el1::{ID_AA64PFR2_EL1, IdAa64pfr2El1, Uinj, Gcie, Mtefar, Mtestoreonly, Mteperm};
        });
        assert_eq!(
            text,
            "pub use module::{
    Name00, Name01, Name02, Name03, Name04, Name05, Name06, Name07, Name08, Name09, Name10, Name11,
    Name12, Name13, Name14, Name15, Name16, Name17, Name18, Name19, Name20, Name21, Name22, Name23,
};
pub use id_aa64pfr2_el1::{
    ID_AA64PFR2_EL1, IdAa64pfr2El1, Uinj, Gcie, Mtefar, Mtestoreonly, Mteperm,
};
"
        );
    }

    #[test]
    fn docs_are_unescaped_and_wrapped() {
        let long = " word".repeat(30);
        let text = file(quote! {
            #[doc = " A \"quoted\" `x` \\ é"]
            #[doc = ""]
            /// Raw.
            #[doc = #long]
            mod m;
        });
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "/// A \"quoted\" `x` \\ é");
        assert_eq!(lines[1], "///");
        assert_eq!(lines[2], "/// Raw.");
        assert!(lines[3].len() <= WIDTH && lines[4].starts_with("/// word"));
        assert_eq!(lines.last(), Some(&"mod m;"));
    }
}
