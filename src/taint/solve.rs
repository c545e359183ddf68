//! Same-module summaries solved to a fixpoint, with no depth limit.
//!
//! A summary is computed on demand, nested inside its caller's analysis while the chain of
//! summaries under construction is short ([`MAX_SUMMARY_NESTING`]). A deeper callee, or a
//! callee already under construction (recursion), answers with its current approximation
//! (nothing, at first) and is put on a worklist. Every read is recorded, so when a summary
//! grows, the summaries that read it are queued again. The worklist is drained at the top
//! level, so the stack stays bounded however long the chain is.
//!
//! Summaries only grow: a new result is merged with the previous one (hits and fields by
//! identity, the return kept once tainted, each group by group), and readers are queued
//! only on growth. Each
//! summary can grow only finitely often, so the iteration ends; the file's work budget
//! bounds the total, and using it up gives the file an `incomplete` diagnostic.

use super::trace::{Taint, either};
use super::{Entry, Hit, Summary};
use crate::finding::Position;
use crate::semantic::ScopeId;
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::rc::Rc;
use tree_sitter::Node;

/// How many summaries of one file may be under construction inside one another (a call
/// chain `a → b → c …`) before deeper ones are deferred to the worklist: bounds the stack.
/// Calls between modules do not count: they use finished summaries.
pub(super) const MAX_SUMMARY_NESTING: usize = 8;

/// A summary key: the `def` node id and the entry assumption.
pub(super) type SummaryKey = (usize, Entry);

/// What identifies a hit across recomputations: rule, sink, call, and for a sink in
/// another module where it is reported.
type HitId = (usize, usize, usize, Option<(PathBuf, Position)>);

/// The identity of a hit, for merging and deduplication.
pub(super) fn hit_id(h: &Hit) -> HitId {
    let at = h.remote.as_ref().map(|r| (r.at.path.clone(), r.at.start));
    (h.rule, h.sink, h.call.id(), at)
}

/// What a summary request finds.
pub(super) enum Lookup<'t> {
    /// A summary (final, or the current approximation of a deferred one).
    Known(Rc<Summary<'t>>),
    /// Not known yet: compute it now, nested in the caller.
    Compute,
}

