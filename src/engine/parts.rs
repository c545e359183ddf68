//! Huge modules are parsed and analysed in parts, so that only one part's syntax tree (about
//! 40 to 50 bytes per source byte) and semantic model are alive at a time.
//!
//! A cheap scan of the text finds where top-level statements begin, knowing strings (triple
//! quoted, prefixed, f-strings with nested replacement fields), comments, brackets, backslash
//! continuations, decorators and the clauses that continue a compound statement (`else:`,
//! `except:`...). Parts are cut only at such beginnings: where the scan cannot tell (an
//! unclosed bracket or string), the part just grows. Each part is parsed with
//! `Parser::set_included_ranges`, so its tree keeps the file's byte offsets, and with the
//! module's top-level import statements from outside the part included, so that `import os`
//! at the top still resolves `os.system` at the bottom.

use std::ops::Range;

/// Files larger than this many bytes are analysed in parts of at most this size (a part
/// grows beyond it only where no top-level statement begins). Hand-written modules are far
/// smaller (the largest in the benchmark corpora is under 1 MiB); at about 50 bytes of
/// syntax tree per source byte, a part's tree stays near 200 MiB.
pub const PART_BYTES: usize = 4 * 1024 * 1024;

/// The environment variable that sets the part size instead of [`PART_BYTES`], so that the
/// tests can exercise splitting on small files. Not a user setting.
pub const PART_BYTES_VAR: &str = "PYAUDIT_PART_BYTES";

/// Top-level import statements of other parts are included in each part up to this many
/// bytes in all (the first ones in the file); beyond it a file of imports alone would
/// make every part as large as the whole file.
pub const MAX_CARRIED_IMPORT_BYTES: usize = 256 * 1024;

/// The part size in effect: [`PART_BYTES_VAR`] when set to a positive number, else
/// [`PART_BYTES`].
pub fn part_bytes() -> usize {
    std::env::var(PART_BYTES_VAR)
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(PART_BYTES)
}

/// How a file is cut into parts.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Layout {
    /// The parts' byte ranges, in order, covering the whole text.
    pub parts: Vec<Range<usize>>,
    /// Top-level import statements (whole logical lines) carried into other parts.
    pub imports: Vec<Range<usize>>,
    /// Top-level import statements not carried, over [`MAX_CARRIED_IMPORT_BYTES`].
    pub imports_left: usize,
}

impl Layout {
    /// The byte ranges to parse for part `i`: the part and the carried imports outside it,
    /// in order, touching ranges joined.
    pub fn ranges(&self, i: usize) -> Vec<Range<usize>> {
        let part = self.parts[i].clone();
        let mut out: Vec<Range<usize>> = Vec::new();
        let outside = self
            .imports
            .iter()
            .filter(|r| r.end <= part.start || r.start >= part.end)
            .cloned();
        let mut placed = false;
        for r in outside {
            if !placed && r.start >= part.end {
                push_joined(&mut out, part.clone());
                placed = true;
            }
            push_joined(&mut out, r);
        }
        if !placed {
            push_joined(&mut out, part);
        }
        out
    }
}

fn push_joined(out: &mut Vec<Range<usize>>, r: Range<usize>) {
    match out.last_mut() {
        Some(last) if last.end == r.start => last.end = r.end,
        _ => out.push(r),
    }
}

/// Where a scan of the text is.
#[derive(Debug, Clone, Copy)]
enum Ctx {
    /// Code, with its open brackets; `field` inside an f-string's replacement field.
    Code { depth: usize, field: bool },
    /// A string literal opened by `quote` (three of them when `triple`).
    Str { quote: u8, triple: bool, f: bool },
    /// The format spec of a replacement field (`{x:>{width}}`): literal text up to `}`.
    Spec,
}

