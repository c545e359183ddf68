//! Which parameters of a callee the arguments of a call bind, as Python binds them:
//! positions, keywords, `*args` and `**kwargs` parameters, and splatted arguments
//! (`f(*parts)`, `f(**data)`), for functions of the file and summaries of other modules
//! alike.

use super::expr::{Arg, ArgKey};
use crate::project::module_summary::ParamKind;

/// Every (argument index, parameter index) pair the call's `args` bind in a signature of
/// `(name, kind)` pairs. Positions are shifted by `offset` (1 when `self` is passed
/// implicitly). A splatted argument (`*xs`, `**d`) may fill any parameter it could reach,
/// so it binds each of them, except the first `fixed` ones (a bound receiver), which no
/// splat fills.
pub(super) fn bindings(
    args: &[Arg],
    offset: usize,
    fixed: usize,
    sig: &[(&str, ParamKind)],
) -> Vec<(usize, usize)> {
    let positional = sig
        .iter()
        .take_while(|(_, k)| matches!(k, ParamKind::Normal | ParamKind::PositionalOnly))
        .count();
    let var_pos = sig.iter().position(|(_, k)| *k == ParamKind::VarPositional);
    let var_kw = sig.iter().position(|(_, k)| *k == ParamKind::VarKeyword);
    let by_keyword = |k: ParamKind| matches!(k, ParamKind::Normal | ParamKind::KeywordOnly);
    // Parameters an explicit argument fills: a `**d` cannot fill them again.
    let mut explicit = vec![false; sig.len()];
    let mut out = Vec::new();
    for (ai, a) in args.iter().enumerate() {
        match a.key {
            ArgKey::Pos(p) => {
                let i = p + offset;
                if i < positional {
                    explicit[i] = true;
                    out.push((ai, i));
                } else if let Some(v) = var_pos {
                    out.push((ai, v));
                }
            }
            ArgKey::Kw(name) => match sig.iter().position(|(n, k)| *n == name && by_keyword(*k)) {
                Some(i) => {
                    explicit[i] = true;
                    out.push((ai, i));
                }
                None => out.extend(var_kw.map(|v| (ai, v))),
            },
            ArgKey::Star(_) => {}
            ArgKey::DoubleStar => {}
        }
    }
    for (ai, a) in args.iter().enumerate() {
        match a.key {
            ArgKey::Star(p) => {
                let from = (p + offset).max(fixed);
                out.extend((from..positional).map(|i| (ai, i)));
                out.extend(var_pos.map(|v| (ai, v)));
            }
            ArgKey::DoubleStar => {
                out.extend(
                    (sig.iter().enumerate())
                        .filter(|&(i, (_, k))| i >= fixed && by_keyword(*k) && !explicit[i])
                        .map(|(i, _)| (ai, i)),
                );
                out.extend(var_kw.map(|v| (ai, v)));
            }
            _ => {}
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The signature of a summarised function of another module, as [`bindings`] reads it
/// (summaries written without kinds take every parameter as a normal one).
pub(super) fn owned_sig<'s>(
    params: &'s [String],
    kinds: &[ParamKind],
) -> Vec<(&'s str, ParamKind)> {
    params
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_str(), kinds.get(i).copied().unwrap_or_default()))
        .collect()
}

/// The name of parameter `i` of an owned signature as written (`*args`, `**kwargs`).
pub(super) fn shown(sig: &[(&str, ParamKind)], i: usize) -> String {
    match sig[i].1 {
        ParamKind::VarPositional => format!("*{}", sig[i].0),
        ParamKind::VarKeyword => format!("**{}", sig[i].0),
        _ => sig[i].0.to_string(),
    }
}

/// Whether an argument passed as `key` to a parameter of kind `kind` is the parameter's
/// value itself (not one element of a `*args` tuple or `**kwargs` dict, nor perhaps some
/// element of a splat): only then can a request object passed whole be that parameter.
pub(super) fn whole(key: &ArgKey, kind: ParamKind) -> bool {
    matches!(key, ArgKey::Pos(_) | ArgKey::Kw(_))
        && !matches!(kind, ParamKind::VarPositional | ParamKind::VarKeyword)
}
