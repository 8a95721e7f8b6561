//! Line-level lexing: words, bit ranges and binary literals (nom parsers).
//!
//! The format is line-oriented and, like the kernel's awk script, splits a line into words on
//! runs of spaces and tabs. Each word keeps its column so diagnostics can point at it.

use nom::{
    bytes::complete::tag,
    character::complete::char,
    combinator::{all_consuming, opt},
    error::{Error, ErrorKind},
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

pub(crate) fn is_blank(b: u8) -> bool {
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
    words_into(line, 0, line.len(), line.is_ascii(), &mut out);
    out
}

/// [`words`] of the line `text[start..end]` into a caller's buffer (cleared first), so the
/// parser reuses one allocation for every line of a file. `ascii`: the line is known to be
/// ASCII (columns are then byte offsets). The text past `end` (the rest of the file) is only
/// read, eight bytes at a time, to find where words end.
pub(crate) fn words_into<'a>(
    text: &'a str,
    start: usize,
    end: usize,
    ascii: bool,
    out: &mut Vec<Word<'a>>,
) {
    out.clear();
    // Splitting on blanks is a byte search: blanks are ASCII, so cutting there never splits a
    // UTF-8 sequence. (The words' grammars below are nom parsers.)
    let bytes = text.as_bytes();
    let line = &bytes[..end.min(bytes.len())];
    let mut i = start;
    loop {
        // Blank runs are short (usually one tab).
        while let Some(&b) = line.get(i) {
            if !is_blank(b) {
                break;
            }
            i += 1;
        }
        if i >= line.len() {
            break;
        }
        let first = i;
        i = word_end(bytes, i, end);
        let word = &text[first..i];
        let (col, len) = if ascii {
            ((first - start) as u32 + 1, word.len() as u32)
        } else {
            (char_count(&text[start..first]) + 1, char_count(word))
        };
        out.push(Word {
            text: word,
            col,
            len,
        });
    }
}

/// The byte ranges (from the start of the line) of the words of the line `text[start..end]`
/// if it has exactly `N` words. Like [`words_into`], it reads past `end` to find where words
/// end.
#[inline]
pub(crate) fn exact_words<const N: usize>(
    text: &str,
    start: usize,
    end: usize,
) -> Option<[std::ops::Range<usize>; N]> {
    let bytes = text.as_bytes();
    let line = &bytes[..end.min(bytes.len())];
    let mut words = [const { 0..0 }; N];
    let mut n = 0;
    let mut i = start;
    loop {
        while line.get(i).is_some_and(|&b| is_blank(b)) {
            i += 1;
        }
        if i >= line.len() {
            break;
        }
        let first = i;
        i = word_end(bytes, i, line.len());
        *words.get_mut(n)? = first - start..i - start;
        n += 1;
    }
    (n == N).then_some(words)
}

/// Where the word at `i` ends: the first blank at or after `i`, or `end`. Eight bytes at a
/// time (a byte loop costs several instructions a byte, and this runs for every word).
fn word_end(bytes: &[u8], mut i: usize, end: usize) -> usize {
    while let Some(word) = word_at(bytes, i) {
        let blanks = zero_bytes(word ^ repeat(b' ')) | zero_bytes(word ^ repeat(b'\t'));
        if blanks != 0 {
            return (i + (blanks.trailing_zeros() / 8) as usize).min(end);
        }
        if i + 8 >= end {
            return end;
        }
        i += 8;
    }
    while i < end && !is_blank(bytes[i]) {
        i += 1;
    }
    i
}

/// `b` in every byte of a word.
const fn repeat(b: u8) -> u64 {
    u64::from_le_bytes([b; 8])
}

/// The high bit of each byte of `word` that is zero is set, and possibly high bits of bytes
/// above a zero byte, never below one: the lowest set bit marks the first zero byte exactly.
fn zero_bytes(word: u64) -> u64 {
    word.wrapping_sub(repeat(1)) & !word & repeat(0x80)
}

