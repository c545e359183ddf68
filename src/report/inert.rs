//! Keeping text that pyaudit did not write itself (paths, code, messages and help from user
//! rule files, config values) inert wherever it is shown.
//!
//! Three consumers act on text they are given:
//! - **GitHub Actions** reads every stdout and stderr line of a step: a line starting with
//!   `::` after optional whitespace is a workflow command, and the legacy form `##[command]`
//!   is recognised anywhere in a line. [`guard`] and [`guard_json`] are the last pass over
//!   everything pyaudit prints, and [`path`] keeps a report line that starts with a path
//!   from starting a command in the first place.
//! - **Terminals** act on control characters ([`super::terminal::escape`]).
//! - **SARIF viewers** render `help.markdown` as Markdown and message text with embedded
//!   links. [`markdown`] turns a Markdown document from an untrusted rule file into one with
//!   no raw HTML, no images and no links but `https:` ones; [`sarif_message`] keeps message
//!   text from forming embedded links.

use super::terminal::escape;
use std::borrow::Cow;
use std::path::Path;

/// Whether `line` would be read as a workflow command: `::` after leading whitespace (the
/// runner trims with .NET's `TrimStart`, i.e. any Unicode whitespace). Colour codes are
/// skipped too, in case a consumer strips them before parsing.
fn command_at(line: &str) -> Option<usize> {
    let mut rest = line;
    loop {
        let trimmed = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        if let Some(after) = trimmed.strip_prefix("\x1b[") {
            // A CSI sequence: parameters, then one final byte in @..~.
            match after.find(|c: char| ('@'..='~').contains(&c)) {
                Some(end) => {
                    rest = &after[end + 1..];
                    continue;
                }
                None => return None,
            }
        }
        return trimmed
            .starts_with("::")
            .then(|| line.len() - trimmed.len());
    }
}

/// The legacy command prefix, recognised anywhere in a line.
const LEGACY: &str = "##[";

/// Neutralises one line of plain or terminal text: a leading `::` becomes `\x3a:` and every
/// `##[` becomes `##\x5b`, in the same visible-escape style as control characters.
fn guard_line(line: &str, out: &mut String) {
    let line_owned;
    let mut line = line;
    if let Some(at) = command_at(line) {
        line_owned = format!("{}\\x3a{}", &line[..at], &line[at + 1..]);
        line = &line_owned;
    }
    out.push_str(&line.replace(LEGACY, "##\\x5b"));
}

/// The last pass over text printed for people (the text report, warnings, errors, `explain`,
/// `--show-settings`): no line starts a workflow command or holds a legacy one.
pub fn guard(text: &str) -> Cow<'_, str> {
    if !text.contains("::") && !text.contains(LEGACY) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        guard_line(line, &mut out);
    }
    Cow::Owned(out)
}

/// [`guard`] for `--format github`: only lines pyaudit wrote as annotations may start with
/// `::`, and those are the only ones it emits; any other line is [`guard`]ed.
pub fn guard_github(text: &str) -> Cow<'_, str> {
    let ours = |l: &str| {
        ["::error ", "::warning ", "::notice "]
            .iter()
            .any(|c| l.starts_with(c))
    };
    if text.split('\n').all(|l| ours(l) || l.is_empty()) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        // The runner parses an annotation as a `::` command before it looks for `##[`, and
        // pyaudit's annotations always parse (their properties hold no `::`): `##[` inside
        // one, as in a file name, is inert and must stay as it is for `file=` to match.
        if ours(line) {
            out.push_str(line);
        } else {
            guard_line(line, &mut out);
        }
    }
    Cow::Owned(out)
}

/// [`guard`] for serialized JSON (the JSON and SARIF reports): `##[` can only occur inside a
/// string, where `##\u005b` is the same text. No line can start with `::`: strings keep
/// their line breaks escaped, so every line starts with indentation and JSON syntax.
pub fn guard_json(text: String) -> String {
    if text.contains(LEGACY) {
        text.replace(LEGACY, "##\\u005b")
    } else {
        text
    }
}

/// [`guard`] for XML (the JUnit report): `##[` becomes `##&#91;`, the same text to an XML
/// reader; a line that would start with `::` (text content with a line break) is
/// neutralised as in [`guard`].
pub fn guard_xml(text: String) -> String {
    let text = if text.contains(LEGACY) {
        text.replace(LEGACY, "##&#91;")
    } else {
        text
    };
    guard(&text).into_owned()
}

/// Untrusted text that may span lines (rule text, config values, error messages), for a
/// terminal or a CI log: control characters escaped in each line, then [`guard`]ed.
pub fn lines(text: &str) -> String {
    let escaped: Vec<String> = text.split('\n').map(escape).collect();
    guard(&escaped.join("\n")).into_owned()
}

