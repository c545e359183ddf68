//! The modules a file imports, read from its text without parsing it.
//!
//! Used only to order the analysis (callee modules before their importers), so a spurious
//! edge costs a little ordering freedom and nothing else (the scan's probe reads the text
//! with comments and docstrings blanked, so an import statement quoted there is none); a missed edge (an import built at run time) means that module's summaries
//! are not available to the importer, as if it were third-party code.

/// One import statement: `from ..pkg.mod import a, b` is `dots = 2`, `module = "pkg.mod"`,
/// `names = ["a", "b"]`; `import pkg.mod as m` is `dots = 0`, `module = "pkg.mod"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRef {
    pub dots: usize,
    pub module: String,
    pub names: Vec<String>,
}

/// Import statements of one file beyond this many are not read (generated code).
const MAX_IMPORTS: usize = 4096;
/// Longest logical line (a parenthesised name list) read as one import.
const MAX_LOGICAL_LINE: usize = 16 * 1024;

/// The imports of `text`, in source order.
pub fn scan(text: &[u8]) -> Vec<ImportRef> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < text.len() && out.len() < MAX_IMPORTS {
        let end = find_byte(b'\n', &text[pos..]).map_or(text.len(), |i| pos + i);
        let line = trim_start(&text[pos..end]);
        if line.starts_with(b"import ") || line.starts_with(b"from ") {
            // Join a parenthesised or backslash-continued statement into one line.
            let mut stmt: Vec<u8> = Vec::new();
            let mut cur = pos;
            let mut open = false;
            loop {
                let e = find_byte(b'\n', &text[cur..]).map_or(text.len(), |i| cur + i);
                let mut piece = &text[cur..e];
                if let Some(h) = find_byte(b'#', piece) {
                    piece = &piece[..h];
                }
                open |= piece.contains(&b'(');
                let closes = piece.contains(&b')');
                let cont = piece.trim_ascii_end().ends_with(b"\\");
                stmt.extend_from_slice(piece);
                stmt.push(b' ');
                cur = (e + 1).min(text.len());
                if (!open || closes) && !cont || cur >= text.len() || stmt.len() > MAX_LOGICAL_LINE
                {
                    break;
                }
            }
            parse_statement(&stmt, &mut out);
            pos = cur.max(end + 1);
        } else {
            pos = end + 1;
        }
    }
    out
}

fn find_byte(b: u8, s: &[u8]) -> Option<usize> {
    s.iter().position(|&x| x == b)
}

fn trim_start(s: &[u8]) -> &[u8] {
    let i = s
        .iter()
        .position(|b| !b" \t".contains(b))
        .unwrap_or(s.len());
    &s[i..]
}

fn parse_statement(stmt: &[u8], out: &mut Vec<ImportRef>) {
    let text = String::from_utf8_lossy(stmt);
    let cleaned: String = text
        .chars()
        .map(|c| {
            if matches!(c, '(' | ')' | '\\' | ';') {
                ' '
            } else {
                c
            }
        })
        .collect();
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    match words.first() {
        Some(&"import") => {
            for part in words[1..].join(" ").split(',') {
                let name = part.split_whitespace().next().unwrap_or("");
                if is_dotted(name) {
                    out.push(ImportRef {
                        dots: 0,
                        module: name.to_string(),
                        names: Vec::new(),
                    });
                }
            }
        }
        Some(&"from") => {
            let Some(spec) = words.get(1) else {
                return;
            };
            if words.get(2) != Some(&"import") {
                // `from . import x` is split by the tokenizer above only when spaced.
                if !(spec.chars().all(|c| c == '.') && words.get(2) == Some(&"import")) {
                    return;
                }
            }
            let dots = spec.chars().take_while(|&c| c == '.').count();
            let module = &spec[dots..];
            if !module.is_empty() && !is_dotted(module) {
                return;
            }
            let names = words[3..]
                .join(" ")
                .split(',')
                .filter_map(|p| p.split_whitespace().next())
                .filter(|n| *n == "*" || is_dotted(n))
                .map(str::to_string)
                .collect();
            out.push(ImportRef {
                dots,
                module: module.to_string(),
                names,
            });
        }
        _ => {}
    }
}

fn is_dotted(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|seg| {
            !seg.is_empty()
                && seg.chars().all(|c| c == '_' || c.is_alphanumeric())
                && !seg.starts_with(|c: char| c.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_from_relative_and_parenthesised_imports() {
        let src = b"import os, app.db as d\nfrom . import views\nfrom ..models import (\n    Order,  # x\n    Item,\n)\n    from x.y import *\n";
        let got = scan(src);
        assert_eq!(got.len(), 5);
        assert_eq!(got[1].module, "app.db");
        assert_eq!((got[2].dots, got[2].module.as_str()), (1, ""));
        assert_eq!(got[2].names, vec!["views"]);
        assert_eq!(got[3].names, vec!["Order", "Item"]);
        assert_eq!((got[3].dots, got[3].module.as_str()), (2, "models"));
        assert_eq!(got[4].names, vec!["*"]);
    }
}
