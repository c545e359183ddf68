//! Taint values, the path steps they carry, and the per-function state of variables.

use std::collections::HashMap;
use std::rc::Rc;

/// Paths longer than this keep their first and last steps only: the middle of a long chain
/// of re-assignments says little, and the cap bounds memory on generated code.
const MAX_STEPS: usize = 24;

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

/// A tainted value: its origin and how it got here. Cheap to clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taint(Rc<(Origin, Vec<Step>)>);

impl Taint {
    /// A fresh taint with a first step (none for a summarised parameter).
    pub fn new(origin: Origin, first: Option<Step>) -> Taint {
        Taint(Rc::new((origin, first.into_iter().collect())))
    }

    pub fn origin(&self) -> Origin {
        self.0.0
    }

    pub fn steps(&self) -> &[Step] {
        &self.0.1
    }

    /// This taint with one more step.
    pub fn then(&self, step: Step) -> Taint {
        self.then_all(std::slice::from_ref(&step))
    }

    /// This taint followed by `more` steps (a callee's part of the path).
    pub fn then_all(&self, more: &[Step]) -> Taint {
        let mut steps = Vec::with_capacity(self.steps().len() + more.len());
        steps.extend_from_slice(self.steps());
        steps.extend_from_slice(more);
        if steps.len() > MAX_STEPS {
            let keep_tail = MAX_STEPS - 4;
            steps.drain(4..steps.len() - keep_tail);
        }
        Taint(Rc::new((self.origin(), steps)))
    }
}

/// What a variable (or dotted path such as `self.cmd`) holds.
#[derive(Debug, Clone)]
pub enum Val {
    Tainted(Taint),
    /// A parameter whose listed attribute paths are tainted when read (a Django `request`).
    Carrier {
        attrs: Rc<Vec<Vec<String>>>,
        taint: Taint,
    },
}

/// Variables known to be tainted at a program point; absent means clean.
pub type State = HashMap<String, Val>;

/// Joins the states of two paths (`None` = unreachable): a variable tainted on either path
/// is tainted after the join.
pub fn join(a: Option<State>, b: Option<State>) -> Option<State> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(mut a), Some(b)) => {
            for (k, v) in b {
                a.entry(k).or_insert(v);
            }
            Some(a)
        }
    }
}