/// An error message for stderr. Errors quote config values and rule text in backticks; a
/// line break inside such a quote belongs to the value and is escaped (`\x0a`) like any
/// control character, while the message's own lines stay lines. Then as [`lines`].
pub fn error_text(text: &str) -> String {
    let mut quoted = false;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '`' => quoted = !quoted,
            '\n' | '\r' if quoted => {
                out.push_str(if c == '\n' { "\\x0a" } else { "\\x0d" });
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    lines(&out)
}

/// A path as it starts a line of the text report or a warning: escaped as for a terminal,
/// and, when it is relative and does not start with a letter, digit, `_` or `.`, prefixed
/// with `./`, so a file named `::error ….py` or ` ::add-mask::….py` starts the line with
/// `./` instead of a workflow command.
pub fn path(p: &Path) -> String {
    let shown = escape(&p.to_string_lossy());
    let plain = shown
        .chars()
        .next()
        .is_none_or(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '\\'));
    if plain || p.is_absolute() {
        shown
    } else {
        format!("./{shown}")
    }
}

/// Message text for SARIF (`message.text`): control characters other than line breaks
/// escaped, and `[`/`]` backslash-escaped as SARIF §3.11.6 asks for literal brackets, so no
/// text from a rule file or the scanned code forms an embedded link.
pub fn sarif_message(text: &str) -> String {
    let escaped = plain(text);
    let mut out = String::with_capacity(escaped.len());
    for c in escaped.chars() {
        if matches!(c, '[' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Plain text for SARIF descriptions: control characters other than line breaks escaped.
pub fn plain(text: &str) -> String {
    text.split('\n').map(escape).collect::<Vec<_>>().join("\n")
}

/// The longest run of `c` in `s`.
fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for ch in s.chars() {
        run = if ch == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// A Markdown code span showing `code` literally: the fence is one backtick longer than the
/// longest run inside, and padded with a space on both sides (which Markdown strips) when
/// the code starts or ends with a backtick or space. Line breaks become spaces, as they
/// would inside a span anyway, so a span never ends a paragraph.
pub fn code_span(code: &str) -> String {
    let code = escape(&code.replace(['\r', '\n'], " "));
    let fence = "`".repeat(longest_run(&code, '`') + 1);
    let pad = code.starts_with(['`', ' ']) || code.ends_with(['`', ' ']);
    let sp = if pad { " " } else { "" };
    format!("{fence}{sp}{code}{sp}{fence}")
}

/// The fence for a fenced code block around `code`: backticks, at least three and longer
/// than any run of backticks in it, so no line of the code can close the block.
pub fn code_fence(code: &str) -> String {
    "`".repeat((longest_run(code, '`') + 1).max(3))
}

/// ASCII punctuation that Markdown could act on in running text; escaped with a backslash,
/// which renders as the character itself.
fn needs_escape(c: char) -> bool {
    matches!(
        c,
        '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '!' | '&' | '~' | '|' | '(' | ')'
    )
}

/// Escapes running text character by character.
fn escape_prose(text: &str, out: &mut String) {
    for c in text.chars() {
        if needs_escape(c) {
            out.push('\\');
        }
        out.push(c);
    }
}

/// Whether a word is something a Markdown renderer could turn into a link: a URL with a
/// scheme (`javascript:`, `http://`, `data:`), a `www.` host or an e-mail address.
fn is_linkish(word: &str) -> bool {
    let w = word.trim_start_matches(|c: char| !c.is_alphanumeric());
    let lower = w.to_ascii_lowercase();
    if lower.contains("://") || lower.starts_with("www.") || w.contains('@') {
        return true;
    }
    // `scheme:rest` with a scheme as RFC 3986 spells it.
    match w.split_once(':') {
        Some((scheme, rest)) => {
            !rest.is_empty()
                && scheme.len() > 1
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// A plain `https:` URL, safe to link to (and to show as an autolink, `<https://…>`).
pub fn is_https(url: &str) -> bool {
    url.len() > "https://".len()
        && url[..8].eq_ignore_ascii_case("https://")
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '`'))
}

/// One word of running text: an `https:` URL becomes an autolink (trailing punctuation kept
/// outside), any other link-like word a code span, anything else escaped text.
fn prose_word(word: &str, out: &mut String) {
    if !is_linkish(word) {
        escape_prose(word, out);
        return;
    }
    let lead = word.len() - word.trim_start_matches(['(', '"', '\'']).len();
    let body = &word[lead..];
    let url = body.trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '"', '\'']);
    if is_https(url) {
        escape_prose(&word[..lead], out);
        out.push('<');
        out.push_str(url);
        out.push('>');
        escape_prose(&body[url.len()..], out);
    } else {
        out.push_str(&code_span(word));
    }
}

/// Running text (no code spans): words as [`prose_word`], whitespace kept, and inline links
/// `[text](url)` kept only when the URL is `https:` (otherwise the text, then the URL as
/// code). `![…](…)` loses its `!`, so it is never an image.
fn prose(text: &str, out: &mut String) {
    let mut rest = text;
    while !rest.is_empty() {
        if let Some((label, url, len)) = inline_link(rest) {
            let mut shown = String::new();
            words(label, &mut shown);
            if is_https(url) {
                out.push('[');
                out.push_str(&shown);
                out.push_str("](");
                out.push_str(url);
                out.push(')');
            } else {
                out.push_str(&shown);
                out.push_str(" (");
                out.push_str(&code_span(url));
                out.push(')');
            }
            rest = &rest[len..];
            continue;
        }
        // Up to the next possible link start, word by word.
        let next = rest
            .char_indices()
            .skip(1)
            .find(|&(_, c)| c == '[')
            .map_or(rest.len(), |(i, _)| i);
        words(&rest[..next], out);
        rest = &rest[next..];
    }
}

/// Words and the whitespace between them.
fn words(text: &str, out: &mut String) {
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                prose_word(&text[s..i], out);
            }
            out.push(c);
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        prose_word(&text[s..], out);
    }
}

/// `[label](url)` at the start of `text`: the label, the URL (without `<>`) and the length
/// matched. Labels with brackets and links with titles are not recognised (they stay text).
fn inline_link(text: &str) -> Option<(&str, &str, usize)> {
    let body = text.strip_prefix('[')?;
    let close = body.find(']')?;
    let label = &body[..close];
    if label.contains('[') {
        return None;
    }
    let after = body[close + 1..].strip_prefix('(')?;
    let end = after.find(')')?;
    let url = after[..end].trim();
    let url = url
        .strip_prefix('<')
        .and_then(|u| u.strip_suffix('>'))
        .unwrap_or(url);
    if url.contains(char::is_whitespace) {
        return None;
    }
    Some((label, url, 1 + close + 1 + 1 + end + 1))
}

/// One line of running text outside code blocks: code spans (matched as Markdown matches
/// them: a run of backticks closed by a run of the same length) rebuilt with
/// [`code_span`], everything else through [`prose`].
fn inline(line: &str, out: &mut String) {
    let mut rest = line;
    let mut text_start = 0;
    let mut pending = String::new();
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'`' {
            i += 1;
            continue;
        }
        let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
        let open_end = i + run;
        // Find a closing run of exactly `run` backticks.
        let mut j = open_end;
        let mut close = None;
        while j < bytes.len() {
            if bytes[j] == b'`' {
                let r = bytes[j..].iter().take_while(|&&b| b == b'`').count();
                if r == run {
                    close = Some(j);
                    break;
                }
                j += r;
            } else {
                j += 1;
            }
        }
        match close {
            Some(c) => {
                pending.push_str(&line[text_start..i]);
                prose(&pending, out);
                pending.clear();
                let code = &line[open_end..c];
                // Markdown strips one space from each side when both are there.
                let code = if code.len() >= 2
                    && code.starts_with(' ')
                    && code.ends_with(' ')
                    && !code.trim().is_empty()
                {
                    &code[1..code.len() - 1]
                } else {
                    code
                };
                out.push_str(&code_span(code));
                i = c + run;
                text_start = i;
            }
            None => i = open_end,
        }
    }
    rest = &rest[text_start..];
    pending.push_str(rest);
    prose(&pending, out);
}

