//! What a module's whole-program results depend on besides its own bytes, as one digest
//! for the result cache ([`crate::cache`]).
//!
//! A module of the project is analysed with the summaries of the modules it imports, which
//! were built from their bytes and, in turn, from their imports. So its results are a
//! function of its own bytes and of every file in its transitive import closure (over all
//! import edges the scan found, not only those between participants, which is more than
//! needed and never less): each file's path, content hash, whether it takes part and
//! whether its summary is exported, the request handlers other files register in it
//! ([`super::registrations`]), and its import edges (which also capture how module names
//! resolved in this scan). A change to any of them changes the digest.
//!
//! A file analysed on its own depends only on its bytes and its registered handlers
//! ([`handlers_digest`]).
//!
//! Modules of an import cycle are solved by rounds to a fixpoint. Every member of a cycle
//! imports every other, transitively, so all of them have the same closure and the same
//! inputs: the fixpoint's results are a function of that closure, and each member's final
//! result is cached under its digest like any other module's. A warm run that finds every
//! member takes one round of loads; a member found alongside others that are not is the
//! fixpoint value they are solved against, so they reach the same fixpoint. A cycle that
//! did not settle within its budget is not stored (the scan drops those entries), so its
//! diagnostic comes back on every run.

use super::index::{FileId, ProjectIndex};
use super::registrations::{Handlers, ProjectHandlers};

/// The cache context of a file analysed on its own: a digest of the handlers registered in
/// it (all zero when there are none).
pub fn handlers_digest(handlers: &Handlers) -> [u8; 32] {
    if handlers.is_empty() && !handlers.imported_by_views {
        return [0; 32];
    }
    let mut h = blake3::Hasher::new();
    h.update(b"handlers\0");
    hash_handlers(&mut h, handlers);
    *h.finalize().as_bytes()
}

fn hash_handlers(h: &mut blake3::Hasher, handlers: &Handlers) {
    // Every field of a handler may change what its module reports (the route converters
    // decide which URL parameters are tainted, for one). `Debug` prints them all, strings
    // quoted and lists in order, so a field added later is part of the key without anyone
    // remembering to add it here.
    let text = format!("{handlers:?}");
    h.update(&(text.len() as u64).to_le_bytes());
    h.update(text.as_bytes());
}

/// For each file, the digest its cache entry is keyed with when it takes part in
/// whole-program analysis (`member`), or `None`: a non-member (analysed on its own, with no
/// context), or a closure with a file whose hash is unknown.
/// `edges` are the import edges of every indexed file, `hashes` their content hashes.
pub fn contexts(
    index: &ProjectIndex,
    edges: &[Vec<FileId>],
    member: &[bool],
    hashes: &[Option<blake3::Hash>],
    handlers: &ProjectHandlers,
) -> Vec<Option<[u8; 32]>> {
    let n = edges.len();
    // As `schedule::solve` decides: a member's summary is exported when a member imports it.
    let member_edges: Vec<Vec<FileId>> = (0..n)
        .map(|i| match member[i] {
            true => edges[i].iter().copied().filter(|&j| member[j]).collect(),
            false => Vec::new(),
        })
        .collect();
    let mut exported = vec![false; n];
    for out in &member_edges {
        for &j in out {
            exported[j] = true;
        }
    }
    let mut seen = vec![false; n];
    (0..n)
        .map(|f| {
            if !member[f] {
                return None;
            }
            let closure = closure_of(f, edges, &mut seen);
            let mut h = blake3::Hasher::new();
            h.update(b"whole-program\0");
            for &g in &closure {
                let p = index.files()[g].as_os_str().as_encoded_bytes();
                h.update(&(p.len() as u64).to_le_bytes());
                h.update(p);
                h.update(hashes[g]?.as_bytes());
                h.update(&[u8::from(member[g]), u8::from(exported[g])]);
                hash_handlers(&mut h, handlers.of(g));
                h.update(&(edges[g].len() as u64).to_le_bytes());
                for d in &edges[g] {
                    // Positions in the closure, which holds every dependency: unlike file
                    // ids they do not move when unrelated files come or go.
                    let at = closure.binary_search(d).unwrap_or(usize::MAX);
                    h.update(&(at as u64).to_le_bytes());
                }
            }
            Some(*h.finalize().as_bytes())
        })
        .collect()
}

