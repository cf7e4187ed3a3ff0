//! Byte spans into a source text and their translation to 1-based line:column.

use serde::Serialize;

/// A half-open byte range `[start, end)` into the source text a value was read from.
///
/// Synthetic values (made by a fix suggestion, or read from YAML) carry `Span::SYNTHETIC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span that points at no source text.
    pub const SYNTHETIC: Span = Span { start: u32::MAX, end: u32::MAX };

    /// Builds a span from `usize` offsets (saturating at `u32::MAX - 1`).
    pub fn new(start: usize, end: usize) -> Span {
        let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX - 1).min(u32::MAX - 1);
        Span { start: clamp(start), end: clamp(end) }
    }

    /// True for spans made by keyward rather than read from a file.
    pub fn is_synthetic(self) -> bool {
        self.start == u32::MAX
    }
}

/// A 1-based line and column (columns count Unicode scalar values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LineCol {
    /// 1-based line.
    pub line: u32,
    /// 1-based column in characters.
    pub col: u32,
}

/// Maps byte offsets of one text to line:column, built once per text.
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes the line starts of `text`.
    pub fn new(text: &'a str) -> Self {
        // Eight bytes at a time: a word with no line feed (most of them) costs a few
        // operations; the line feeds of a word are read from the bits of a mask.
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGH: u64 = 0x8080_8080_8080_8080;
        let bytes = text.as_bytes();
        let mut line_starts = Vec::with_capacity(bytes.len() / 32 + 1);
        line_starts.push(0);
        let mut chunks = bytes.chunks_exact(8);
        let mut at = 0;
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let x = u64::from_le_bytes(word) ^ (ONES * u64::from(b'\n'));
            // Exact zero-byte mask: the high bit of each byte of `x` that is zero.
            let mut m = !(((x & !HIGH) + !HIGH) | x | !HIGH);
            while m != 0 {
                line_starts.push(at + (m.trailing_zeros() / 8) as usize + 1);
                m &= m - 1;
            }
            at += 8;
        }
        for (i, b) in chunks.remainder().iter().enumerate() {
            if *b == b'\n' {
                line_starts.push(at + i + 1);
            }
        }
        LineIndex { text, line_starts }
    }

    /// Line and column of a byte offset (clamped to the text; synthetic spans map to 1:1).
    pub fn line_col(&self, offset: u32) -> LineCol {
        if offset == u32::MAX {
            return LineCol { line: 1, col: 1 };
        }
        let offset = (offset as usize).min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1) - 1;
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let col = self.text.get(start..offset).map_or(offset - start, |s| s.chars().count());
        LineCol { line: line as u32 + 1, col: col as u32 + 1 }
    }

    /// The full text of a 1-based line, without its line terminator.
    pub fn line_text(&self, line: u32) -> &'a str {
        let i = (line as usize).saturating_sub(1);
        let start = self.line_starts.get(i).copied().unwrap_or(self.text.len());
        let end = self.line_starts.get(i + 1).copied().unwrap_or(self.text.len());
        self.text.get(start..end).unwrap_or("").trim_end_matches(['\n', '\r'])
    }
}

/// Character index to byte offset, for scanners that count characters (the YAML readers of
/// the scenario loader and of CloudFormation templates).
#[derive(Debug, Clone)]
pub struct CharOffsets {
    /// Empty when the text is ASCII (character index == byte offset).
    table: Vec<usize>,
    len: usize,
}

impl CharOffsets {
    /// The offsets of `text`'s characters.
    pub fn new(text: &str) -> CharOffsets {
        let table = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices().map(|(b, _)| b).collect()
        };
        CharOffsets { table, len: text.len() }
    }

    /// The byte offset of character `char_index` (the text's length past its end).
    pub fn byte(&self, char_index: usize) -> usize {
        if self.table.is_empty() {
            char_index.min(self.len)
        } else {
            self.table.get(char_index).copied().unwrap_or(self.len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let idx = LineIndex::new("ab\n\u{e9}x\n");
        assert_eq!(idx.line_col(0), LineCol { line: 1, col: 1 });
        assert_eq!(idx.line_col(3), LineCol { line: 2, col: 1 });
        // 'x' comes after a two-byte character: byte 5, column 2.
        assert_eq!(idx.line_col(5), LineCol { line: 2, col: 2 });
        assert_eq!(idx.line_text(2), "\u{e9}x");
        assert_eq!(idx.line_col(Span::SYNTHETIC.start), LineCol { line: 1, col: 1 });
    }

    #[test]
    fn line_starts_are_found_in_every_position_of_a_word() {
        // Line feeds at every offset modulo 8, runs of them, bytes next to 0x0a in value
        // (0x0b, 0x8a inside a multi-byte character), and a tail shorter than a word.
        let texts = [
            String::new(),
            "\n".to_string(),
            "\n\n\n\n\n\n\n\n\n".to_string(),
            (0..40).map(|i| if i % 3 == 0 { '\n' } else { 'a' }).collect(),
            (0..67).map(|i| if i % 7 == 1 { '\n' } else { '\u{b}' }).collect(),
            "\u{28a}\n\u{28a}x\r\n\u{20ac}\u{20ac}\n\n yz\n".repeat(5),
        ];
        for t in &texts {
            let naive: Vec<usize> = std::iter::once(0)
                .chain(t.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1))
                .collect();
            assert_eq!(LineIndex::new(t).line_starts, naive, "{t:?}");
        }
    }

    #[test]
    fn char_offsets_map_characters_to_bytes() {
        let ascii = CharOffsets::new("abc");
        assert_eq!((ascii.byte(0), ascii.byte(2), ascii.byte(9)), (0, 2, 3));
        let t = "aé€b";
        let o = CharOffsets::new(t);
        assert_eq!((o.byte(1), o.byte(2), o.byte(3), o.byte(4)), (1, 3, 6, t.len()));
    }
}
