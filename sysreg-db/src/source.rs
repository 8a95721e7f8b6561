//! Source files and locations.
//!
//! Every IR item and every diagnostic carries a [`Loc`]: which input file, which line, which
//! column. Lines and columns are 1-based; a column counts characters (a tab is one column), the
//! way compilers report them so editors can jump to them.

use std::fmt;
use std::sync::OnceLock;

/// Index of an input file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// A position in an input file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Loc {
    pub file: FileId,
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
}

/// A source location together with the width (in characters) of the text it points at, used to
/// draw the caret line under a diagnostic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub loc: Loc,
    pub len: u32,
}

/// One input file as read from disk.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The name diagnostics print (the path as given on the command line).
    pub name: String,
    /// The file's text. Invalid UTF-8 has been replaced by U+FFFD (and reported).
    pub text: String,
    /// Whether `text` is ASCII (the usual case; columns are then byte offsets).
    ascii: bool,
    /// Byte offset of the start of line 1, 1 + [`LINE_STEP`], 1 + 2 * [`LINE_STEP`], ...;
    /// computed when a diagnostic first needs a line (most runs show none, or one).
    line_starts: OnceLock<Vec<usize>>,
    /// Where the bytes first failed to be UTF-8, if they did.
    pub invalid_utf8: Option<InvalidUtf8>,
}

/// The first invalid UTF-8 sequence of a file, and how many there are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidUtf8 {
    pub line: u32,
    pub col: u32,
    pub byte: u8,
    pub count: usize,
}

fn find_invalid_utf8(bytes: &[u8]) -> Option<InvalidUtf8> {
    let mut first = None;
    let mut count = 0;
    let mut offset = 0;
    while offset < bytes.len() {
        match std::str::from_utf8(&bytes[offset..]) {
            Ok(_) => break,
            Err(e) => {
                let at = offset + e.valid_up_to();
                if first.is_none() {
                    first = Some(at);
                }
                count += 1;
                offset = at + e.error_len().unwrap_or(bytes.len() - at).max(1);
            }
        }
    }
    let at = first?;
    let before = &bytes[..at];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
    // The bytes between the line start and `at` are valid UTF-8 (they precede the first error).
    let col =
        std::str::from_utf8(&bytes[line_start..at]).map_or(0, |s| s.chars().count()) as u32 + 1;
    Some(InvalidUtf8 {
        line,
        col,
        byte: bytes[at],
        count,
    })
}

impl SourceFile {
    pub fn new(name: impl Into<String>, bytes: &[u8]) -> SourceFile {
        SourceFile::from_bytes(name, bytes.to_vec())
    }

    /// Like [`SourceFile::new`], taking ownership of the bytes (no copy when they are UTF-8).
    pub fn from_bytes(name: impl Into<String>, bytes: Vec<u8>) -> SourceFile {
        if bytes.is_ascii() {
            // The usual case, checked word by word far faster than UTF-8 validation.
            // SAFETY: ASCII is UTF-8.
            let text = unsafe { String::from_utf8_unchecked(bytes) };
            return SourceFile {
                name: name.into(),
                text,
                ascii: true,
                line_starts: OnceLock::new(),
                invalid_utf8: None,
            };
        }
        let (text, invalid_utf8) = match String::from_utf8(bytes) {
            Ok(text) => (text, None),
            Err(e) => {
                let bytes = e.into_bytes();
                let problem = find_invalid_utf8(&bytes);
                (String::from_utf8_lossy(&bytes).into_owned(), problem)
            }
        };
        // Bytes that are not ASCII stay so, or become U+FFFD.
        SourceFile {
            name: name.into(),
            text,
            ascii: false,
            line_starts: OnceLock::new(),
            invalid_utf8,
        }
    }

    /// Whether the text is ASCII.
    pub(crate) fn is_ascii(&self) -> bool {
        self.ascii
    }

    /// Hands over the starts of lines 1, 1 + [`LINE_STEP`], ... (the parser finds them anyway).
    pub(crate) fn set_line_starts(&self, starts: Vec<usize>) {
        let _ = self.line_starts.set(starts);
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            let mut starts = vec![0];
            starts.extend(
                newlines(&self.text)
                    .skip(LINE_STEP - 1)
                    .step_by(LINE_STEP)
                    .map(|i| i + 1),
            );
            starts
        })
    }

    /// The text of 1-based line `line`, without its line terminator (`\n` or `\r\n`).
    pub fn line(&self, line: u32) -> &str {
        let i = line.saturating_sub(1) as usize;
        let Some(&checkpoint) = self.line_starts().get(i / LINE_STEP) else {
            return "";
        };
        let mut start = checkpoint;
        for _ in 0..i % LINE_STEP {
            match self.text[start..].find('\n') {
                Some(at) => start += at + 1,
                None => return "",
            }
        }
        let end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |at| start + at);
        let text = &self.text[start..end];
        text.strip_suffix('\r').unwrap_or(text)
    }
}

/// Lines between two recorded line starts: a lookup skips at most this many lines, and the
/// table costs a word per this many lines.
pub(crate) const LINE_STEP: usize = 64;

fn newlines(text: &str) -> impl Iterator<Item = usize> + '_ {
    // `match_indices` on a char searches with memchr.
    text.match_indices('\n').map(|(i, _)| i)
}

/// All input files of one run, in command-line order.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() as u32 - 1)
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// `file:line:col`, as printed at the head of a diagnostic.
    pub fn display(&self, loc: Loc) -> impl fmt::Display + '_ {
        DisplayLoc { map: self, loc }
    }
}

struct DisplayLoc<'a> {
    map: &'a SourceMap,
    loc: Loc,
}

impl fmt::Display for DisplayLoc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            self.map.file(self.loc.file).name,
            self.loc.line,
            self.loc.col
        )
    }
}
