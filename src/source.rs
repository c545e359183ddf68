//! Turning a file's bytes into analysable text, and mapping byte offsets to lines.

use crate::finding::{DiagnosticKind, Position};

/// Why a file's bytes were not (fully) usable as Python source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeIssue {
    pub kind: DiagnosticKind,
    pub message: String,
    pub line: Option<usize>,
}

/// Decoded source text plus its line starts.
#[derive(Debug)]
pub struct SourceText {
    pub text: String,
    line_starts: Vec<usize>,
}

/// A file with more NUL bytes than this share of its length is treated as binary.
const BINARY_NUL_PER_MILLE: usize = 10;

/// Decodes a file's bytes. Returns `Err` when the file must not be analysed at all (binary),
/// `Ok` with an optional issue when it was analysed in a repaired form.
pub fn decode(bytes: &[u8]) -> Result<(SourceText, Option<DecodeIssue>), DecodeIssue> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let nuls = check_not_binary(bytes)?;
    let mut issue = None;
    let mut text = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            issue = Some(DecodeIssue {
                kind: DiagnosticKind::Encoding,
                message: "not valid UTF-8; analysed with invalid bytes replaced by U+FFFD".into(),
                line: Some(line),
            });
            String::from_utf8_lossy(bytes).into_owned()
        }
    };
    if nuls > 0 {
        let line = text[..text.find('\0').unwrap_or(0)]
            .bytes()
            .filter(|&b| b == b'\n')
            .count()
            + 1;
        // Python itself rejects NUL in source; the rest of the file is still worth reading.
        text = text.replace('\0', " ");
        issue = Some(DecodeIssue {
            kind: DiagnosticKind::Syntax,
            message: format!(
                "contains {nuls} NUL byte(s), which Python rejects; analysed with them blanked"
            ),
            line: Some(line),
        });
    }
    // Python reads a lone CR as a line end, tree-sitter does not: make it `\n`. Same length,
    // so byte offsets and the line index are unchanged.
    if text.contains('\r') {
        let mut bytes = text.into_bytes();
        for i in 0..bytes.len() {
            if bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n') {
                bytes[i] = b'\n';
            }
        }
        text = String::from_utf8(bytes).unwrap_or_default();
    }
    Ok((SourceText::new(text), issue))
}

/// How much of a file's start is sampled for [`looks_binary`].
const BINARY_SAMPLE_BYTES: usize = 64 * 1024;

/// Share (per mille) of control characters and invalid UTF-8 from which a file is binary.
/// Compressed or compiled data has about half; Latin-1 or stray-byte text a few per cent.
const BINARY_JUNK_PER_MILLE: usize = 300;

/// Whether the sampled start of `bytes` is mostly not text: returns the junk share then.
/// A file of random bytes has too few NULs for the NUL test, but would otherwise be parsed
/// as pages of syntax errors.
/// The binary check alone, without decoding: what a file that no rule can match still needs
/// (it is reported when binary, and otherwise left alone). Returns the NUL count.
pub fn check_not_binary(bytes: &[u8]) -> Result<usize, DecodeIssue> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // A vectorised search: most files have no NUL and need no count.
    let nuls = if memchr::memchr(0, bytes).is_some() {
        memchr_count(0, bytes)
    } else {
        0
    };
    if nuls > 0 && (nuls * 1000 / bytes.len().max(1) >= BINARY_NUL_PER_MILLE || nuls > 4096) {
        return Err(DecodeIssue {
            kind: DiagnosticKind::Binary,
            message: format!("looks binary ({nuls} NUL bytes); not analysed"),
            line: None,
        });
    }
    if let Some(per_mille) = looks_binary(bytes) {
        return Err(DecodeIssue {
            kind: DiagnosticKind::Binary,
            message: format!(
                "looks binary ({}.{}% of its first bytes are control characters or invalid \
                 UTF-8); not analysed",
                per_mille / 10,
                per_mille % 10
            ),
            line: None,
        });
    }
    Ok(nuls)
}

fn looks_binary(bytes: &[u8]) -> Option<usize> {
    let sample = &bytes[..bytes.len().min(BINARY_SAMPLE_BYTES)];
    if sample.is_empty() {
        return None;
    }
    let is_junk = |b: u8| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)) || b == 0x7f;
    // Common case first: plain ASCII text has no junk to count. Every file is checked, so
    // the test runs over whole blocks without an early exit per byte, which vectorises.
    let plain = |block: &[u8]| {
        !block
            .iter()
            .fold(false, |bad, &b| bad | (b >= 0x80 || is_junk(b)))
    };
    if sample.chunks(256).all(plain) {
        return None;
    }
    let mut junk = 0usize;
    for chunk in sample.utf8_chunks() {
        junk += chunk.valid().bytes().filter(|&b| is_junk(b)).count();
        junk += chunk.invalid().len();
    }
    let per_mille = junk * 1000 / sample.len();
    (per_mille >= BINARY_JUNK_PER_MILLE).then_some(per_mille)
}

fn memchr_count(needle: u8, haystack: &[u8]) -> usize {
    haystack.iter().filter(|&&b| b == needle).count()
}

impl SourceText {
    /// Indexes the line starts of `text`. `\n`, `\r\n` and a lone `\r` all end a line, as
    /// in Python.
    pub fn new(text: String) -> SourceText {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => line_starts.push(i + 1),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => line_starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        SourceText { text, line_starts }
    }

    /// 1-based line and byte column of a byte offset.
    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let idx = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        Position {
            line: idx + 1,
            byte_col: offset - self.line_starts[idx],
        }
    }

    /// The text of a 1-based line without its line ending.
    pub fn line(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line.wrapping_sub(1)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    /// Number of lines.
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_endings() {
        let s = SourceText::new("a\r\nb\rc\nd".into());
        assert_eq!(s.line(1), "a");
        assert_eq!(s.line(2), "b");
        assert_eq!(s.line(3), "c");
        assert_eq!(s.line(4), "d");
        assert_eq!(s.position(5).line, 3);
    }

    #[test]
    fn bom_and_invalid_utf8() {
        let (s, issue) = decode(b"\xEF\xBB\xBFx = 1\n").unwrap();
        assert_eq!(s.text, "x = 1\n");
        assert!(issue.is_none());
        let (_, issue) = decode(b"x = '\xE9'\n").unwrap();
        assert_eq!(issue.unwrap().kind, DiagnosticKind::Encoding);
        assert!(decode(&[0u8; 100]).is_err());
        // Mostly invalid UTF-8: binary, though there is no NUL.
        assert!(decode(&[0xffu8; 100]).is_err());
        let (_, issue) = decode("x = 'caf\u{e9}'\n".repeat(50).as_bytes()).unwrap();
        assert!(issue.is_none());
    }
}