/// `f` and every file it imports transitively, sorted; `seen` is scratch space, all false
/// on entry and on return.
fn closure_of(f: FileId, edges: &[Vec<FileId>], seen: &mut [bool]) -> Vec<FileId> {
    let mut out = vec![f];
    seen[f] = true;
    let mut i = 0;
    while i < out.len() {
        for &d in &edges[out[i]] {
            if !seen[d] {
                seen[d] = true;
                out.push(d);
            }
        }
        i += 1;
    }
    for &g in &out {
        seen[g] = false;
    }
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::registrations::{HandlerRef, Registration};
    use std::path::PathBuf;

    fn index(n: usize) -> ProjectIndex {
        ProjectIndex::new((0..n).map(|i| PathBuf::from(format!("m{i}.py"))).collect())
    }

    fn hashes(texts: &[&str]) -> Vec<Option<blake3::Hash>> {
        texts
            .iter()
            .map(|t| Some(blake3::hash(t.as_bytes())))
            .collect()
    }

    #[test]
    fn a_change_anywhere_in_the_closure_changes_the_digest_and_nowhere_else() {
        // 0 imports 1, 1 imports 2; 3 is unrelated.
        let edges = vec![vec![1], vec![2], vec![], vec![]];
        let member = vec![true; 4];
        let ix = index(4);
        let none = ProjectHandlers::default();
        let before = contexts(&ix, &edges, &member, &hashes(&["a", "b", "c", "d"]), &none);
        let deep = contexts(&ix, &edges, &member, &hashes(&["a", "b", "C", "d"]), &none);
        assert_ne!(before[0], deep[0], "a transitive import changed");
        assert_ne!(before[1], deep[1]);
        assert_ne!(before[2], deep[2], "its own digest covers its own hash too");
        assert_eq!(before[3], deep[3], "unrelated");
        let unrelated = contexts(&ix, &edges, &member, &hashes(&["a", "b", "c", "D"]), &none);
        assert_eq!(before[0], unrelated[0]);
        // Taking part, or being exported, is part of the context.
        let fewer = contexts(
            &ix,
            &edges,
            &[true, true, false, true],
            &hashes(&["a", "b", "c", "d"]),
            &none,
        );
        assert_ne!(before[0], fewer[0]);
        assert_eq!(fewer[2], None, "a non-member has no whole-program context");
        // A handler registered in a transitive import changes its importers' digests.
        let reg = [Registration {
            via: "django.urls.path".into(),
            target: HandlerRef::Local("order".into()),
            route_params: Vec::new(),
        }];
        let registered = ProjectHandlers::new(&ix, [(2, &reg[..])]);
        let with = contexts(
            &ix,
            &edges,
            &member,
            &hashes(&["a", "b", "c", "d"]),
            &registered,
        );
        assert_ne!(before[0], with[0]);
        assert_ne!(before[2], with[2]);
        assert_eq!(before[3], with[3]);
        assert_ne!(
            handlers_digest(registered.of(2)),
            handlers_digest(none.of(2))
        );
    }

    #[test]
    fn every_field_of_a_handler_is_in_the_digest() {
        use crate::project::registrations::Handler;
        let plain = Handler {
            via: "django.urls.path".into(),
            function: "order".into(),
            route_params: Vec::new(),
        };
        let typed = Handler {
            route_params: vec![("pk".into(), "int".into())],
            ..plain.clone()
        };
        use crate::project::registrations::Handlers;
        let of = |list: Vec<Handler>, imported_by_views| Handlers {
            list,
            imported_by_views,
        };
        let digests = [
            of(Vec::new(), false),
            of(vec![plain.clone()], false),
            of(vec![typed], false),
            of(Vec::new(), true),
        ]
        .map(|h| handlers_digest(&h));
        assert_eq!(digests[0], [0; 32]);
        assert_ne!(digests[0], digests[1]);
        assert_ne!(
            digests[1], digests[2],
            "route converters change what is tainted"
        );
        assert_ne!(
            digests[0], digests[3],
            "a module views import loses the parameter-name fallback"
        );
    }

    #[test]
    fn cycle_members_share_their_closure_and_change_together() {
        // 1 and 2 import each other; 0 imports 1.
        let edges = vec![vec![1], vec![2], vec![1]];
        let none = ProjectHandlers::default();
        let got = contexts(
            &index(3),
            &edges,
            &[true; 3],
            &hashes(&["a", "b", "c"]),
            &none,
        );
        assert!(got.iter().all(Option::is_some));
        // Every member of the cycle reaches the other: one closure, one digest.
        assert_eq!(got[1], got[2]);
        assert_ne!(got[0], got[1]);
        // An edit to either member changes both members' digests and the importer's.
        let edited = contexts(
            &index(3),
            &edges,
            &[true; 3],
            &hashes(&["a", "b", "c2"]),
            &none,
        );
        for i in 0..3 {
            assert_ne!(edited[i], got[i], "file {i}");
        }
    }

    #[test]
    fn an_unknown_hash_in_the_closure_gives_no_digest() {
        let edges = vec![vec![1], vec![]];
        let got = contexts(
            &index(2),
            &edges,
            &[true; 2],
            &[Some(blake3::hash(b"a")), None],
            &ProjectHandlers::default(),
        );
        assert_eq!(got, vec![None, None]);
    }
}
