//! What one module offers the rest of the project, as owned data (no syntax tree): its
//! imports, classes, module-level singletons and the taint summaries of its functions.
//!
//! A summary is built once, when its module is analysed, and read by every module that
//! imports it; importers never re-parse the file.

use crate::finding::{Finding, FlowStep};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How a module-level name was imported: `from ..pkg import name as local` is
/// `dots = 2`, `module = "pkg"`, `name = Some("name")`; `import a.b as local` is
/// `module = "a.b"`, `name = None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportTarget {
    pub dots: usize,
    pub module: String,
    pub name: Option<String>,
}

/// How a function is bound to its class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FuncKind {
    /// A module-level function.
    Function,
    /// A method taking the instance first.
    Method,
    /// A `@classmethod` (the class is passed first).
    ClassMethod,
    /// A `@staticmethod`.
    StaticMethod,
}

/// How a parameter binds arguments.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ParamKind {
    /// Passed by position or by keyword.
    #[default]
    Normal,
    /// Before a `/`: by position only.
    PositionalOnly,
    /// After `*` or `*args`: by keyword only.
    KeywordOnly,
    /// `*args`: the positional arguments no other parameter takes.
    VarPositional,
    /// `**kwargs`: the keyword arguments no other parameter takes.
    VarKeyword,
}

/// A sink reached by a parameter, owned: the callee's part of the path (ending at the
/// sink) and the finding as it would be reported at the sink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedHit {
    pub rule: usize,
    pub sink: usize,
    pub callee: String,
    /// Steps inside the callee (and further callees), the sink step last.
    pub steps: Vec<FlowStep>,
    /// Where the finding is reported.
    pub at: SinkAt,
}

/// The finding at a sink: while its module is being summarised, an index into
/// [`ModuleSummary::sinks`] (so in-source suppressions can still be applied to it); after
/// [`ModuleSummary::seal`], the shared finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SinkAt {
    Local(usize),
    /// Never written to the result cache: [`ModuleSummary::unseal`] turns it back into
    /// [`SinkAt::Local`] first, so the sharing survives the round trip.
    #[serde(skip)]
    Shared(std::sync::Arc<Finding>),
}

/// What a function does under one entry assumption, for one pass of rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// The path from the entry to the return value, when tainted data is returned.
    pub returns: Option<Vec<FlowStep>>,
    /// For the function's own sources: the label index of the source it returns.
    pub label: Option<usize>,
    pub hits: Vec<OwnedHit>,
    /// `self` attributes holding the parameter's data when the method returns.
    pub fields: Vec<(String, Vec<FlowStep>)>,
}

impl Facts {
    /// Whether the facts say nothing.
    pub fn is_empty(&self) -> bool {
        self.returns.is_none() && self.hits.is_empty() && self.fields.is_empty()
    }
}

/// What a parameter reaches when the caller passes a request object whole (a Django
/// `request` handed to a helper): only its request-data attributes (those of every
/// modelled framework's request) are tainted, not `req.user`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarrierFacts {
    /// The parameter's position.
    pub param: usize,
    pub facts: Facts,
}

/// The summary of one function or method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FuncSummary {
    pub kind: FuncKind,
    /// Parameter names in order (including `self`/`cls`).
    pub params: Vec<String>,
    /// How each parameter binds arguments, in the order of `params`.
    #[serde(default)]
    pub kinds: Vec<ParamKind>,
    /// Per pass: what the function returns from its own sources.
    pub own: Vec<Facts>,
    /// Per pass, per parameter: what a tainted parameter reaches.
    pub by_param: Vec<Vec<Facts>>,
    /// Per pass: what a request object passed whole reaches (only non-empty facts).
    pub carriers: Vec<Vec<CarrierFacts>>,
    /// Per pass, for a method: what it reaches when one attribute of `self` holds tainted
    /// data (a constructor stored it there), by attribute name (only non-empty facts).
    pub by_field: Vec<Vec<(String, Facts)>>,
    /// A validator (`is_safe_url(u)`): in a condition, a guard for its arguments.
    pub validator: bool,
    /// A raising checker: the positions of the parameters it checks (raising otherwise).
    pub checks: Vec<usize>,
}

