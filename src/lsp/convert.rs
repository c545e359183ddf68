//! Positions between pyaudit (1-based lines, byte columns, byte offsets) and LSP (0-based
//! lines, UTF-16 code units), and `file:` URIs to paths.

use crate::finding::Position;
use crate::scan::LineTexts;
use lsp_types as lsp;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Line starts of a document, for converting positions.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    fn line_text(&self, line: usize) -> &'a str {
        let start = self.starts.get(line).copied().unwrap_or(self.text.len());
        let end = self
            .starts
            .get(line + 1)
            .map_or(self.text.len(), |e| e.saturating_sub(1));
        let s = &self.text[start.min(self.text.len())..end.max(start).min(self.text.len())];
        s.strip_suffix('\r').unwrap_or(s)
    }

    /// The LSP position of 0-based `line` and byte column `col`.
    fn at(&self, line: usize, col: usize) -> lsp::Position {
        lsp::Position {
            line: line as u32,
            character: utf16_column(self.line_text(line), col),
        }
    }

    /// The LSP position of byte `offset`.
    pub fn position(&self, offset: usize) -> lsp::Position {
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        self.at(line, offset - self.starts[line])
    }

    /// The LSP position of a finding's [`Position`].
    pub fn point(&self, p: Position) -> lsp::Position {
        self.at(p.line.saturating_sub(1), p.byte_col)
    }

    /// The end of 0-based `line` (before its line break).
    pub fn line_end(&self, line: usize) -> lsp::Position {
        self.at(line, usize::MAX)
    }
}

/// The UTF-16 column of byte column `col` in the line `text` (clamped to the line).
fn utf16_column(text: &str, col: usize) -> u32 {
    let mut b = col.min(text.len());
    while !text.is_char_boundary(b) {
        b -= 1;
    }
    text[..b].chars().map(char::len_utf16).sum::<usize>() as u32
}

/// Locations in any file a finding touches: open documents by their text, other files by
/// the lines the analysis kept of them.
pub struct Places<'a> {
    docs: HashMap<&'a Path, (&'a lsp::Uri, LineIndex<'a>)>,
    lines: &'a LineTexts,
}

impl<'a> Places<'a> {
    /// Places over the open documents `docs` (path, URI, text) and `lines` of other files.
    pub fn new(
        docs: impl Iterator<Item = (&'a Path, &'a lsp::Uri, &'a str)>,
        lines: &'a LineTexts,
    ) -> Places<'a> {
        Places {
            docs: docs.map(|(p, u, t)| (p, (u, LineIndex::new(t)))).collect(),
            lines,
        }
    }

    /// The open document at `path`, with its line index.
    pub fn doc(&self, path: &Path) -> Option<(&'a lsp::Uri, &LineIndex<'a>)> {
        self.docs.get(path).map(|(u, i)| (*u, i))
    }

    /// The URI of `path`: the editor's own for an open document.
    pub fn uri(&self, path: &Path) -> Option<lsp::Uri> {
        if let Some((uri, _)) = self.docs.get(path) {
            return Some((*uri).clone());
        }
        if !path.is_absolute() {
            return None;
        }
        crate::report::location::file_uri(path).parse().ok()
    }

    /// The LSP position of `p` in `path`; `first` is the text of the finding's first line,
    /// which the analysis does not keep separately.
    pub fn point(&self, path: &Path, p: Position, first: Option<(usize, &str)>) -> lsp::Position {
        if let Some((_, index)) = self.docs.get(path) {
            return index.point(p);
        }
        let text = self
            .lines
            .get(&(path.to_path_buf(), p.line))
            .map(String::as_str)
            .or_else(|| first.filter(|&(l, _)| l == p.line).map(|(_, t)| t));
        lsp::Position {
            line: p.line.saturating_sub(1) as u32,
            // Without the line, the byte column is the best guess (exact for ASCII).
            character: text.map_or(p.byte_col as u32, |t| utf16_column(t, p.byte_col)),
        }
    }

    /// The location `start..end` in `path`, as [`Places::point`] places them.
    pub fn location(
        &self,
        path: &Path,
        (start, end): (Position, Position),
        first: Option<(usize, &str)>,
    ) -> Option<lsp::Location> {
        Some(lsp::Location {
            uri: self.uri(path)?,
            range: lsp::Range {
                start: self.point(path, start, first),
                end: self.point(path, end, first),
            },
        })
    }
}

/// The path of a `file:` URI (percent-decoded), or `None` for other schemes.
pub fn path_of(uri: &lsp::Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    // `file://host/path` is not a local file.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    Some(PathBuf::from(String::from_utf8(out).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_and_offsets() {
        let idx = LineIndex::new("a = 1\né😀 = x(y)\n");
        let p = idx.position(6 + "é😀 = ".len());
        assert_eq!((p.line, p.character), (1, 6));
        assert_eq!(idx.line_end(0).character, 5);
        let uri: lsp::Uri = "file:///tmp/a%20b.py".parse().unwrap();
        assert_eq!(path_of(&uri), Some(PathBuf::from("/tmp/a b.py")));
    }
}
