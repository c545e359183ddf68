//! The prose of a file: its comments and its string statements (docstrings and other bare
//! strings that are a statement on their own), found by a lexical pass over the bytes
//! without parsing.
//!
//! No analysis reads a name from them: the semantic layer resolves names of code, a string
//! statement is a value nobody uses (pattern conditions that read a file's literals skip it,
//! see `literals::file_strings`), and comments are read only for suppression directives,
//! which are looked for in the whole text (see `suppress::mentions_directive`). So the
//! prefilter may ignore words found there. Strings inside expressions are code for this
//! purpose (`include("app.urls")`, `app.config["SECRET_KEY"]`, string annotations), and so
//! is every f-string or t-string, even as a statement, since its replacement fields run.
//!
//! The pass must never call code prose: a span it returns is a comment or the whole
//! string (or implicit concatenation) of an expression statement, as the parser sees it.
//! Where it cannot be sure of the tokens that follow (an unterminated string, a bracket
//! closed that was never opened, a lone carriage return, a NUL or other control byte, a
//! backslash not ending a line, an unknown string prefix, anything inside an f-string's
//! replacement field whose meaning changed with Python 3.12), it stops and everything from
//! there on counts as code: fewer spans only make the prefilter keep more.

use std::ops::Range;

/// Nesting of f-strings inside replacement fields followed before giving up.
const MAX_NESTING: usize = 8;

