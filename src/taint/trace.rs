//! Taint values, the path steps they carry, and the per-function state of variables.
//!
//! One pass serves every group of rules (see [`super::pass`]): a value records, per group,
//! whether it is still tainted and by which path. It is a list of strands with disjoint
//! group sets; each group's strand is exactly the value a pass of that group alone would
//! compute, so every operation below acts group by group.

use std::collections::BTreeMap;
use std::rc::Rc;

/// Paths longer than this keep their first and last steps only: the middle of a long chain
/// of re-assignments says little, and the cap bounds memory on generated code.
const MAX_STEPS: usize = 24;

/// A set of rule groups of one pass, one bit per group (see [`super::pass::MAX_GROUPS`]).
pub type Groups = u64;

/// One step of a path, as byte offsets (converted to positions when a finding is made).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub start: usize,
    pub end: usize,
    pub note: String,
    /// A step in another module (from its summary): the byte offsets are unused.
    pub there: Option<Rc<crate::finding::FlowStep>>,
}

impl Step {
    /// A step of another module's path.
    pub fn there(step: &crate::finding::FlowStep) -> Step {
        Step {
            start: 0,
            end: 0,
            note: step.note.clone(),
            there: Some(Rc::new(step.clone())),
        }
    }
}

/// Where a taint came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A real source; the index of its label in the pass.
    Source(usize),
    /// The parameter at this position of the function being summarised.
    Param(usize),
}

/// The taint of one value for some groups: its origin and how it got here.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Strand {
    groups: Groups,
    origin: Origin,
    steps: Vec<Rc<Step>>,
}

/// A tainted value: per group, its origin and how it got here. Never empty, and the
/// strands' group sets are disjoint. Cheap to clone, and cheap to extend: steps are
/// shared, so a chain of assignments copies pointers, not notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taint(Rc<Vec<Strand>>);

fn capped(mut steps: Vec<Rc<Step>>) -> Vec<Rc<Step>> {
    if steps.len() > MAX_STEPS {
        let keep_tail = MAX_STEPS - 4;
        steps.drain(4..steps.len() - keep_tail);
    }
    steps
}

impl Taint {
    /// A fresh taint for `groups` with a first step (none for a summarised parameter).
    pub fn new(origin: Origin, first: Option<Step>, groups: Groups) -> Taint {
        Taint(Rc::new(vec![Strand {
            groups,
            origin,
            steps: first.into_iter().map(Rc::new).collect(),
        }]))
    }

    /// The groups for which the value is tainted.
    pub fn groups(&self) -> Groups {
        self.0.iter().fold(0, |g, s| g | s.groups)
    }

    /// The origin of the first strand: for a hit (one group, one strand), its origin.
    pub fn origin(&self) -> Origin {
        self.0[0].origin
    }

    /// The steps of the first strand: for a hit (one group, one strand), its path.
    pub fn steps(&self) -> &[Rc<Step>] {
        &self.0[0].steps
    }

    /// This taint with one more step.
    pub fn then(&self, step: Step) -> Taint {
        self.then_all(&[Rc::new(step)])
    }

    /// This taint followed by `more` steps (a callee's part of the path).
    pub fn then_all(&self, more: &[Rc<Step>]) -> Taint {
        Taint(Rc::new(
            self.0
                .iter()
                .map(|s| {
                    let mut steps = Vec::with_capacity(s.steps.len() + more.len());
                    steps.extend_from_slice(&s.steps);
                    steps.extend_from_slice(more);
                    Strand {
                        groups: s.groups,
                        origin: s.origin,
                        steps: capped(steps),
                    }
                })
                .collect(),
        ))
    }

    /// The taint for the groups in `keep` only; `None` when it has none of them.
    pub fn only(&self, keep: Groups) -> Option<Taint> {
        let mine = self.groups();
        if mine & !keep == 0 {
            return Some(self.clone());
        }
        if mine & keep == 0 {
            return None;
        }
        let strands: Vec<Strand> = self
            .0
            .iter()
            .filter(|s| s.groups & keep != 0)
            .map(|s| Strand {
                groups: s.groups & keep,
                ..s.clone()
            })
            .collect();
        Some(Taint(Rc::new(strands)))
    }

