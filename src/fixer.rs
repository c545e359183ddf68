//! `--fix`, `--diff` and `--show-fixes`: applying [`crate::fix`] edits to files.
//!
//! Each file is fixed in rounds: analyse, apply every allowed fix that does not overlap
//! another, analyse the result again, until no fix is left (at most [`MAX_ROUNDS`]). The
//! result must still parse as well as the original did, or the file is left alone and the
//! run says so.

use crate::engine::Engine;
use crate::finding::Finding;
use crate::fix::{Fix, Safety, apply, kept};
use crate::report::inert;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Rounds of analyse-and-fix per file; each round removes at least one finding, so real
/// files converge in one or two.
pub const MAX_ROUNDS: usize = 10;

/// One file's text before and after fixing.
#[derive(Debug, Clone)]
pub struct FileFix {
    pub path: PathBuf,
    pub before: String,
    pub after: String,
    /// Fixes applied over all rounds.
    pub applied: usize,
}

/// Fixes `text` (the file `path`) with the engine; `keep` says which findings are reported
/// in this run (so per-file ignores and suppressions are honoured). Returns the fixed text
/// and the number of fixes applied, or an error when the result would not parse.
pub fn fix_text(
    engine: &Engine,
    path: &Path,
    text: &str,
    keep: &dyn Fn(&Finding) -> bool,
    unsafe_fixes: bool,
) -> Result<(String, usize), String> {
    let mut current = text.to_string();
    let mut total = 0;
    for _ in 0..MAX_ROUNDS {
        let outcome = engine.analyse(path, current.as_bytes());
        let fixes: Vec<Fix> = kept(&outcome.findings, keep, unsafe_fixes)
            .into_iter()
            .map(|(_, x)| x.clone())
            .collect();
        if fixes.is_empty() {
            break;
        }
        let (next, n) = apply(&current, &fixes);
        if n == 0 || next == current {
            break;
        }
        current = next;
        total += n;
    }
    let broken = |t: &str| crate::engine::parse(t).is_none_or(|tree| tree.root_node().has_error());
    if total > 0 && broken(&current) && !broken(text) {
        return Err(format!(
            "{}: the fixes would leave the file with a syntax error; not changed (please \
             report this)",
            path.display()
        ));
    }
    Ok((current, total))
}

/// Fixes each file of `paths` (those with fixable findings), reading it from disk with the
/// scan's size limit `max_bytes`: the file may have been replaced since it was scanned
/// (by a link to a device, say), and must not be read without end. Files that are not valid
/// UTF-8 are skipped: edits are made on the decoded text, which would not write back byte
/// for byte.
pub fn fix_files(
    engine: &Engine,
    paths: &[PathBuf],
    keep: &dyn Fn(&Finding) -> bool,
    unsafe_fixes: bool,
    max_bytes: u64,
) -> (Vec<FileFix>, Vec<String>) {
    let mut fixed = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        let bytes = match crate::bounded_read::read(path, max_bytes) {
            Ok(b) => b,
            Err(e) => {
                errors.push(format!(
                    "{}: cannot read the file again to fix it: {e}",
                    path.display()
                ));
                continue;
            }
        };
        let Ok(before) = String::from_utf8(bytes) else {
            errors.push(format!("{}: not valid UTF-8; not fixed", path.display()));
            continue;
        };
        if before.starts_with('\u{feff}') {
            errors.push(format!(
                "{}: starts with a byte-order mark; not fixed",
                path.display()
            ));
            continue;
        }
        match fix_text(engine, path, &before, keep, unsafe_fixes) {
            Ok((after, applied)) if applied > 0 => fixed.push(FileFix {
                path: path.clone(),
                before,
                after,
                applied,
            }),
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    (fixed, errors)
}

/// Control characters made visible, except tabs (a diff must keep them to stay a diff).
fn visible(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        if c.is_control() && c != '\t' && c != '\n' {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// The unified diff of the fixes, with `a/` and `b/` paths as `git diff` writes them. Text
/// from the files is made inert: controls visible, no line a CI command.
pub fn unified_diff(fixes: &[FileFix], shown: &dyn Fn(&Path) -> String) -> String {
    let mut out = String::new();
    for f in fixes {
        let name = shown(&f.path);
        let diff = similar::TextDiff::from_lines(&f.before, &f.after);
        let text = diff
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{name}"), &format!("b/{name}"))
            .to_string();
        out.push_str(&visible(&text));
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    inert::guard(&out).into_owned()
}

/// `--show-fixes`: one line per finding with a fix `keep` allows, and what
/// `--unsafe-fixes` would add.
pub fn show_fixes(
    findings: &[Finding],
    keep: &dyn Fn(&Finding) -> bool,
    shown: &dyn Fn(&Path) -> String,
) -> String {
    let with_fix = kept(findings, keep, true);
    let safe = with_fix
        .iter()
        .filter(|(_, x)| x.safety == Safety::Safe)
        .count();
    let mut out = format!(
        "{} fixable with --fix, {} more with --unsafe-fixes:\n",
        safe,
        with_fix.len() - safe
    );
    for (f, x) in &with_fix {
        let tag = match x.safety {
            Safety::Safe => "",
            Safety::Unsafe => " [unsafe]",
        };
        let _ = writeln!(
            out,
            "  {}:{}: {} {}{tag}",
            shown(&f.path),
            f.start.line,
            f.rule_id,
            x.title
        );
    }
    inert::lines(&out)
}