/// Whether `bytes` holds `byte` anywhere: a scan of eight bytes a step, a few instructions
/// each (the whole file is scanned for carriage returns before parsing, and `memchr` takes
/// more than a byte's worth of instructions per byte here).
pub(crate) fn contains_byte(bytes: &[u8], byte: u8) -> bool {
    let mut words = bytes.chunks_exact(8);
    let found = words.by_ref().fold(0, |found, w| {
        found | zero_bytes(u64::from_le_bytes(w.try_into().unwrap_or_default()) ^ repeat(byte))
    });
    found != 0 || words.remainder().contains(&byte)
}

/// The index of the first `\n` in `bytes` at or after `start`, or `bytes.len()`. Eight bytes
/// at a time: lines are short (15 bytes on average in the kernel's database), too short for a
/// `memchr` call's set-up to pay off, and a byte loop costs several instructions a byte.
pub(crate) fn line_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    while let Some(word) = word_at(bytes, i) {
        let zeros = zero_bytes(word ^ repeat(b'\n'));
        if zeros != 0 {
            return i + (zeros.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    let rest = bytes.get(i..).unwrap_or_default();
    match rest.iter().position(|&b| b == b'\n') {
        Some(at) => i + at,
        None => bytes.len(),
    }
}

/// `s.to_string()` for the names and enum values the IR keeps: a short string (up to 32 bytes,
/// as nearly all are) is copied with two overlapping fixed-size moves instead of a call to
/// `memcpy`. Thousands of such copies are made per database, and a `memcpy` call costs more
/// than the copy, most of all in a static musl build, whose `memcpy` uses `rep movs`.
#[inline]
pub(crate) fn owned(s: &str) -> String {
    let n = s.len();
    if n > 32 {
        return s.to_owned();
    }
    let mut out = String::with_capacity(n);
    // SAFETY: `out` has room for `n` bytes, and they are set to the bytes of `s`, whole UTF-8.
    unsafe {
        let bytes = out.as_mut_vec();
        copy_short(s.as_ptr(), bytes.as_mut_ptr(), n);
        bytes.set_len(n);
    }
    out
}

/// Copies `n` (at most 32) bytes from `src` to `dst` with two overlapping moves of the largest
/// power-of-two size not above `n` (one byte at a time below 4).
///
/// # Safety
/// `src` is readable and `dst` writable for `n` bytes, and they do not overlap.
#[inline(always)]
unsafe fn copy_short(src: *const u8, dst: *mut u8, n: usize) {
    use std::ptr::{read_unaligned, write_unaligned};
    // SAFETY (each arm): both moves lie within the first `n` bytes, as the caller allows.
    unsafe fn two<T: Copy>(src: *const u8, dst: *mut u8, n: usize) {
        let last = n - std::mem::size_of::<T>();
        let (a, b) = (
            read_unaligned(src.cast::<T>()),
            read_unaligned(src.add(last).cast::<T>()),
        );
        write_unaligned(dst.cast::<T>(), a);
        write_unaligned(dst.add(last).cast::<T>(), b);
    }
    match n {
        0 => {}
        1..=3 => {
            *dst = *src;
            *dst.add(n / 2) = *src.add(n / 2);
            *dst.add(n - 1) = *src.add(n - 1);
        }
        4..=7 => two::<u32>(src, dst, n),
        8..=15 => two::<u64>(src, dst, n),
        _ => two::<u128>(src, dst, n),
    }
}

/// The eight bytes at `i` as a little-endian word, if there are eight.
pub(crate) fn word_at(bytes: &[u8], i: usize) -> Option<u64> {
    let chunk = bytes.get(i..i.checked_add(8)?)?;
    Some(u64::from_le_bytes(chunk.try_into().ok()?))
}

/// Like nom's `take_while1`, over bytes: the words here are ASCII in practice, and decoding
/// characters (as `take_while1` on `&str` does) costs several times more. `pred` only accepts
/// ASCII bytes, so the split is at a character boundary.
fn ascii_while1(input: &str, pred: fn(u8) -> bool, kind: ErrorKind) -> IResult<&str, &str> {
    let n = input.bytes().take_while(|&b| pred(b)).count();
    if n == 0 {
        return Err(nom::Err::Error(Error::new(input, kind)));
    }
    Ok((&input[n..], &input[..n]))
}

/// A decimal number; `None` if it does not fit in a u64. (A fold rather than `str::parse`:
/// this runs for every bit range, and the fold is one pass.)
fn number(input: &str) -> IResult<&str, Option<u64>> {
    let (rest, digits) = ascii_while1(input, |b| b.is_ascii_digit(), ErrorKind::Digit)?;
    let value = digits.bytes().try_fold(0u64, |n, d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    });
    Ok((rest, value))
}

/// A decimal number of one or two ASCII digits (an encoding operand as the kernel writes it),
/// read without nom's machinery; `None` for anything else, which [`decimal`] then reads.
pub(crate) fn small_decimal(word: &str) -> Option<u8> {
    match *word.as_bytes() {
        [d] if d.is_ascii_digit() => Some(d - b'0'),
        [t, d] if t.is_ascii_digit() && d.is_ascii_digit() => Some((t - b'0') * 10 + (d - b'0')),
        _ => None,
    }
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
    // The format (and the kernel script) only knows lower-case `0b`.
    let bits = |input| ascii_while1(input, |b| b == b'0' || b == b'1', ErrorKind::TakeWhile1);
    preceded(tag("0b"), bits).parse(input)
}

pub(crate) fn binary(word: &str) -> Binary {
    match all_consuming(binary_digits).parse(word) {
        Ok((_, digits)) => {
            let zeros = digits.bytes().take_while(|&d| d == b'0').count();
            let significant = &digits[zeros..];
            if significant.len() > 64 {
                Binary::TooWide
            } else {
                Binary::Value {
                    value: significant
                        .bytes()
                        .fold(0, |v, d| v << 1 | u64::from(d - b'0')),
                    bits: significant.len() as u32,
                }
            }
        }
        Err(_) => Binary::Invalid,
    }
}

/// The common shapes of a bit range, `<n>` or `<msb>:<lsb>` with numbers of one or two digits,
/// read without nom (the parser's fast path reads one on most lines); `None` for anything
/// else, which [`bit_range`] then reads.
pub(crate) fn short_bit_range(word: &str) -> Option<RawBits> {
    // A byte scan: `split_once(':')` goes through the general (and here costly) searcher.
    let (msb, lsb) = match word.bytes().position(|b| b == b':') {
        Some(colon) => (
            small_decimal(&word[..colon])?,
            small_decimal(&word[colon + 1..])?,
        ),
        None => {
            let n = small_decimal(word)?;
            (n, n)
        }
    };
    Some(RawBits {
        msb: Some(u64::from(msb)),
        lsb: Some(u64::from(lsb)),
    })
}

/// A binary literal of at most 64 digits, `0b` then `0`s and `1`s, read without nom (the
/// parser's fast path reads one on every enum value line); `None` for anything else, which
/// [`binary`] then reads.
pub(crate) fn short_binary(word: &str) -> Option<Binary> {
    let digits = word.strip_prefix("0b")?.as_bytes();
    if digits.is_empty() || digits.len() > 64 {
        return None;
    }
    let mut value = 0u64;
    for &d in digits {
        if d != b'0' && d != b'1' {
            return None;
        }
        value = value << 1 | u64::from(d - b'0');
    }
    Some(Binary::Value {
        value,
        bits: 64 - value.leading_zeros(),
    })
}

/// Whether the line contains `0b` followed by a binary digit anywhere: the kernel script's
/// (unanchored) test for an enum value line. (A byte scan: value lines have it at the start.)
pub(crate) fn contains_binary_literal(line: &str) -> bool {
    line.as_bytes()
        .windows(3)
        .any(|w| w[0] == b'0' && w[1] == b'b' && (w[2] == b'0' || w[2] == b'1'))
}

/// Which bytes may appear in a C identifier: a table, one load a byte (this runs for every
/// name).
static IDENTIFIER_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'_';
        b += 1;
    }
    table
};

