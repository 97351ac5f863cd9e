//! IAM wildcard patterns: `*` matches any run of characters (including none), `?` exactly one.
//!
//! Besides matching a concrete string, patterns can be compared with each other:
//! [`intersects`] (some string matches both) and [`covers`] (every string the second
//! matches, the first matches too). The analyser needs both because it asks questions about
//! *sets* of resources, e.g. "can P read some object in bucket B" (`B/*`).

/// Stands for a literal `*` in a pattern (the policy-variable escape `${*}`).
pub const LITERAL_STAR: char = '\u{E000}';
/// Stands for a literal `?` in a pattern (the policy-variable escape `${?}`).
pub const LITERAL_QUESTION: char = '\u{E001}';

/// `true` if `text` matches the glob `pattern`.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    // Both escapes start with the UTF-8 byte 0xEE; the byte test keeps the common path fast.
    if pattern.as_bytes().contains(&0xEE) && pattern.contains([LITERAL_STAR, LITERAL_QUESTION]) {
        return token_match(&tokens(pattern), &text.chars().collect::<Vec<_>>());
    }
    let p = pattern.as_bytes();
    let t = text.as_bytes();
    // Iterative matcher with single backtrack point; linear in practice.
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<usize> = None;
    let mut mark = 0usize;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == t[ti]) && p[pi] != b'*' {
            if p[pi] == b'?' {
                // `?` is one character, not one byte
                ti += utf8_len(t[ti]);
            } else {
                ti += 1;
            }
            pi += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += utf8_len(t[mark]);
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tok {
    Star,
    Any,
    Ch(char),
}

/// Glob match over tokens (used when a pattern holds escaped literals).
fn token_match(p: &[Tok], t: &[char]) -> bool {
    // dp[j]: p[..i] matches t[..j]
    let mut dp = vec![false; t.len() + 1];
    dp[0] = true;
    for tok in p {
        let mut next = vec![false; t.len() + 1];
        match tok {
            Tok::Star => {
                let mut any = false;
                for j in 0..=t.len() {
                    any |= dp[j];
                    next[j] = any;
                }
            }
            Tok::Any => next[1..].copy_from_slice(&dp[..t.len()]),
            Tok::Ch(c) => {
                for j in 1..=t.len() {
                    next[j] = dp[j - 1] && t[j - 1] == *c;
                }
            }
        }
        dp = next;
    }
    dp[t.len()]
}

fn tokens(p: &str) -> Vec<Tok> {
    let mut out = Vec::with_capacity(p.len());
    for c in p.chars() {
        let t = match c {
            '*' => Tok::Star,
            '?' => Tok::Any,
            LITERAL_STAR => Tok::Ch('*'),
            LITERAL_QUESTION => Tok::Ch('?'),
            c => Tok::Ch(c),
        };
        // consecutive stars are one star
        if t == Tok::Star && out.last() == Some(&Tok::Star) {
            continue;
        }
        out.push(t);
    }
    out
}

/// `true` if some string matches both patterns.
pub fn intersects(a: &str, b: &str) -> bool {
    let a = tokens(a);
    let b = tokens(b);
    let w = b.len() + 1;
    // memo[i * w + j]: 0 unknown, 1 false, 2 true
    let mut memo = vec![0u8; (a.len() + 1) * w];
    fn go(a: &[Tok], b: &[Tok], i: usize, j: usize, w: usize, memo: &mut [u8]) -> bool {
        let k = i * w + j;
        if memo[k] != 0 {
            return memo[k] == 2;
        }
        let r = match (a.get(i), b.get(j)) {
            (None, None) => true,
            (Some(Tok::Star), _) => {
                go(a, b, i + 1, j, w, memo) || (j < b.len() && go(a, b, i, j + 1, w, memo))
            }
            (_, Some(Tok::Star)) => {
                go(a, b, i, j + 1, w, memo) || (i < a.len() && go(a, b, i + 1, j, w, memo))
            }
            (None, Some(_)) | (Some(_), None) => false,
            (Some(x), Some(y)) => {
                let compatible = match (x, y) {
                    (Tok::Ch(c), Tok::Ch(d)) => c == d,
                    _ => true,
                };
                compatible && go(a, b, i + 1, j + 1, w, memo)
            }
        };
        memo[k] = if r { 2 } else { 1 };
        r
    }
    go(&a, &b, 0, 0, w, &mut memo)
}

/// `true` if every string matching `inner` also matches `outer`.
///
/// Sound (never claims containment that does not hold); exact for patterns where a `?` in
/// `inner` is never needed to be absorbed by a literal of `outer`, which covers real policies.
pub fn covers(outer: &str, inner: &str) -> bool {
    let a = tokens(outer);
    let b = tokens(inner);
    let w = b.len() + 1;
    let mut memo = vec![0u8; (a.len() + 1) * w];
    fn go(a: &[Tok], b: &[Tok], i: usize, j: usize, w: usize, memo: &mut [u8]) -> bool {
        let k = i * w + j;
        if memo[k] != 0 {
            return memo[k] == 2;
        }
        let r = match (a.get(i), b.get(j)) {
            (None, None) => true,
            // outer's star absorbs any run of inner tokens, stars included
            (Some(Tok::Star), _) => {
                go(a, b, i + 1, j, w, memo) || (j < b.len() && go(a, b, i, j + 1, w, memo))
            }
            (_, Some(Tok::Star)) => false,
            (None, Some(_)) | (Some(_), None) => false,
            (Some(Tok::Any), Some(_)) => go(a, b, i + 1, j + 1, w, memo),
            (Some(Tok::Ch(c)), Some(Tok::Ch(d))) => c == d && go(a, b, i + 1, j + 1, w, memo),
            (Some(Tok::Ch(_)), Some(Tok::Any)) => false,
        };
        memo[k] = if r { 2 } else { 1 };
        r
    }
    go(&a, &b, 0, 0, w, &mut memo)
}

/// Splits an ARN or ARN pattern on its first five colons; `None` if it has fewer.
pub fn arn_segments(s: &str) -> Option<[&str; 6]> {
    let mut out = [""; 6];
    let mut rest = s;
    for slot in out.iter_mut().take(5) {
        let i = rest.find(':')?;
        *slot = &rest[..i];
        rest = &rest[i + 1..];
    }
    out[5] = rest;
    Some(out)
}

/// How two ARN patterns are compared segment by segment.
#[derive(Clone, Copy)]
pub enum ArnRelation {
    Matches,
    Intersects,
    Covers,
}

/// Compares an ARN pattern from a policy with a request ARN (or ARN pattern): the first five
/// segments case-insensitively, the resource part case-sensitively, `*` never spanning a
/// segment boundary before the resource part (IAM user guide, Resource element).
pub fn arn_relation(policy: &str, request: &str, rel: ArnRelation) -> bool {
    if policy == "*" {
        return true;
    }
    let cmp = |p: &str, r: &str| match rel {
        ArnRelation::Matches => glob_match(p, r),
        ArnRelation::Intersects => intersects(p, r),
        ArnRelation::Covers => covers(p, r),
    };
    let f = |p: &str, r: &str, ci: bool| -> bool {
        if p == "*" || (p == r && !p.contains(['*', '?'])) {
            return true;
        }
        let has_upper = |s: &str| s.bytes().any(|b| b.is_ascii_uppercase());
        if ci && (has_upper(p) || has_upper(r)) {
            cmp(&p.to_ascii_lowercase(), &r.to_ascii_lowercase())
        } else {
            cmp(p, r)
        }
    };
    match (arn_segments(policy), arn_segments(request)) {
        (Some(p), Some(r)) => (0..6).all(|i| f(p[i], r[i], i < 5)),
        // Not ARN-shaped on one side: compare as whole strings.
        _ => f(policy, request, false),
    }
}

/// ARN condition operators (`ArnLike`, `ArnEquals`, …): each of the six colon-separated
/// parts is matched on its own, case-sensitively (IAM user guide, ARN condition operators).
pub fn arn_condition_match(policy: &str, request: &str) -> bool {
    match (arn_segments(policy), arn_segments(request)) {
        (Some(p), Some(r)) => (0..6).all(|i| p[i] == "*" || glob_match(p[i], r[i])),
        _ => glob_match(policy, request),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_globs() {
        assert!(glob_match("*", ""));
        assert!(glob_match("s3:get*", "s3:getobject"));
        assert!(!glob_match("s3:get*", "s3:putobject"));
        assert!(glob_match("a?c", "abc"));
        assert!(glob_match("a?c", "aéc"));
        assert!(!glob_match("a?c", "ac"));
        assert!(glob_match("*a*b*", "xxaxxbxx"));
        assert!(!glob_match("*a*b", "xxaxxbxxa"));
    }

    #[test]
    fn pattern_relations() {
        assert!(intersects("bucket/public/*", "bucket/*"));
        assert!(!intersects("other/*", "bucket/*"));
        assert!(covers("bucket/*", "bucket/*"));
        assert!(covers("*", "bucket/*"));
        assert!(!covers("bucket/public/*", "bucket/*"));
        assert!(!covers("bucket/?", "bucket/*"));
        assert!(covers("b*t/*", "bucket/*"));
    }

    #[test]
    fn arn_segment_rules() {
        let m = |p, r| arn_relation(p, r, ArnRelation::Matches);
        assert!(m(
            "arn:aws:iam::*:role/x",
            "arn:aws:iam::111111111111:role/x"
        ));
        assert!(m(
            "arn:AWS:IAM::*:role/x",
            "arn:aws:iam::111111111111:role/x"
        ));
        assert!(!m(
            "arn:aws:iam::*:role/X",
            "arn:aws:iam::111111111111:role/x"
        ));
        assert!(!m("arn:aws:iam::*:role/x", "arn:aws:iam::1:2:role/x"));
        assert!(m("arn:aws:s3:::b/*", "arn:aws:s3:::b/k:with:colon"));
    }
}
