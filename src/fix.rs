//! Automatic fixes: exact text edits attached to findings, described as data in the rule
//! files (`[pattern.fix]`, see `docs/rules-format.md`), applied by `--fix` and shown by
//! `--diff`.
//!
//! A fix is computed from the matched call's syntax tree, touches only the callee name and
//! the arguments it names, and is refused (no fix offered) whenever it could change more
//! than it means to: a `*args`/`**kwargs` splat that may supply the argument, a comment
//! inside the argument list, a positional argument with others after it, or a callee
//! spelled as a bare imported name (renaming it would need a new import).

use crate::engine::{ArgState, find_arg};
use crate::fields::{self, FieldExt};
use crate::finding::{Finding, Position};
use serde::{Deserialize, Serialize};
use tree_sitter::Node;

/// Whether a fix keeps the program's meaning for all inputs it handled safely before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Safety {
    /// Applied by `--fix`.
    Safe,
    /// Can break working code (e.g. loading object arrays); applied only with
    /// `--unsafe-fixes`.
    Unsafe,
}

/// Replace bytes `start..end` of the decoded source with `content`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub content: String,
    /// Where `start` and `end` are as line and column, for reports (see [`Fix::locate`]).
    pub from: Position,
    pub to: Position,
}

impl Edit {
    /// Replaces `start..end` with `content`; positions are set by [`Fix::locate`].
    fn new(start: usize, end: usize, content: String) -> Edit {
        Edit {
            start,
            end,
            content,
            from: Position::default(),
            to: Position::default(),
        }
    }
}

/// The edits that fix one finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    /// Non-overlapping, sorted by position.
    pub edits: Vec<Edit>,
    pub safety: Safety,
    /// What the fix does, e.g. "use `yaml.safe_load`".
    pub title: String,
}

impl Fix {
    /// Sets each edit's line and column from the decoded source it was computed on.
    pub fn locate(&mut self, source: &crate::source::SourceText) {
        for e in &mut self.edits {
            e.from = source.position(e.start);
            e.to = source.position(e.end);
        }
    }
}

/// `[pattern.fix]` in a rule file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixSpec {
    /// What the fix does, shown by `--show-fixes` and as the editor's code action.
    pub title: String,
    /// Matched qualified callee → the new last attribute name (`yaml.load` → `safe_load`).
    #[serde(default)]
    pub rename: std::collections::BTreeMap<String, String>,
    /// Arguments to drop when passed.
    #[serde(default)]
    pub remove_args: Vec<ArgRef>,
    /// A keyword argument to set (its value replaced, or the argument appended).
    pub set_arg: Option<SetArg>,
    /// `true` for fixes that can break working code.
    #[serde(default, rename = "unsafe")]
    pub is_unsafe: bool,
}

/// An argument by keyword and/or 0-based position.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArgRef {
    pub arg: Option<String>,
    pub position: Option<usize>,
}

/// `name=value` to set on the call.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetArg {
    pub arg: String,
    /// Python source of the value, e.g. `True`.
    pub value: String,
}

impl FixSpec {
    /// Checks the parts a typo would make silently useless. Returns the problem.
    pub fn validate(&self) -> Result<(), String> {
        if self.rename.is_empty() && self.remove_args.is_empty() && self.set_arg.is_none() {
            return Err("a fix needs `rename`, `remove_args` or `set_arg`".into());
        }
        let ident = |s: &str| {
            !s.is_empty()
                && !s.starts_with(|c: char| c.is_ascii_digit())
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        if let Some(bad) = self.rename.values().find(|n| !ident(n)) {
            return Err(format!("`rename` target `{bad}` is not a Python name"));
        }
        if let Some(a) = self
            .remove_args
            .iter()
            .find(|a| a.arg.is_none() && a.position.is_none())
        {
            let _ = a;
            return Err("a `remove_args` entry needs `arg`, `position` or both".into());
        }
        if let Some(s) = &self.set_arg {
            let simple = s
                .value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '"' | '\''));
            if !ident(&s.arg) || s.value.is_empty() || !simple {
                return Err("`set_arg` needs a Python keyword and a simple value".into());
            }
        }
        Ok(())
    }
}

