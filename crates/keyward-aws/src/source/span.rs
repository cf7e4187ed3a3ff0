//! The one span-map mechanism of keyward-aws: a [`SpanMap`] takes a byte offset in a decoded
//! or rendered document (an unescaped JSON string, a URL-decoded policy, JSON rendered from a
//! CloudFormation YAML template) back to a byte offset in the file it came from.
//!
//! Embedded policies (`embedded.rs`) and template/plan sources (`source/`) both build their
//! maps here, so a finding or diagnostic lands on the same file position whichever way the
//! document was found.

/// One stretch of a linted document and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seg {
    /// Byte offset in the linted document.
    pub inner: usize,
    /// Byte offset in the original file.
    pub outer: usize,
    /// How many bytes from `inner` on are copied verbatim from `outer` (0: just a point).
    pub exact: usize,
}

/// Maps byte offsets in a linted document to byte offsets in the original file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpanMap {
    /// The document is the original text from this offset on (plain files, substrings).
    Offset(usize),
    /// Segments sorted by `inner`; an offset between segments maps to the previous one.
    Table(Vec<Seg>),
}

impl SpanMap {
    /// Every offset maps to `outer` (a document with no byte-for-byte source).
    pub fn point(outer: usize) -> SpanMap {
        SpanMap::Table(vec![Seg { inner: 0, outer, exact: 0 }])
    }

    /// The original-file offset of a document offset, and whether that byte was copied
    /// verbatim from there.
    pub fn locate(&self, off: usize) -> (usize, bool) {
        match self {
            SpanMap::Offset(base) => (base + off, true),
            SpanMap::Table(segs) => {
                let i = segs.partition_point(|s| s.inner <= off);
                match i.checked_sub(1).and_then(|i| segs.get(i)) {
                    Some(s) if off < s.inner + s.exact => (s.outer + (off - s.inner), true),
                    Some(s) => (s.outer, false),
                    None => (segs.first().map_or(0, |s| s.outer), false),
                }
            }
        }
    }

    /// The original-file offset of a document offset.
    pub fn map(&self, off: usize) -> usize {
        self.locate(off).0
    }

    /// Maps a half-open range; the end stays after the start. When the last byte comes from an
    /// escape (`\"`) and the next segment starts right after it, the end is that segment's start,
    /// so the whole escape is covered.
    pub fn map_range(&self, start: usize, end: usize) -> (usize, usize) {
        let s = self.map(start);
        if end <= start {
            return (s, s);
        }
        let e = match self {
            SpanMap::Offset(base) => base + end,
            SpanMap::Table(segs) => {
                let i = segs.partition_point(|g| g.inner < end);
                let last = i.checked_sub(1).and_then(|i| segs.get(i));
                match (last, segs.get(i)) {
                    (Some(l), Some(n)) if end > l.inner + l.exact && n.inner == end => n.outer,
                    _ => self.map(end - 1) + 1,
                }
            }
        };
        (s, e.max(s))
    }
}

/// The map for a JSON string literal `raw` (quotes included) that starts at `base` in the
/// original file and whose unescaped value is `value`: each unescaped byte goes back to its
/// source byte, each escape to its backslash.
pub fn string_map(raw: &str, base: usize, value: &str) -> SpanMap {
    let bytes = raw.as_bytes();
    let mut segs = Vec::new();
    let (mut i, mut inner) = (1usize, 0usize);
    while let Some(&b) = bytes.get(i) {
        if b == b'"' {
            break;
        }
        if b == b'\\' {
            let (adv, produced) = escape_len(bytes, i);
            segs.push(Seg { inner, outer: base + i, exact: 0 });
            inner += produced;
            i += adv;
        } else {
            let start = i;
            while bytes.get(i).is_some_and(|&c| c != b'"' && c != b'\\') {
                i += 1;
            }
            segs.push(Seg { inner, outer: base + start, exact: i - start });
            inner += i - start;
        }
    }
    if inner != value.len() {
        // Should not happen for text the JSON reader accepted; degrade to the string's start.
        return SpanMap::point(base);
    }
    SpanMap::Table(segs)
}

/// Builds a [`SpanMap::Table`] one output byte at a time, merging verbatim runs.
#[derive(Debug, Default)]
pub struct MapBuilder {
    segs: Vec<Seg>,
}

impl MapBuilder {
    /// Output byte `inner` came from file offset `outer`; `exact` says it was copied verbatim
    /// (a decoded escape is not).
    pub fn push(&mut self, inner: usize, outer: usize, exact: bool) {
        if let Some(last) = self.segs.last_mut() {
            if exact
                && last.exact > 0
                && last.inner + last.exact == inner
                && last.outer + last.exact == outer
            {
                last.exact += 1;
                return;
            }
        }
        self.segs.push(Seg { inner, outer, exact: usize::from(exact) });
    }

    /// The finished map.
    pub fn finish(self) -> SpanMap {
        if self.segs.is_empty() {
            return SpanMap::point(0);
        }
        SpanMap::Table(self.segs)
    }
}

/// Length in `bytes` of the escape at `i`, and how many UTF-8 bytes it unescapes to.
fn escape_len(bytes: &[u8], i: usize) -> (usize, usize) {
    let hex = |at: usize| -> Option<u32> {
        let s = std::str::from_utf8(bytes.get(at..at + 4)?).ok()?;
        u32::from_str_radix(s, 16).ok()
    };
    if bytes.get(i + 1) != Some(&b'u') {
        return (2, 1);
    }
    let Some(cp) = hex(i + 2) else { return (2, 1) };
    if (0xD800..0xDC00).contains(&cp)
        && bytes.get(i + 6) == Some(&b'\\')
        && bytes.get(i + 7) == Some(&b'u')
        && hex(i + 8).is_some_and(|lo| (0xDC00..0xE000).contains(&lo))
    {
        return (12, 4);
    }
    let len = char::from_u32(cp).map_or(3, char::len_utf8);
    (6, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_map_walks_escapes() {
        let raw = r#""a\"b\u00e9c\ud83d\ude00d""#;
        let value = "a\"b\u{e9}c\u{1F600}d";
        let m = string_map(raw, 10, value);
        assert_eq!(m.map(0), 11); // a
        assert_eq!(m.map(1), 12); // \"
        assert_eq!(m.map(2), 14); // b
        assert_eq!(m.map(3), 15); // \u00e9
        assert_eq!(m.map(5), 21); // c
        assert_eq!(m.map(6), 22); // surrogate pair
        assert_eq!(m.map(10), 34); // d
        assert_eq!(m.map_range(1, 2), (12, 14)); // the whole \"
    }

    #[test]
    fn table_maps_between_segments_to_previous() {
        let m = SpanMap::Table(vec![
            Seg { inner: 0, outer: 100, exact: 0 },
            Seg { inner: 5, outer: 200, exact: 3 },
        ]);
        assert_eq!(m.map(2), 100);
        assert_eq!(m.map(6), 201);
        assert_eq!(m.map(9), 200);
        assert_eq!(m.map_range(5, 8), (200, 203));
    }
}