impl FuncSummary {
    /// The facts of every entry that can reach a sink: per parameter, per request object
    /// passed whole, per `self` attribute.
    fn entry_facts_mut(&mut self) -> impl Iterator<Item = &mut Facts> {
        let carriers = self.carriers.iter_mut().flatten().map(|c| &mut c.facts);
        let by_field = self.by_field.iter_mut().flatten().map(|(_, facts)| facts);
        self.by_param
            .iter_mut()
            .flatten()
            .chain(carriers)
            .chain(by_field)
    }
}

/// The owned summary of one module.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleSummary {
    /// `f` for module functions, `C.m` for methods.
    pub funcs: BTreeMap<String, FuncSummary>,
    /// Module-level imported names.
    pub imports: BTreeMap<String, ImportTarget>,
    /// `from m import *` targets.
    pub stars: Vec<ImportTarget>,
    /// Classes defined here: their base expressions as dotted text (`models.Model`).
    pub classes: BTreeMap<String, Vec<String>>,
    /// Module-level `name = C(...)`: the dotted text of `C`.
    pub singletons: BTreeMap<String, String>,
    /// Findings at this module's sinks, to be completed by the importer that reaches them
    /// (location, snippet and in-source suppression already settled here).
    pub sinks: Vec<Finding>,
    /// Set when the module's analysis ran out of budget: its summaries are partial.
    pub partial: bool,
}

impl ModuleSummary {
    /// Shares the sink findings (after suppressions were applied to them) with every hit
    /// that reaches them.
    pub fn seal(&mut self) {
        let shared: Vec<std::sync::Arc<Finding>> = std::mem::take(&mut self.sinks)
            .into_iter()
            .map(std::sync::Arc::new)
            .collect();
        for f in self.funcs.values_mut() {
            for facts in f.entry_facts_mut() {
                for h in &mut facts.hits {
                    if let SinkAt::Local(i) = h.at
                        && let Some(s) = shared.get(i)
                    {
                        h.at = SinkAt::Shared(s.clone());
                    }
                }
            }
        }
    }

    /// Adds the sealed summary of another part of the same module (see
    /// `engine::parts`). A name defined in both keeps the earlier part's facts, as for a
    /// module analysed whole.
    pub fn absorb(&mut self, other: ModuleSummary) {
        for (name, f) in other.funcs {
            self.funcs.entry(name).or_insert(f);
        }
        for (name, t) in other.imports {
            self.imports.entry(name).or_insert(t);
        }
        for t in other.stars {
            if !self.stars.contains(&t) {
                self.stars.push(t);
            }
        }
        for (name, bases) in other.classes {
            self.classes.entry(name).or_insert(bases);
        }
        for (name, class) in other.singletons {
            self.singletons.entry(name).or_insert(class);
        }
        self.sinks.extend(other.sinks);
        self.partial |= other.partial;
    }

    /// The inverse of [`ModuleSummary::seal`], for storing a summary: every shared sink
    /// finding becomes an index into `sinks` again (one entry per shared finding, in the
    /// order the functions first reach it), so a stored summary is sealed again on loading
    /// with the same sharing.
    pub fn unseal(&self) -> ModuleSummary {
        let mut out = self.clone();
        let mut sinks: Vec<std::sync::Arc<Finding>> = Vec::new();
        // By address: the same shared finding, not merely an equal one.
        let mut index: std::collections::HashMap<*const Finding, usize> = Default::default();
        for f in out.funcs.values_mut() {
            for facts in f.entry_facts_mut() {
                for h in &mut facts.hits {
                    if let SinkAt::Shared(s) = &h.at {
                        let i = *index.entry(std::sync::Arc::as_ptr(s)).or_insert_with(|| {
                            sinks.push(s.clone());
                            sinks.len() - 1
                        });
                        h.at = SinkAt::Local(i);
                    }
                }
            }
        }
        out.sinks = sinks.iter().map(|s| (**s).clone()).collect();
        out
    }
}