/// Cuts `text` into parts of about `part_bytes` at the beginnings of top-level statements;
/// a text no larger than `part_bytes` is one part.
pub fn layout(text: &str, part_bytes: usize) -> Layout {
    let b = text.as_bytes();
    let mut layout = Layout::default();
    if b.len() <= part_bytes {
        layout.parts.push(0..b.len());
        return layout;
    }
    let mut cuts = Cuts {
        part_bytes,
        start: 0,
        last: 0,
        parts: Vec::new(),
    };
    let mut carried = 0usize;
    let mut stack = vec![Ctx::Code {
        depth: 0,
        field: false,
    }];
    // At the start of a logical line of top-level code.
    let mut line_start = true;
    let mut after_decorator = false;
    let mut import_start: Option<usize> = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if line_start {
            line_start = false;
            if !matches!(c, b' ' | b'\t' | b'\x0c' | b'\r' | b'\n' | b'#') {
                let word = leading_word(&b[i..]);
                if !after_decorator && !matches!(word, "else" | "elif" | "except" | "finally") {
                    cuts.boundary(i);
                }
                after_decorator = c == b'@';
                if matches!(word, "import" | "from") {
                    import_start = Some(i);
                }
            }
        }
        let top = stack.len() - 1;
        match stack[top] {
            Ctx::Code { depth, field } => match c {
                b'#' => {
                    i = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |n| i + n);
                    continue;
                }
                b'\'' | b'"' => {
                    let triple = b.get(i + 1) == Some(&c) && b.get(i + 2) == Some(&c);
                    stack.push(Ctx::Str {
                        quote: c,
                        triple,
                        f: is_f_prefix(&b[..i]),
                    });
                    i += if triple { 3 } else { 1 };
                    continue;
                }
                b'(' | b'[' | b'{' => {
                    stack[top] = Ctx::Code {
                        depth: depth + 1,
                        field,
                    }
                }
                b')' | b']' => {
                    stack[top] = Ctx::Code {
                        depth: depth.saturating_sub(1),
                        field,
                    }
                }
                b'}' if field && depth == 0 => {
                    stack.pop();
                }
                b'}' => {
                    stack[top] = Ctx::Code {
                        depth: depth.saturating_sub(1),
                        field,
                    }
                }
                b':' if field && depth == 0 && b.get(i + 1) != Some(&b'=') => {
                    stack.push(Ctx::Spec);
                }
                b'\\' if line_break_at(b, i + 1) > 0 => {
                    i += 1 + line_break_at(b, i + 1);
                    continue;
                }
                b'\n' if stack.len() == 1 && depth == 0 => {
                    line_start = true;
                    if let Some(s) = import_start.take() {
                        if carried + (i + 1 - s) <= MAX_CARRIED_IMPORT_BYTES {
                            carried += i + 1 - s;
                            layout.imports.push(s..i + 1);
                        } else {
                            layout.imports_left += 1;
                        }
                    }
                }
                _ => {}
            },
            Ctx::Str { quote, triple, f } => match c {
                b'\\' => {
                    i += 1 + line_break_at(b, i + 1).max(1);
                    continue;
                }
                b'\n' if !triple => {
                    // An unterminated one-line string ends at the line, as Python's
                    // tokenizer ends it (with an error).
                    stack.pop();
                    continue;
                }
                b'{' | b'}' if f && b.get(i + 1) == Some(&c) => {
                    i += 2;
                    continue;
                }
                b'{' if f => stack.push(Ctx::Code {
                    depth: 0,
                    field: true,
                }),
                _ if c == quote => {
                    if !triple {
                        stack.pop();
                    } else if b.get(i + 1) == Some(&quote) && b.get(i + 2) == Some(&quote) {
                        stack.pop();
                        i += 3;
                        continue;
                    }
                }
                _ => {}
            },
            Ctx::Spec => match c {
                b'{' => stack.push(Ctx::Code {
                    depth: 0,
                    field: true,
                }),
                b'}' => {
                    // The spec and the replacement field it belongs to end together.
                    stack.pop();
                    stack.pop();
                }
                _ => {}
            },
        }
        i += 1;
    }
    if let Some(s) = import_start
        && carried + (b.len() - s) <= MAX_CARRIED_IMPORT_BYTES
    {
        layout.imports.push(s..b.len());
    }
    cuts.finish(b.len());
    layout.parts = cuts.parts;
    layout
}

/// Greedy cutting: each part ends at the last statement beginning that keeps it within the
/// size, or at the first one after it when there is none.
struct Cuts {
    part_bytes: usize,
    start: usize,
    /// The latest statement beginning seen.
    last: usize,
    parts: Vec<Range<usize>>,
}

impl Cuts {
    fn boundary(&mut self, at: usize) {
        if at - self.start > self.part_bytes {
            if self.last > self.start {
                self.cut(self.last);
            }
            if at - self.start > self.part_bytes {
                self.cut(at);
            }
        }
        self.last = at;
    }

    fn cut(&mut self, at: usize) {
        self.parts.push(self.start..at);
        self.start = at;
    }

    fn finish(&mut self, len: usize) {
        if len - self.start > self.part_bytes && self.last > self.start {
            self.cut(self.last);
        }
        self.parts.push(self.start..len);
    }
}