/// The "Automatic fix" section of a rule's page (`explain`, `docs/rules/`); empty when the
/// rule has no fix.
pub fn describe(rule: &crate::rules::Rule) -> String {
    let with_fix: Vec<_> = rule
        .patterns
        .iter()
        .filter_map(|p| p.fix.as_ref().map(|f| (p, f)))
        .collect();
    if with_fix.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "## Automatic fix\n\n`pyaudit scan --fix` rewrites these matches in place (`--diff` \
         shows the change without writing it); fixes marked unsafe also need \
         `--unsafe-fixes`:\n\n",
    );
    let mut lines: Vec<String> = Vec::new();
    for (p, f) in with_fix {
        let mut what = Vec::new();
        for (from, to) in &f.rename {
            what.push(format!("`{from}` becomes `{to}`"));
        }
        for a in &f.remove_args {
            let name = match (&a.arg, a.position) {
                (Some(k), _) => format!("`{k}`"),
                (None, Some(i)) => format!("argument {i}"),
                (None, None) => continue,
            };
            what.push(format!("{name} is dropped"));
        }
        if let Some(s) = &f.set_arg {
            what.push(format!("`{}={}` is set", s.arg, s.value));
        }
        let calls: Vec<String> = p.calls.iter().map(|c| format!("`{c}`")).collect();
        let line = format!(
            "- {}: {} — {}{}\n",
            calls.join(", "),
            f.title,
            what.join(", "),
            if f.is_unsafe { " (**unsafe**)" } else { "" }
        );
        // Several patterns (one per unsafe loader) share one fix: list it once.
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    out.extend(lines);
    out.push_str(
        "\nNo fix is offered where it could change more than it means to: a call with \
         `*args`/`**kwargs` or comments among its arguments, a positional argument with more \
         after it, or a callee called by a bare imported name (`from yaml import load`), \
         which a rename would leave undefined. Fixes change only the callee name and the named \
         arguments; applying them again changes nothing more.\n\n",
    );
    out
}

/// The arguments of `call` that are not comments, and whether it has splats or comments.
fn arguments(call: Node) -> Option<(Node, Vec<Node>, bool)> {
    let list = call.field(&fields::ARGUMENTS)?;
    if list.kind_name() != "argument_list" {
        return None;
    }
    let mut cursor = list.walk();
    let mut args = Vec::new();
    let mut awkward = false;
    for a in list.named_children(&mut cursor) {
        match a.kind_name() {
            "comment" => awkward = true,
            "list_splat" | "dictionary_splat" => {
                awkward = true;
                args.push(a);
            }
            _ => args.push(a),
        }
    }
    Some((list, args, awkward))
}

/// The edit that deletes `args[i]` with one separating comma.
fn delete_arg(list: Node, args: &[Node], i: usize) -> Edit {
    let a = args[i];
    let (start, end) = if i > 0 {
        (args[i - 1].end_byte(), a.end_byte())
    } else if let Some(next) = args.get(1) {
        (a.start_byte(), next.start_byte())
    } else {
        // The only argument: up to the `)`, so a trailing comma goes too.
        (a.start_byte(), list.end_byte().saturating_sub(1))
    };
    Edit::new(start, end, String::new())
}