/// The byte ranges of `bytes` that are comments or string statements, in order.
pub fn spans(bytes: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut pos = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut depth = 0usize;
    // At the start of a logical line, outside brackets: a string here may be a statement.
    let mut line_start = true;
    while let Some(&b) = bytes.get(pos) {
        match b {
            b'\n' => {
                line_start |= depth == 0;
                pos += 1;
            }
            b'\r' => {
                if bytes.get(pos + 1) != Some(&b'\n') {
                    return out;
                }
                pos += 1;
            }
            b' ' | b'\t' | b'\x0c' => pos += 1,
            b'#' => {
                let end =
                    memchr::memchr2(b'\n', b'\r', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
                out.push(pos..end);
                pos = end;
            }
            b'\\' => match line_end(bytes, pos + 1) {
                Some(next) => {
                    line_start = false;
                    pos = next;
                }
                None => return out,
            },
            b'(' | b'[' | b'{' => {
                depth += 1;
                line_start = false;
                pos += 1;
            }
            b')' | b']' | b'}' => {
                let Some(d) = depth.checked_sub(1) else {
                    return out;
                };
                depth = d;
                line_start = false;
                pos += 1;
            }
            b'\'' | b'"' => {
                let Some(next) = statement_or_string(bytes, pos, pos, line_start, &mut out) else {
                    return out;
                };
                line_start = false;
                pos = next;
            }
            _ if is_ident(b) => {
                let end = ident_end(bytes, pos);
                if matches!(bytes.get(end), Some(b'\'' | b'"')) {
                    let Some(next) = statement_or_string(bytes, pos, end, line_start, &mut out)
                    else {
                        return out;
                    };
                    pos = next;
                } else {
                    pos = end;
                }
                line_start = false;
            }
            _ if b < 0x20 || b == 0x7f => return out,
            _ => {
                line_start = false;
                pos += 1;
            }
        }
    }
    out
}

/// `bytes` with every byte of [`spans`] but line ends replaced by a space: the same
/// offsets and lines, and no word of the prose left.
pub fn code_only(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for span in spans(bytes) {
        for b in &mut out[span] {
            if *b != b'\n' && *b != b'\r' {
                *b = b' ';
            }
        }
    }
    out
}

/// Lexes the string (prefix at `start`, quote at `quote`) and, when it starts a logical
/// line, the strings implicitly concatenated with it; records them as one span when they
/// are the whole statement and none is an f-string. The position after the last string,
/// or `None` when the tokens cannot be trusted.
fn statement_or_string(
    bytes: &[u8],
    start: usize,
    quote: usize,
    line_start: bool,
    out: &mut Vec<Range<usize>>,
) -> Option<usize> {
    let (mut end, mut formatted) = string(bytes, start, quote, 0, 0)?;
    if !line_start {
        return Some(end);
    }
    loop {
        let mut p = end;
        // Spaces, and backslash continuations (which keep the statement going).
        loop {
            match bytes.get(p) {
                Some(b' ' | b'\t' | b'\x0c') => p += 1,
                Some(b'\\') => p = line_end(bytes, p + 1)?,
                _ => break,
            }
        }
        let next_quote = match bytes.get(p) {
            Some(b'\'' | b'"') => Some(p),
            Some(&b) if is_ident(b) => {
                let e = ident_end(bytes, p);
                matches!(bytes.get(e), Some(b'\'' | b'"')).then_some(e)
            }
            _ => None,
        };
        match next_quote {
            Some(q) => {
                let (e, f) = string(bytes, p, q, 0, 0)?;
                end = e;
                formatted |= f;
            }
            None => {
                let whole = match bytes.get(p) {
                    None | Some(b'\n' | b'#' | b';') => true,
                    Some(b'\r') => bytes.get(p + 1) == Some(&b'\n'),
                    _ => false,
                };
                if whole && !formatted {
                    out.push(start..end);
                }
                return Some(end);
            }
        }
    }
}

/// The bit of a quote character in a set of them.
fn quote_bit(q: u8) -> u8 {
    if q == b'"' { 2 } else { 1 }
}

/// Lexes one string literal whose prefix starts at `start` and whose opening quote is at
/// `quote`: the position after its closing quote and whether it is an f- or t-string.
/// `forbid` holds the quotes of the f-strings whose replacement field this string is in:
/// before Python 3.12 one of them would end the enclosing string, since then it is nested.
fn string(
    bytes: &[u8],
    start: usize,
    quote: usize,
    forbid: u8,
    nesting: usize,
) -> Option<(usize, bool)> {
    let prefix = prefix(&bytes[start..quote])?;
    let q = bytes[quote];
    if forbid & quote_bit(q) != 0 || nesting > MAX_NESTING {
        return None;
    }
    let triple = bytes.get(quote + 1) == Some(&q) && bytes.get(quote + 2) == Some(&q);
    let mut pos = quote + if triple { 3 } else { 1 };
    loop {
        // Only quotes, backslashes, line ends, NUL and (in f-strings) braces matter.
        let rest = &bytes[pos..];
        let skip = rest
            .iter()
            .position(|&b| {
                matches!(b, b'\'' | b'"' | b'\\' | b'\n' | b'\r' | 0)
                    || prefix.formatted && (b == b'{' || b == b'}')
            })
            .unwrap_or(rest.len());
        pos += skip;
        let b = *bytes.get(pos)?;
        match b {
            b'\\' => {
                let next = *bytes.get(pos + 1)?;
                pos += match next {
                    // A brace after a backslash still opens or closes a field.
                    b'{' | b'}' if prefix.formatted => 1,
                    b'N' if prefix.formatted
                        && !prefix.raw
                        && bytes.get(pos + 2) == Some(&b'{') =>
                    {
                        // `\N{NAME}` names a character; its braces are no field.
                        let close = memchr::memchr(b'}', &bytes[pos + 3..])?;
                        let name = &bytes[pos + 3..pos + 3 + close];
                        if !name
                            .iter()
                            .all(|&c| c.is_ascii_alphanumeric() || b" -".contains(&c))
                        {
                            return None;
                        }
                        close + 4
                    }
                    b'\r' if bytes.get(pos + 2) == Some(&b'\n') => 3,
                    b'\r' | 0 => return None,
                    c if forbid & quote_bit(c) != 0 && (c == b'\'' || c == b'"') => return None,
                    _ => 2,
                };
            }
            b'\n' | b'\r' if !triple => return None,
            b'\r' if bytes.get(pos + 1) != Some(&b'\n') => return None,
            b'\n' | b'\r' => pos += 1,
            0 => return None,
            b'{' if bytes.get(pos + 1) == Some(&b'{') => pos += 2,
            b'{' => pos = field(bytes, pos + 1, forbid | quote_bit(q), triple, nesting)?,
            b'}' if bytes.get(pos + 1) == Some(&b'}') => pos += 2,
            b'}' => return None,
            _ if b != q => {
                if forbid & quote_bit(b) != 0 {
                    return None;
                }
                pos += 1;
            }
            _ if triple => {
                if bytes.get(pos + 1) == Some(&q) && bytes.get(pos + 2) == Some(&q) {
                    return Some((pos + 3, prefix.formatted));
                }
                pos += 1;
            }
            _ => return Some((pos + 1, prefix.formatted)),
        }
    }
}

/// What a string prefix says about the literal.
struct Prefix {
    raw: bool,
    /// An f-string or t-string: braces delimit code.
    formatted: bool,
}

/// The meaning of a string prefix (`rb`, `F`, ...), `None` for one Python 3 does not know.
fn prefix(p: &[u8]) -> Option<Prefix> {
    if p.len() > 2 {
        return None;
    }
    let lower: Vec<u8> = p.iter().map(u8::to_ascii_lowercase).collect();
    let known: &[&[u8]] = &[
        b"", b"r", b"u", b"b", b"f", b"t", b"br", b"rb", b"fr", b"rf", b"tr", b"rt",
    ];
    known.contains(&lower.as_slice()).then(|| Prefix {
        raw: lower.contains(&b'r'),
        formatted: lower.contains(&b'f') || lower.contains(&b't'),
    })
}

/// Lexes an f-string replacement field from just after its `{`: the position after its
/// closing `}`. Gives up on whatever Python before 3.12 and after would read differently:
/// a quote of an enclosing string (`forbid`), a comment, a backslash, a line end in a
/// one-line string (`triple` is false).
fn field(bytes: &[u8], mut pos: usize, forbid: u8, triple: bool, nesting: usize) -> Option<usize> {
    let mut depth = 0usize;
    loop {
        let b = *bytes.get(pos)?;
        match b {
            b'\'' | b'"' => pos = string(bytes, pos, pos, forbid, nesting + 1)?.0,
            _ if is_ident(b) => {
                let end = ident_end(bytes, pos);
                pos = if matches!(bytes.get(end), Some(b'\'' | b'"')) {
                    string(bytes, pos, end, forbid, nesting + 1)?.0
                } else {
                    end
                };
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                pos += 1;
            }
            b')' | b']' => {
                depth = depth.checked_sub(1)?;
                pos += 1;
            }
            b'}' if depth == 0 => return Some(pos + 1),
            b'}' => {
                depth -= 1;
                pos += 1;
            }
            b':' if depth == 0 => return spec(bytes, pos + 1, forbid, triple, nesting),
            b'#' | b'\\' | b'\r' | 0 => return None,
            b'\n' if !triple => return None,
            _ => pos += 1,
        }
    }
}

/// Lexes a format spec from just after the field's `:`: the position after the field's
/// closing `}`.
fn spec(bytes: &[u8], mut pos: usize, forbid: u8, triple: bool, nesting: usize) -> Option<usize> {
    loop {
        let b = *bytes.get(pos)?;
        match b {
            b'}' => return Some(pos + 1),
            b'{' if bytes.get(pos + 1) == Some(&b'{') => return None,
            b'{' => pos = field(bytes, pos + 1, forbid, triple, nesting + 1)?,
            b'\\' | 0 | b'\r' => return None,
            b'\n' if !triple => return None,
            b'\'' | b'"' if forbid & quote_bit(b) != 0 => return None,
            _ => pos += 1,
        }
    }
}

/// The position after a line end at `pos` (for a backslash continuation), `None` if there
/// is none there.
fn line_end(bytes: &[u8], pos: usize) -> Option<usize> {
    match bytes.get(pos)? {
        b'\n' => Some(pos + 1),
        b'\r' if bytes.get(pos + 1) == Some(&b'\n') => Some(pos + 2),
        _ => None,
    }
}

/// Bytes that can be part of an identifier or number (any non-ASCII byte may be).
fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

fn ident_end(bytes: &[u8], pos: usize) -> usize {
    bytes[pos..]
        .iter()
        .position(|&b| !is_ident(b))
        .map_or(bytes.len(), |i| pos + i)
}

#[cfg(test)]
mod tests;