fn is_identifier_byte(b: u8) -> bool {
    IDENTIFIER_BYTES[usize::from(b)]
}

/// Whether `name` is a C identifier (what the kernel pastes it into).
pub(crate) fn is_identifier(name: &str) -> bool {
    // Bytes, not characters: a byte of a multi-byte character is never ASCII.
    match name.as_bytes() {
        [first, rest @ ..] => {
            (first.is_ascii_alphabetic() || *first == b'_')
                && rest.iter().all(|&b| is_identifier_byte(b))
        }
        [] => false,
    }
}

/// Whether `name` can end a C identifier (enum value names may start with a digit, e.g. `8BIT`).
pub(crate) fn is_identifier_tail(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(is_identifier_byte)
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

    #[test]
    fn owned_copies_every_length() {
        // Every length across the copy's size classes, ASCII and multi-byte.
        let text = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnop";
        for n in 0..=text.len() {
            assert_eq!(owned(&text[..n]), &text[..n]);
            assert_eq!(owned(&text[text.len() - n..]), &text[text.len() - n..]);
        }
        for s in [
            "\u{e9}",
            "caf\u{e9}",
            "\u{1f600}\u{1f600}\u{1f600}\u{1f600}\u{1f600}",
        ] {
            assert_eq!(owned(s), s);
        }
    }

    #[test]
    fn small_decimal_agrees_with_decimal() {
        let words = (0..1000)
            .flat_map(|n| [n.to_string(), format!("{n:02}")])
            .chain(["", "a", "1a", "-1", "+1", " 1", "\u{e9}"].map(String::from));
        for word in words {
            if let Some(v) = small_decimal(&word) {
                assert_eq!(decimal(&word), Ok(Some(u64::from(v))), "{word:?}");
            } else {
                assert!(
                    word.len() != 1 && word.len() != 2 || decimal(&word).is_err(),
                    "{word:?}"
                );
            }
        }
    }

    #[test]
    fn short_readers_agree_with_nom() {
        let mut words: Vec<String> = ["", ":", "1:", ":1", "1:2:3", "a", "0x1", "0b", "0B1", "0b2"]
            .map(String::from)
            .to_vec();
        for n in 0..130 {
            words.push(n.to_string());
            words.push(format!("{n:02}"));
            for m in [0, 1, 9, 10, 63, 64, 99, 100] {
                words.push(format!("{n}:{m}"));
            }
        }
        for bits in [1, 2, 4, 8, 63, 64, 65] {
            for pattern in ["0", "1", "01", "10", "0110"] {
                let digits: String = pattern.chars().cycle().take(bits).collect();
                words.push(format!("0b{digits}"));
                words.push(format!("0b{digits}2"));
            }
        }
        for word in &words {
            if let Some(short) = short_bit_range(word) {
                assert_eq!(bit_range(word), Some(short), "{word:?}");
            }
            if let Some(short) = short_binary(word) {
                assert_eq!(binary(word), short, "{word:?}");
            }
        }
        // They do read the common shapes.
        for word in ["5", "63:0", "7:4", "09:08"] {
            assert!(short_bit_range(word).is_some(), "{word:?}");
        }
        for word in ["0b0", "0b0001", &format!("0b{}", "1".repeat(64))] {
            assert!(short_binary(word).is_some(), "{word:?}");
        }
    }

    #[test]
    fn contains_byte_finds_it_anywhere() {
        for len in 0..40 {
            let blank = vec![b'a'; len];
            assert!(!contains_byte(&blank, b'\r'));
            for at in 0..len {
                let mut bytes = blank.clone();
                bytes[at] = b'\r';
                assert!(contains_byte(&bytes, b'\r'), "{len} {at}");
                // A byte just above or below is not it (the borrow of the zero-byte test).
                bytes[at] = b'\r' + 1;
                assert!(!contains_byte(&bytes, b'\r'), "{len} {at}");
                bytes[at] = 0x8d;
                assert!(!contains_byte(&bytes, b'\r'), "{len} {at}");
            }
        }
    }
}