/// Computes the fix `spec` describes for the call `call` matched as `qname`, or `None` when
/// it cannot be done exactly (see the module comment).
pub fn compute(spec: &FixSpec, call: Node, src: &[u8], qname: &str) -> Option<Fix> {
    let (list, args, awkward) = arguments(call)?;
    if awkward {
        return None;
    }
    let mut edits = Vec::new();
    if !spec.rename.is_empty() {
        let new = spec.rename.get(qname)?;
        let function = call.field(&fields::FUNCTION)?;
        if function.kind_name() != "attribute" {
            return None;
        }
        let attr = function.field(&fields::ATTRIBUTE)?;
        edits.push(Edit::new(attr.start_byte(), attr.end_byte(), new.clone()));
    }
    for r in &spec.remove_args {
        let ArgState::Given(value) = find_arg(call, src, r.arg.as_deref(), r.position) else {
            continue;
        };
        let node = match value.parent() {
            Some(p) if p.kind_name() == "keyword_argument" => p,
            _ => value,
        };
        let i = args.iter().position(|a| a.id() == node.id())?;
        let positional = node.kind_name() != "keyword_argument";
        if positional
            && args[i + 1..]
                .iter()
                .any(|a| a.kind_name() != "keyword_argument")
        {
            return None;
        }
        edits.push(delete_arg(list, &args, i));
    }
    if let Some(set) = &spec.set_arg {
        match find_arg(call, src, Some(&set.arg), None) {
            ArgState::Given(value) => edits.push(Edit::new(
                value.start_byte(),
                value.end_byte(),
                set.value.clone(),
            )),
            ArgState::Maybe => return None,
            ArgState::Absent => {
                let text = format!("{}={}", set.arg, set.value);
                edits.push(match args.last() {
                    Some(last) => Edit::new(last.end_byte(), last.end_byte(), format!(", {text}")),
                    None => {
                        let at = list.end_byte().saturating_sub(1);
                        Edit::new(at, at, text)
                    }
                });
            }
        }
    }
    if edits.is_empty() {
        return None;
    }
    edits.sort();
    if edits.windows(2).any(|w| w[0].end > w[1].start) {
        return None;
    }
    Some(Fix {
        edits,
        safety: if spec.is_unsafe {
            Safety::Unsafe
        } else {
            Safety::Safe
        },
        title: spec.title.clone(),
    })
}

/// Applies the fixes of `findings` to `text`: each fix whole or not at all, skipping one
/// that overlaps a fix already taken. Returns the new text and how many fixes were applied.
pub fn apply<'a>(text: &str, fixes: impl IntoIterator<Item = &'a Fix>) -> (String, usize) {
    let mut taken: Vec<&Edit> = Vec::new();
    let mut applied = 0;
    for fix in fixes {
        let clash = fix.edits.iter().any(|e| {
            taken
                .iter()
                .any(|t| e.start < t.end.max(t.start + 1) && t.start < e.end.max(e.start + 1))
        });
        let in_bounds = fix.edits.iter().all(|e| {
            e.end <= text.len() && text.is_char_boundary(e.start) && text.is_char_boundary(e.end)
        });
        if clash || !in_bounds {
            continue;
        }
        taken.extend(fix.edits.iter());
        applied += 1;
    }
    taken.sort();
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for e in taken {
        out.push_str(&text[at..e.start]);
        out.push_str(&e.content);
        at = e.end;
    }
    out.push_str(&text[at..]);
    (out, applied)
}

/// The fixes `keep` allows among `findings` and the call-rule findings they cover, each with
/// the finding it fixes, in finding order. Each covered finding is asked on its own: a
/// taint finding the report shows does not bring the fix of a covered finding whose rule
/// the run turned off.
pub fn kept<'f>(
    findings: impl IntoIterator<Item = &'f Finding>,
    keep: &dyn Fn(&Finding) -> bool,
    unsafe_fixes: bool,
) -> Vec<(&'f Finding, &'f Fix)> {
    findings
        .into_iter()
        .flat_map(|f| std::iter::once(f).chain(&f.covered))
        .filter(|f| !f.suppressed && keep(f))
        .filter_map(|f| f.fix.as_ref().map(|x| (f, x)))
        .filter(|(_, x)| unsafe_fixes || x.safety == Safety::Safe)
        .collect()
}

/// The fixes a finding carries: its own, and those of the call-rule findings it covers (a
/// taint finding on `yaml.load(request.data)` stands for the PYA111 finding there too).
pub fn fixes_of(f: &Finding) -> impl Iterator<Item = &Fix> {
    f.fix
        .iter()
        .chain(f.covered.iter().filter_map(|c| c.fix.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(start: usize, end: usize, content: &str) -> Edit {
        Edit::new(start, end, content.into())
    }

    #[test]
    fn apply_skips_overlapping_fixes() {
        let fix = |edits| Fix {
            edits,
            safety: Safety::Safe,
            title: String::new(),
        };
        let a = fix(vec![edit(0, 3, "XYZ")]);
        let b = fix(vec![edit(2, 4, "..")]);
        let c = fix(vec![edit(6, 6, "!")]);
        let (out, n) = apply("abcdefg", [&a, &b, &c]);
        assert_eq!((out.as_str(), n), ("XYZdef!g", 2));
    }
}
