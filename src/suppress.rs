//! In-source suppressions: `# pyaudit: ignore[PYA101, pickle-deserialization]` or a bare
//! `# pyaudit: ignore`.
//!
//! A directive silences findings that start on its line, or whose enclosing statement starts
//! on its line (so one comment covers a call spread over several lines). Only real comments
//! count: directives are read from the syntax tree's `comment` nodes, so the same text inside
//! a string literal does nothing. A directive, or one rule named in it, that silences nothing
//! is reported back so stale suppressions do not pile up.

use crate::fields::FieldExt as _;
use crate::finding::Finding;
use crate::rules::RuleSet;
use std::path::{Path, PathBuf};
use tree_sitter::{Node, Point};

/// A suppression comment (or one rule named in it) that silenced nothing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct UnusedSuppression {
    pub path: PathBuf,
    pub line: usize,
    /// The rule named in the directive; `None` for a bare `# pyaudit: ignore`.
    pub rule: Option<String>,
}

/// The marker every directive contains; files without it skip the comment walk.
const MARKER: &[u8] = b"pyaudit:";

/// Whether `bytes` could contain a directive at all (a cheap check before parsing).
pub fn mentions_directive(bytes: &[u8]) -> bool {
    // Every file that no rule can match is searched: a vectorised substring search costs a
    // fraction of comparing a window at every byte.
    memchr::memmem::find(bytes, MARKER).is_some()
}

/// What a directive silences: every rule, or the rules named (ids or names, as written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Rules(Vec<String>),
}

/// Reads the directive in one comment's text, if it holds one. The directive must begin the
/// comment (`# pyaudit: ignore`) or one of its `#`-separated parts, as when it follows
/// another tool's (`# noqa: S301 # pyaudit: ignore[PYA101]`): the same words inside prose
/// ("TODO: review the pyaudit: ignore list") are not a directive, nor is a quoted one
/// ("never write `# pyaudit: ignore` here"): a `#` that starts a part is the comment's first
/// or follows whitespace. Text after the directive (a justification) is allowed, separated
/// by whitespace; `ignored` or an unclosed `[` is not a directive.
pub fn parse_directive(comment: &str) -> Option<Scope> {
    comment
        .match_indices('#')
        .filter(|&(i, _)| i == 0 || comment[..i].ends_with(char::is_whitespace))
        .find_map(|(i, _)| parse_part(comment[i + 1..].trim_start()))
}

/// One `#`-separated part of a comment, starting where its text starts.
fn parse_part(part: &str) -> Option<Scope> {
    let rest = part.strip_prefix("pyaudit:")?.trim_start();
    let rest = rest.strip_prefix("ignore")?;
    match rest.chars().next() {
        None => Some(Scope::All),
        Some('[') => {
            let close = rest.find(']')?;
            let names: Vec<String> = rest[1..close]
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            Some(if names.is_empty() {
                Scope::All
            } else {
                Scope::Rules(names)
            })
        }
        Some(c) if c.is_whitespace() => Some(Scope::All),
        Some(_) => None,
    }
}

struct Directive {
    line: usize,
    scope: Scope,
    /// Per named rule (or one entry for `All`): whether it silenced something.
    used: Vec<bool>,
}

/// Every directive in the file's comments, in source order. Iterative walk: deep trees must
/// not overflow the stack.
fn directives(root: Node, text: &[u8]) -> Vec<Directive> {
    let mut out = Vec::new();
    let mut cursor = root.walk();
    'walk: loop {
        let node = cursor.node();
        if node.kind_name() == "comment" {
            let comment = node.utf8_text(text).unwrap_or("");
            if let Some(scope) = parse_directive(comment) {
                let n = match &scope {
                    Scope::All => 1,
                    Scope::Rules(r) => r.len(),
                };
                out.push(Directive {
                    line: node.start_position().row + 1,
                    scope,
                    used: vec![false; n],
                });
            }
        }
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    out
}

