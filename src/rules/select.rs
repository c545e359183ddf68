//! Rule selection as Ruff does it: selectors are `ALL`, a rule id or name, an id prefix
//! (`PYA1`, `PYA20`) or a tag (`deserialization`, `taint`); `select` / `extend-select` turn
//! rules on, `ignore` / `extend-ignore` turn them off, and for each rule the most specific
//! matching selector decides (an `ignore` wins a tie).

use super::Rule;

/// One parsed selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// Every rule.
    All,
    /// A rule id or the start of one (ASCII case ignored).
    Prefix(String),
    /// A rule name.
    Name(String),
    /// A tag some rule carries.
    Tag(String),
}

impl Selector {
    /// Parses `text` against the rules in force; `None` when it selects no rule, so a typo
    /// never silently does nothing.
    pub fn parse(text: &str, rules: &[Rule]) -> Option<Selector> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("ALL") {
            return Some(Selector::All);
        }
        let candidates = [
            Selector::Name(t.to_ascii_lowercase()),
            Selector::Prefix(t.to_ascii_uppercase()),
            Selector::Tag(t.to_ascii_lowercase()),
        ];
        candidates
            .into_iter()
            .find(|s| rules.iter().any(|r| s.matches(r)))
    }

    /// Whether this selector covers `rule`.
    pub fn matches(&self, rule: &Rule) -> bool {
        match self {
            Selector::All => true,
            Selector::Prefix(p) => rule.id.to_ascii_uppercase().starts_with(p.as_str()),
            Selector::Name(n) => rule.name.eq_ignore_ascii_case(n),
            Selector::Tag(t) => rule.tags.iter().any(|x| x.eq_ignore_ascii_case(t)),
        }
    }

    /// How narrowly the selector picks: `ALL` < a tag < a shorter prefix < a longer prefix
    /// < a whole id or name.
    pub fn specificity(&self, rule: &Rule) -> usize {
        match self {
            Selector::All => 0,
            Selector::Tag(_) => 1,
            Selector::Prefix(p) if p.len() == rule.id.len() => usize::MAX,
            Selector::Prefix(p) => 2 + p.len(),
            Selector::Name(_) => usize::MAX,
        }
    }
}

/// Parsed `select` (with `extend-select`) and `ignore` (with `extend-ignore`) lists.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// `None`: nothing was selected explicitly, which means `ALL`.
    pub select: Option<Vec<Selector>>,
    pub extend_select: Vec<Selector>,
    pub ignore: Vec<Selector>,
}

impl Selection {
    /// Whether `rule` runs: the most specific matching selector decides; an ignore beats a
    /// select of the same specificity; a rule no select covers is off.
    pub fn enabled(&self, rule: &Rule) -> bool {
        let best = |list: &[Selector]| {
            list.iter()
                .filter(|s| s.matches(rule))
                .map(|s| s.specificity(rule))
                .max()
        };
        let all = [Selector::All];
        let chosen = self.select.as_deref().unwrap_or(&all);
        let on = best(chosen).max(best(&self.extend_select));
        let off = best(&self.ignore);
        match (on, off) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(on), Some(off)) => on > off,
        }
    }
}

/// Whether any of `selectors` (strings as written) covers `rule`; unparsable ones cover
/// nothing. For lists such as `per-file-ignores`.
pub fn any_matches(selectors: &[String], rule: &Rule, rules: &[Rule]) -> bool {
    selectors
        .iter()
        .filter_map(|s| Selector::parse(s, rules))
        .any(|s| s.matches(rule))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    fn ids(sel: &Selection, rules: &[Rule]) -> Vec<String> {
        rules
            .iter()
            .filter(|r| sel.enabled(r))
            .map(|r| r.id.clone())
            .collect()
    }

    fn parse(list: &[&str], rules: &[Rule]) -> Vec<Selector> {
        list.iter()
            .map(|s| Selector::parse(s, rules).unwrap_or_else(|| panic!("{s}")))
            .collect()
    }

    #[test]
    fn prefixes_tags_and_specificity() {
        let set = RuleSet::builtin().unwrap();
        let rules = set.rules();
        let sel = Selection {
            select: Some(parse(&["PYA20"], rules)),
            ..Default::default()
        };
        let got = ids(&sel, rules);
        assert!(got.iter().all(|id| id.starts_with("PYA20")) && !got.is_empty());
        // A longer prefix in ignore beats a shorter select; an exact id beats both.
        let sel = Selection {
            select: Some(parse(&["PYA1", "pya111"], rules)),
            extend_select: vec![],
            ignore: parse(&["PYA11"], rules),
        };
        let got = ids(&sel, rules);
        assert!(got.contains(&"PYA111".to_string()) && got.contains(&"PYA101".to_string()));
        assert!(!got.contains(&"PYA110".to_string()));
        // Tags; ALL; unknown selectors parse to nothing.
        let sel = Selection {
            select: Some(parse(&["taint"], rules)),
            ..Default::default()
        };
        assert!(ids(&sel, rules).iter().all(|id| id.starts_with("PYA2")));
        assert_eq!(ids(&Selection::default(), rules).len(), rules.len());
        assert!(Selector::parse("PYA9", rules).is_none());
        assert!(Selector::parse("nonsense", rules).is_none());
    }
}