/// The length of the line break at `i` (`\n` or `\r\n`), 0 when there is none.
fn line_break_at(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(b'\n') => 1,
        Some(b'\r') if b.get(i + 1) == Some(&b'\n') => 2,
        _ => 0,
    }
}

/// The identifier-like word a line starts with.
fn leading_word(b: &[u8]) -> &str {
    let n = b
        .iter()
        .take(16)
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
        .count();
    std::str::from_utf8(&b[..n]).unwrap_or("")
}

/// Whether the letters right before a quote make it an f-string (or a template string):
/// a prefix of up to two letters from `rbuft`, not the end of a longer name.
fn is_f_prefix(before: &[u8]) -> bool {
    let n = before
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_' || **c >= 0x80)
        .count();
    if n == 0 || n > 2 {
        return false;
    }
    let word = &before[before.len() - n..];
    word.iter()
        .all(|c| matches!(c.to_ascii_lowercase(), b'r' | b'b' | b'u' | b'f' | b't'))
        && word
            .iter()
            .any(|c| matches!(c.to_ascii_lowercase(), b'f' | b't'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cuts(text: &str, size: usize) -> Vec<&str> {
        layout(text, size)
            .parts
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn small_texts_are_one_part() {
        assert_eq!(cuts("x = 1\ny = 2\n", 100), ["x = 1\ny = 2\n"]);
    }

    #[test]
    fn cuts_at_top_level_statements() {
        let text = "a = 1\nb = 2\nc = 3\nd = 4\n";
        assert_eq!(cuts(text, 12), ["a = 1\nb = 2\n", "c = 3\nd = 4\n"]);
        assert_eq!(cuts(text, 1), ["a = 1\n", "b = 2\n", "c = 3\n", "d = 4\n"]);
    }

    #[test]
    fn never_cuts_inside_what_only_looks_like_a_statement() {
        let whole = [
            // Triple-quoted strings, prefixed, with an escaped quote inside.
            "x = '''\ndef f():\n    pass\n'''\n",
            "x = rb\"\"\"\nimport os\n\\\"\"\"\ny = 1\n\"\"\"\n",
            // f-strings whose replacement field spans lines or holds a triple-quoted string.
            "x = f'''{'''\nz = 1\n'''}'''\n",
            "x = f\"{\n'a'\n}\"\n",
            // Brackets, continuations, decorators, clauses of a compound statement.
            "x = [\n1,\ny]\n",
            "x = 1 + \\\ny\n",
            "@decorator\n# a comment\ndef f():\n    pass\n",
            "if a:\n    pass\nelse:\n    pass\n",
            "try:\n    pass\nexcept E:\n    pass\nfinally:\n    pass\n",
        ];
        for text in whole {
            assert_eq!(cuts(text, 1), [text], "{text:?}");
        }
        // A quote in a comment opens no string.
        assert_eq!(
            cuts("x = 1  # it's\ny = '''\nz = 2\n'''\nw = 3\n", 1),
            ["x = 1  # it's\n", "y = '''\nz = 2\n'''\n", "w = 3\n"]
        );
        assert_eq!(
            cuts("@d\ndef f():\n    pass\n@d\nclass C:\n    pass\n", 1),
            ["@d\ndef f():\n    pass\n", "@d\nclass C:\n    pass\n"]
        );
        // An unclosed bracket makes one part of the rest, never a wrong cut.
        assert_eq!(
            cuts("a = 1\nb = (\nc = 2\n", 1),
            ["a = 1\n", "b = (\nc = 2\n"]
        );
    }

    #[test]
    fn f_string_braces_and_specs() {
        // `{{` is literal; a spec's `'` is literal; nested fields close with their spec.
        let text = "a = f'{{'\nb = f'{x:'>{w}}'\nc = f'{d[\"k\"]!r}'\nz = 1\n";
        assert_eq!(
            cuts(text, 1),
            [
                "a = f'{{'\n",
                "b = f'{x:'>{w}}'\n",
                "c = f'{d[\"k\"]!r}'\n",
                "z = 1\n"
            ]
        );
    }

    #[test]
    fn imports_are_carried_and_ranges_stay_ordered() {
        let text = "import os\nx = 1\nfrom a import (\n  b)\ny = 2\n";
        let l = layout(text, 1);
        let imports: Vec<&str> = l.imports.iter().map(|r| &text[r.clone()]).collect();
        assert_eq!(imports, ["import os\n", "from a import (\n  b)\n"]);
        // The part `x = 1` sits between the two imports, joined to both.
        assert_eq!(l.ranges(1), vec![(0..text.len() - 6)]);
        assert_eq!(l.ranges(3), [0..10, 16..text.len()]);
    }
}