/// The summaries of one file and pass, and the worklist that completes them.
#[derive(Default)]
pub(super) struct Solver<'t> {
    cache: HashMap<SummaryKey, Rc<Summary<'t>>>,
    /// Summaries under construction, innermost last.
    active: Vec<SummaryKey>,
    /// Per summary, the summaries that read it, in the order they first did.
    readers: HashMap<SummaryKey, Vec<SummaryKey>>,
    edges: HashSet<(SummaryKey, SummaryKey)>,
    /// Summaries to (re)compute, with the def and scope to do it.
    queue: VecDeque<(SummaryKey, Node<'t>, ScopeId)>,
    queued: HashSet<SummaryKey>,
    /// Def and scope of every summary seen, to queue its readers again.
    defs: HashMap<SummaryKey, (Node<'t>, ScopeId)>,
}

impl<'t> Solver<'t> {
    /// Records that the innermost summary under construction reads `key`, and says
    /// whether `key` is known or must be computed now.
    pub fn lookup(&mut self, key: &SummaryKey, def: Node<'t>, scope: ScopeId) -> Lookup<'t> {
        self.defs.entry(key.clone()).or_insert((def, scope));
        if let Some(reader) = self.active.last()
            && self.edges.insert((key.clone(), reader.clone()))
        {
            self.readers
                .entry(key.clone())
                .or_default()
                .push(reader.clone());
        }
        if let Some(s) = self.cache.get(key) {
            return Lookup::Known(s.clone());
        }
        let recursive = self.active.contains(key);
        if recursive || self.active.len() >= MAX_SUMMARY_NESTING {
            // Start from nothing; the worklist (or the running computation, for
            // recursion) brings it to its fixpoint and re-runs what read it.
            let empty = Rc::new(Summary::default());
            self.cache.insert(key.clone(), empty.clone());
            if !recursive {
                self.enqueue(key.clone(), def, scope);
            }
            return Lookup::Known(empty);
        }
        Lookup::Compute
    }

    /// Marks `key` as under construction.
    pub fn begin(&mut self, key: SummaryKey) {
        self.active.push(key);
    }

    /// Stores the result for `key` (the innermost summary under construction), merged with
    /// what was known before; queues its readers again when it grew.
    pub fn finish(&mut self, key: SummaryKey, new: Summary<'t>) {
        self.active.pop();
        let merged = match self.cache.get(&key) {
            Some(old) => {
                let merged = merge(old, new);
                if grew(old, &merged) {
                    let readers = self.readers.get(&key).cloned().unwrap_or_default();
                    for r in readers {
                        if let Some(&(d, s)) = self.defs.get(&r) {
                            self.enqueue(r, d, s);
                        }
                    }
                }
                merged
            }
            None => dedup(new),
        };
        self.cache.insert(key, Rc::new(merged));
    }

    /// The summary stored for `key`.
    pub fn get(&self, key: &SummaryKey) -> Rc<Summary<'t>> {
        self.cache.get(key).cloned().unwrap_or_default()
    }

    /// Whether no summary is under construction (the worklist may be drained).
    pub fn idle(&self) -> bool {
        self.active.is_empty()
    }

    /// The next summary to (re)compute.
    pub fn next(&mut self) -> Option<(SummaryKey, Node<'t>, ScopeId)> {
        let item = self.queue.pop_front()?;
        self.queued.remove(&item.0);
        Some(item)
    }

    fn enqueue(&mut self, key: SummaryKey, def: Node<'t>, scope: ScopeId) {
        if self.queued.insert(key.clone()) {
            self.queue.push_back((key, def, scope));
        }
    }
}

/// `new` without repeated hits (a loop body runs twice): the first path of each is kept.
fn dedup(mut new: Summary) -> Summary {
    let mut seen = HashSet::new();
    new.hits.retain(|h| seen.insert(hit_id(h)));
    new
}

/// `new` plus what `old` knew that `new` does not: summaries only grow.
fn merge<'t>(old: &Summary<'t>, new: Summary<'t>) -> Summary<'t> {
    let mut out = dedup(new);
    out.returns = either(out.returns.take(), old.returns.clone());
    let seen: HashSet<HitId> = out.hits.iter().map(hit_id).collect();
    out.hits.extend(
        old.hits
            .iter()
            .filter(|h| !seen.contains(&hit_id(h)))
            .cloned(),
    );
    for (name, t) in &old.fields {
        match out.fields.iter_mut().find(|(n, _)| n == name) {
            Some((_, mine)) => *mine = mine.or(t),
            None => out.fields.push((name.clone(), t.clone())),
        }
    }
    out.fields.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Whether `merged` (a superset of `old`) knows more than `old`: for some group, a tainted
/// return or field it did not have, or a hit.
fn grew(old: &Summary, merged: &Summary) -> bool {
    let groups = |t: &Option<Taint>| t.as_ref().map_or(0, Taint::groups);
    let field_groups = |s: &Summary, name: &str| {
        (s.fields.iter())
            .find(|(n, _)| n == name)
            .map_or(0, |(_, t)| t.groups())
    };
    groups(&merged.returns) & !groups(&old.returns) != 0
        || merged.hits.len() > old.hits.len()
        || merged.fields.len() > old.fields.len()
        || (merged.fields.iter()).any(|(n, t)| t.groups() & !field_groups(old, n) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deferred_summary_starts_empty_and_is_queued() {
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&tree_sitter_python::LANGUAGE.into())
            .unwrap();
        let tree = parser.parse("def f(x):\n    pass\n", None).unwrap();
        let def = tree.root_node().named_child(0).unwrap();
        let mut s = Solver::default();
        for i in 0..MAX_SUMMARY_NESTING {
            s.begin((1000 + i, Entry::Own));
        }
        let key = (def.id(), Entry::Param(0));
        assert!(matches!(s.lookup(&key, def, 1), Lookup::Known(_)));
        let (queued, _, _) = s.next().expect("queued");
        assert_eq!(queued, key);
        assert!(s.next().is_none());
    }
}
