//! Stable finding fingerprints for baselines and SARIF `partialFingerprints`.
//!
//! A fingerprint hashes the rule id, the finding's line text with whitespace collapsed, and
//! how many earlier findings in the same file share both. Adding or removing unrelated lines
//! above a finding changes none of these, so the fingerprint survives; a second copy of the
//! same bug gets a different occurrence index, so it is still new.

use crate::finding::Finding;
use std::collections::HashMap;

/// FNV-1a, 64 bit: tiny, stable across platforms and releases (unlike `std`'s hasher).
pub fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        // Separator so ("ab","c") and ("a","bc") differ.
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The whitespace-insensitive form of a line used in fingerprints.
pub fn normalize(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Fills in `fingerprint` for findings of one file, which must be in source order.
pub fn assign(findings: &mut [Finding]) {
    let mut seen = HashMap::new();
    for f in findings.iter_mut() {
        assign_next(&mut seen, f);
    }
}

/// Fills in `fingerprint` for the findings of one file and the call-rule findings folded
/// into them, all in source order, as [`assign`] numbers them before the folding.
pub fn assign_with_covered(findings: &mut [Finding]) {
    let mut order: Vec<(crate::finding::Position, String, usize, Option<usize>)> = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        order.push((f.start, f.rule_id.clone(), i, None));
        for (j, c) in f.covered.iter().enumerate() {
            order.push((c.start, c.rule_id.clone(), i, Some(j)));
        }
    }
    order.sort();
    let mut seen = HashMap::new();
    for (_, _, i, j) in order {
        match j {
            None => assign_next(&mut seen, &mut findings[i]),
            Some(j) => assign_next(&mut seen, &mut findings[i].covered[j]),
        }
    }
}

/// Fingerprints `f` as the next finding of its file; `seen` counts the earlier ones by key.
fn assign_next(seen: &mut HashMap<(String, String), usize>, f: &mut Finding) {
    // A map, not a scan of the earlier keys: a file with many findings must stay linear.
    let key = (f.rule_id.clone(), normalize(&f.line_text));
    let occurrence = seen.entry(key.clone()).or_insert(0);
    let h = fnv1a(&[
        key.0.as_bytes(),
        key.1.as_bytes(),
        occurrence.to_string().as_bytes(),
    ]);
    *occurrence += 1;
    f.fingerprint = format!("{h:016x}");
}
