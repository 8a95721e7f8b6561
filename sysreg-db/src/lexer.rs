//! Line-level lexing: words, bit ranges and binary literals (nom parsers).
//!
//! The format is line-oriented and, like the kernel's awk script, splits a line into words on
//! runs of spaces and tabs. Each word keeps its column so diagnostics can point at it.

use nom::{
    branch::alt,
    bytes::complete::{tag, take_while1},
    character::complete::{char, digit1},
    combinator::{all_consuming, map, opt},
    sequence::{pair, preceded},
    IResult, Parser,
};

/// A word of a line and where it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Word<'a> {
    pub text: &'a str,
    /// 1-based column of the first character.
    pub col: u32,
    /// Width in characters.
    pub len: u32,
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn char_count(s: &str) -> u32 {
    if s.is_ascii() {
        s.len() as u32
    } else {
        s.chars().count() as u32
    }
}

/// Splits a line into words, as awk's default field splitting does.
pub(crate) fn words(line: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    words_into(line, line.is_ascii(), &mut out);
    out
}

/// [`words`] into a caller's buffer (cleared first), so the parser reuses one allocation for
/// every line of a file. `ascii`: the line is known to be ASCII (columns are then byte offsets).
pub(crate) fn words_into<'a>(line: &'a str, ascii: bool, out: &mut Vec<Word<'a>>) {
    out.clear();
    // Splitting on blanks is a byte loop: blanks are ASCII, so cutting there never splits a
    // UTF-8 sequence. (The words' grammars below are nom parsers.)
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && is_blank(bytes[i]) {
            i += 1;
        }
        if i == bytes.len() {
            break;
        }
        let start = i;
        while i < bytes.len() && !is_blank(bytes[i]) {
            i += 1;
        }
        let text = &line[start..i];
        let (col, len) = if ascii {
            (start as u32 + 1, text.len() as u32)
        } else {
            (char_count(&line[..start]) + 1, char_count(text))
        };
        out.push(Word { text, col, len });
    }
}

/// A decimal number; `None` if it does not fit in a u64.
fn number(input: &str) -> IResult<&str, Option<u64>> {
    map(digit1, |d: &str| d.parse::<u64>().ok()).parse(input)
}

/// A bit range as written: `<n>` or `<msb>:<lsb>`, numbers that overflow u64 as `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RawBits {
    pub msb: Option<u64>,
    pub lsb: Option<u64>,
}

/// Parses `<msb>[:<lsb>]`; `None` if the word is anything else (e.g. `63-0`, `1:2:3`, `a:b`).
pub(crate) fn bit_range(word: &str) -> Option<RawBits> {
    let parsed = all_consuming(pair(number, opt(preceded(char(':'), number)))).parse(word);
    let (_, (msb, lsb)) = parsed.ok()?;
    Some(RawBits {
        msb,
        lsb: lsb.unwrap_or(msb),
    })
}

/// A decimal number with nothing around it; `Err(())` for non-digits, `Ok(None)` on overflow.
pub(crate) fn decimal(word: &str) -> Result<Option<u64>, ()> {
    all_consuming(number)
        .parse(word)
        .map(|(_, n)| n)
        .map_err(|_| ())
}

/// What a binary literal `0b...` word holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Binary {
    /// The value and the number of significant bits it needs.
    Value { value: u64, bits: u32 },
    /// Binary, but more than 64 significant bits.
    TooWide,
    /// Not `0b` followed only by 0s and 1s.
    Invalid,
}

fn binary_digits(input: &str) -> IResult<&str, &str> {
    preceded(
        alt((tag("0b"), tag("0B"))),
        take_while1(|c| c == '0' || c == '1'),
    )
    .parse(input)
}

pub(crate) fn binary(word: &str) -> Binary {
    // The format (and the kernel script) only knows lower-case `0b`.
    if word.starts_with("0B") {
        return Binary::Invalid;
    }
    match all_consuming(binary_digits).parse(word) {
        Ok((_, digits)) => {
            let significant = digits.trim_start_matches('0');
            if significant.len() > 64 {
                Binary::TooWide
            } else {
                Binary::Value {
                    value: u64::from_str_radix(
                        if significant.is_empty() {
                            "0"
                        } else {
                            significant
                        },
                        2,
                    )
                    .unwrap_or(0),
                    bits: significant.len() as u32,
                }
            }
        }
        Err(_) => Binary::Invalid,
    }
}

/// Whether the line contains `0b` followed by a binary digit anywhere: the kernel script's
/// (unanchored) test for an enum value line.
pub(crate) fn contains_binary_literal(line: &str) -> bool {
    line.match_indices("0b")
        .any(|(i, _)| matches!(line.as_bytes().get(i + 2), Some(b'0' | b'1')))
}

/// Whether `name` is a C identifier (what the kernel pastes it into).
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether `name` can end a C identifier (enum value names may start with a digit, e.g. `8BIT`).
pub(crate) fn is_identifier_tail(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_columns_across_tabs_and_spaces() {
        let w = words("\tField   63:0\tIMPDEF ");
        let got: Vec<_> = w.iter().map(|w| (w.text, w.col)).collect();
        assert_eq!(got, [("Field", 2), ("63:0", 10), ("IMPDEF", 15)]);
    }

    #[test]
    fn words_of_blank_line_are_empty() {
        assert!(words(" \t ").is_empty());
    }

    #[test]
    fn bit_ranges() {
        let some = |m, l| {
            Some(RawBits {
                msb: Some(m),
                lsb: Some(l),
            })
        };
        assert_eq!(bit_range("63:0"), some(63, 0));
        assert_eq!(bit_range("7"), some(7, 7));
        assert_eq!(bit_range("007:00"), some(7, 0));
        assert_eq!(bit_range("63-0"), None);
        assert_eq!(bit_range("1:2:3"), None);
        assert_eq!(bit_range(":3"), None);
        assert_eq!(bit_range("3:"), None);
        assert_eq!(bit_range("a:b"), None);
        assert_eq!(
            bit_range("99999999999999999999999:0"),
            Some(RawBits {
                msb: None,
                lsb: Some(0)
            })
        );
    }

    #[test]
    fn binary_literals() {
        assert_eq!(binary("0b0001"), Binary::Value { value: 1, bits: 1 });
        assert_eq!(binary("0b0000"), Binary::Value { value: 0, bits: 0 });
        assert_eq!(binary("0b1111"), Binary::Value { value: 15, bits: 4 });
        assert_eq!(binary("0b0002"), Binary::Invalid);
        assert_eq!(binary("0x1"), Binary::Invalid);
        assert_eq!(binary("0B1"), Binary::Invalid);
        assert_eq!(binary(&format!("0b1{}", "0".repeat(64))), Binary::TooWide);
        assert_eq!(
            binary(&format!("0b{}", "1".repeat(64))),
            Binary::Value {
                value: u64::MAX,
                bits: 64
            }
        );
    }

    #[test]
    fn binary_literal_anywhere_in_line() {
        assert!(contains_binary_literal("\t0b0001\tIMP"));
        assert!(contains_binary_literal("x0b1"));
        assert!(!contains_binary_literal("0x1 FOO"));
        assert!(!contains_binary_literal("0b"));
    }
}