    /// The strands whose origin passes `keep`.
    pub fn filter_origin(&self, keep: impl Fn(Origin) -> bool) -> Option<Taint> {
        if self.0.iter().all(|s| keep(s.origin)) {
            return Some(self.clone());
        }
        let strands: Vec<Strand> = self.0.iter().filter(|s| keep(s.origin)).cloned().collect();
        (!strands.is_empty()).then(|| Taint(Rc::new(strands)))
    }

    /// Per group, this taint where it has one, else `other`'s: what `a or b` is for a pass
    /// that keeps the first tainted operand.
    pub fn or(&self, other: &Taint) -> Taint {
        let mine = self.groups();
        match other.only(!mine) {
            None => self.clone(),
            Some(rest) => {
                let mut strands = (*self.0).clone();
                strands.extend(rest.0.iter().cloned());
                Taint(Rc::new(strands))
            }
        }
    }

    /// The caller's data along `self` followed, group by group, by a callee's part of the
    /// path `inner` (a summary's taint of a parameter): the groups both have.
    pub fn through(&self, inner: &Taint) -> Option<Taint> {
        let mut strands = Vec::new();
        for a in self.0.iter() {
            for b in inner.0.iter() {
                let groups = a.groups & b.groups;
                if groups == 0 {
                    continue;
                }
                let mut steps = Vec::with_capacity(a.steps.len() + b.steps.len());
                steps.extend_from_slice(&a.steps);
                steps.extend_from_slice(&b.steps);
                strands.push(Strand {
                    groups,
                    origin: a.origin,
                    steps: capped(steps),
                });
            }
        }
        (!strands.is_empty()).then(|| Taint(Rc::new(strands)))
    }
}

/// `a or b` group by group (see [`Taint::or`]).
pub fn either(a: Option<Taint>, b: Option<Taint>) -> Option<Taint> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.or(&b)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// Attribute paths of a request object that are tainted when read.
pub type Attrs = Rc<Vec<Vec<String>>>;

/// What a variable (or dotted path such as `self.cmd`) holds, per group: tainted data, or
/// a parameter whose listed attribute paths are tainted when read (a Django `request`).
/// The group sets of all parts are disjoint.
#[derive(Debug, Clone)]
pub struct Val {
    pub plain: Option<Taint>,
    pub carriers: Vec<(Attrs, Taint)>,
}

impl Val {
    /// Tainted data.
    pub fn tainted(t: Taint) -> Val {
        Val {
            plain: Some(t),
            carriers: Vec::new(),
        }
    }

    /// A request object.
    pub fn carrier(attrs: Attrs, t: Taint) -> Val {
        Val {
            plain: None,
            carriers: vec![(attrs, t)],
        }
    }

    /// The groups for which the variable holds anything.
    pub fn groups(&self) -> Groups {
        self.carriers
            .iter()
            .fold(self.plain.as_ref().map_or(0, Taint::groups), |g, (_, t)| {
                g | t.groups()
            })
    }

    /// The value for the groups in `keep` only; `None` when nothing is left.
    pub fn only(&self, keep: Groups) -> Option<Val> {
        let plain = self.plain.as_ref().and_then(|t| t.only(keep));
        let carriers: Vec<(Attrs, Taint)> = self
            .carriers
            .iter()
            .filter_map(|(a, t)| Some((a.clone(), t.only(keep)?)))
            .collect();
        (plain.is_some() || !carriers.is_empty()).then_some(Val { plain, carriers })
    }

    /// Per group, this value where it has one, else `other`'s.
    pub fn or(&self, other: &Val) -> Val {
        match other.only(!self.groups()) {
            None => self.clone(),
            Some(rest) => Val {
                plain: either(self.plain.clone(), rest.plain),
                carriers: self.carriers.iter().cloned().chain(rest.carriers).collect(),
            },
        }
    }
}

/// Variables known to be tainted at a program point; absent means clean. Ordered, so the
/// paths under a name (`self.x.y` under `self.x`) are one range: killing a name costs a
/// lookup, not a pass over every variable (which made long functions quadratic).
pub type State = BTreeMap<String, Val>;

/// Joins the states of two paths (`None` = unreachable): a variable tainted on either path
/// is tainted after the join (per group, with the first path's value where both are).
pub fn join(a: Option<State>, b: Option<State>) -> Option<State> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(mut a), Some(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(mine) => {
                        if v.groups() & !mine.groups() != 0 {
                            *mine = mine.or(&v);
                        }
                    }
                    None => {
                        a.insert(k, v);
                    }
                }
            }
            Some(a)
        }
    }
}