/// The 1-based line on which the statement containing the finding starts: the nearest
/// ancestor that sits directly in a module or block.
fn statement_line(root: Node, f: &Finding) -> usize {
    let point = |line: usize, col: usize| Point {
        row: line.saturating_sub(1),
        column: col,
    };
    let Some(mut node) = root.descendant_for_point_range(
        point(f.start.line, f.start.byte_col),
        point(f.end.line, f.end.byte_col),
    ) else {
        return f.start.line;
    };
    while let Some(parent) = node.parent() {
        if matches!(parent.kind_name(), "module" | "block") {
            break;
        }
        node = parent;
    }
    node.start_position().row + 1
}

/// Marks the findings of one file that a directive silences and returns the directives that
/// silenced nothing. Rules named in a directive but not enabled in this run are not
/// reported: they may be deselected on purpose.
pub fn apply(
    root: Node,
    text: &str,
    path: &Path,
    findings: &mut [Finding],
    rules: &RuleSet,
) -> Vec<UnusedSuppression> {
    if !mentions_directive(text.as_bytes()) {
        return Vec::new();
    }
    let mut dirs = directives(root, text.as_bytes());
    if dirs.is_empty() {
        return Vec::new();
    }
    for f in findings.iter_mut() {
        let stmt = statement_line(root, f);
        let name = rules
            .rules()
            .get(f.rule_index)
            .map_or("", |r| r.name.as_str());
        for d in dirs
            .iter_mut()
            .filter(|d| d.line == f.start.line || d.line == stmt)
        {
            match &d.scope {
                Scope::All => {
                    d.used[0] = true;
                    f.suppressed = true;
                }
                Scope::Rules(names) => {
                    for (i, n) in names.iter().enumerate() {
                        if n.eq_ignore_ascii_case(&f.rule_id) || n.eq_ignore_ascii_case(name) {
                            d.used[i] = true;
                            f.suppressed = true;
                        }
                    }
                }
            }
        }
    }
    let mut unused = Vec::new();
    for d in dirs {
        match d.scope {
            Scope::All if !d.used[0] => unused.push(UnusedSuppression {
                path: path.to_path_buf(),
                line: d.line,
                rule: None,
            }),
            Scope::All => {}
            Scope::Rules(names) => {
                for (n, used) in names.into_iter().zip(d.used) {
                    if !used && rules.find(&n).is_some() {
                        unused.push(UnusedSuppression {
                            path: path.to_path_buf(),
                            line: d.line,
                            rule: Some(n),
                        });
                    }
                }
            }
        }
    }
    unused
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directive_syntax() {
        assert_eq!(parse_directive("# pyaudit: ignore"), Some(Scope::All));
        assert_eq!(
            parse_directive("# pyaudit: ignore  -- reviewed"),
            Some(Scope::All)
        );
        assert_eq!(
            parse_directive("#pyaudit:ignore[PYA101, pickle-deserialization] trusted"),
            Some(Scope::Rules(vec![
                "PYA101".into(),
                "pickle-deserialization".into()
            ]))
        );
        assert_eq!(
            parse_directive("# noqa: S301  # pyaudit: ignore[PYA101]"),
            Some(Scope::Rules(vec!["PYA101".into()]))
        );
        assert_eq!(parse_directive("# pyaudit: ignored"), None);
        // Inside prose, the words are not a directive.
        assert_eq!(
            parse_directive("# TODO: review the pyaudit: ignore list"),
            None
        );
        assert_eq!(parse_directive("# see pyaudit: ignore[PYA101]"), None);
        assert_eq!(
            parse_directive("# never write `# pyaudit: ignore` here"),
            None
        );
        assert_eq!(parse_directive("# issue#pyaudit: ignore"), None);
        assert_eq!(
            parse_directive("# type: ignore  #pyaudit: ignore"),
            Some(Scope::All)
        );
        assert_eq!(parse_directive("# pyaudit: ignore[PYA101"), None);
        assert_eq!(parse_directive("# ignore"), None);
    }
}