/// A fence line (```` ``` ```` or `~~~`, indented at most three spaces): its indentation,
/// character and length, and whether anything follows it.
fn fence_of(line: &str) -> Option<(usize, char, usize, bool)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let t = &line[indent..];
    let c = t.chars().next().filter(|c| matches!(c, '`' | '~'))?;
    let n = t.chars().take_while(|&x| x == c).count();
    (n >= 3).then(|| (indent, c, n, !t[n..].trim().is_empty()))
}

/// A Markdown document from an untrusted source (a user rule file, text from the scanned
/// code) made inert: fenced code blocks are kept (their content is never markup), and every
/// other line keeps its block structure (headings, lists) but has its inline markup made
/// literal as [`inline`] does: no raw HTML or entities, no images, links only to `https:`,
/// link-like words as code. Fences are tracked as Markdown tracks them, so text that closes
/// a block early is treated as running text here too.
pub fn markdown(doc: &str) -> String {
    let mut out = String::with_capacity(doc.len() + doc.len() / 8);
    let mut open: Option<(char, usize)> = None;
    for (i, raw) in doc.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let line = escape(raw.strip_suffix('\r').unwrap_or(raw));
        match (open, fence_of(&line)) {
            (Some((c, n)), Some((_, c2, n2, false))) if c == c2 && n2 >= n => {
                open = None;
                out.push_str(&line);
            }
            (Some(_), _) => out.push_str(&line),
            // Only a fence in the first column opens a block here: an indented one may sit
            // in a list item, whose end would close it where this pass cannot see. Indented
            // fences are escaped as running text instead. A backtick fence's info string
            // may not contain backticks.
            (None, Some((0, c, n, _))) if !(c == '`' && line[n..].contains('`')) => {
                open = Some((c, n));
                out.push_str(&line[..n]);
                escape_prose(line[n..].trim(), &mut out);
            }
            (None, _) => {
                // Four spaces of indentation start an indented code block after a blank
                // line; escapes there would show. Such lines are rare in rule text, and
                // escaping keeps them inert either way.
                let indent = line.len() - line.trim_start().len();
                out.push_str(&line[..indent]);
                inline(&line[indent..], &mut out);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_neutralises_commands() {
        assert_eq!(guard("::add-mask::x"), "\\x3a:add-mask::x");
        assert_eq!(guard("ok\n  ::error::x"), "ok\n  \\x3a:error::x");
        assert_eq!(guard("\u{3000}::x"), "\u{3000}\\x3a:x");
        assert_eq!(guard("\x1b[1m::x"), "\x1b[1m\\x3a:x");
        assert_eq!(guard("a ##[error]b"), "a ##\\x5berror]b");
        assert_eq!(guard("a::b"), "a::b");
        assert_eq!(
            guard_github("::error file=a::m\n::debug::x\n"),
            "::error file=a::m\n\\x3a:debug::x\n"
        );
        assert_eq!(guard_json("\"##[x\"".into()), "\"##\\u005bx\"");
        assert_eq!(
            guard_xml("<a>##[x\n::y</a>".into()),
            "<a>##&#91;x\n\\x3a:y</a>"
        );
        assert_eq!(
            error_text("bad `a\n::error::x`\nnext\n::y"),
            "bad `a\\x0a::error::x`\nnext\n\\x3a:y"
        );
    }

    #[test]
    fn paths_never_start_a_command() {
        assert_eq!(path(Path::new("::add-mask::x.py")), "./::add-mask::x.py");
        assert_eq!(path(Path::new("  ::x.py")), "./  ::x.py");
        assert_eq!(path(Path::new("src/a.py")), "src/a.py");
        assert_eq!(path(Path::new("./a.py")), "./a.py");
        assert_eq!(path(Path::new("/abs/::a.py")), "/abs/::a.py");
    }

    #[test]
    fn code_spans_are_backtick_safe() {
        assert_eq!(code_span("a"), "`a`");
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("`x"), "`` `x ``");
        assert_eq!(code_span("a\nb"), "`a b`");
        assert_eq!(code_fence("x\n```\n"), "````");
        assert_eq!(code_fence("x"), "```");
    }

    #[test]
    fn markdown_is_inert() {
        assert_eq!(markdown("<img src=x>"), "\\<img src=x\\>");
        assert_eq!(
            markdown("a <script>alert(1)</script>"),
            "a \\<script\\>alert\\(1\\)\\</script\\>"
        );
        assert_eq!(
            markdown("[x](javascript:alert(1))"),
            "x (`javascript:alert(1`)\\)"
        );
        assert_eq!(markdown("[x](http://e.com)"), "x (`http://e.com`)");
        assert_eq!(markdown("[x](https://e.com/a)"), "[x](https://e.com/a)");
        assert_eq!(
            markdown("![i](https://e.com/t.png)"),
            "\\![i](https://e.com/t.png)"
        );
        assert_eq!(markdown("see http://e.com."), "see `http://e.com.`");
        assert_eq!(markdown("see https://e.com."), "see <https://e.com>.");
        assert_eq!(markdown("mail a@b.c"), "mail `a@b.c`");
        assert_eq!(markdown("use `a`b` here"), "use `a`b\\` here");
        assert_eq!(markdown("use ``a`b`` here"), "use ``a`b`` here");
        assert_eq!(markdown("&lt;b&gt;"), "\\&lt;b\\&gt;");
        assert_eq!(markdown("[r]: javascript:x"), "\\[r\\]: `javascript:x`");
        // Headings and lists keep their structure; code blocks are left alone.
        assert_eq!(markdown("# T\n\n- `a`"), "# T\n\n- `a`");
        assert_eq!(
            markdown("```python\n<img src=x>\n```\n<b>"),
            "```python\n<img src=x>\n```\n\\<b\\>"
        );
        // A fence closed early by the content: what follows is running text again.
        assert_eq!(
            markdown("```\n```\n<img src=x>\n```"),
            "```\n```\n\\<img src=x\\>\n```"
        );
        assert_eq!(markdown("a\x1b[31m"), "a\\\\x1b\\[31m");
    }
}
