//! Putting untrusted text into messages: a bad value from a snapshot, a policy or a request
//! is quoted by a bounded prefix on one line, so a 20 MB ARN cannot flood a terminal, a log
//! or a response, and a value with newlines cannot forge log lines.

use std::fmt::Write;

/// How many characters of a bad value a message quotes.
pub const QUOTE_CHARS: usize = 120;
/// How many characters one message may have at most.
pub const MESSAGE_CHARS: usize = 2_000;

/// `s` as a message may quote it: control characters escaped (one line) and, past
/// [`QUOTE_CHARS`] characters, cut with a note of its full length.
pub fn quote(s: &str) -> String {
    bounded(s, QUOTE_CHARS)
}

/// A whole message on one line and at most [`MESSAGE_CHARS`] characters (for messages that
/// embed text from elsewhere, such as a JSON parser's).
pub fn one_line(s: &str) -> String {
    bounded(s, MESSAGE_CHARS)
}

fn bounded(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max + 40));
    for (chars, c) in s.chars().enumerate() {
        if chars >= max {
            let _ = write!(out, "… ({} bytes in all)", s.len());
            return out;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_unchanged() {
        assert_eq!(
            quote("arn:aws:iam::111111111111:role/x"),
            "arn:aws:iam::111111111111:role/x"
        );
        assert_eq!(quote("é"), "é");
    }

    #[test]
    fn long_values_are_cut_and_lines_joined() {
        let long = "x".repeat(20_000_000);
        let q = quote(&long);
        assert_eq!(
            q.chars().count(),
            QUOTE_CHARS + "… (20000000 bytes in all)".chars().count()
        );
        assert!(q.ends_with("… (20000000 bytes in all)"));
        assert_eq!(quote("a\nb\r\u{1b}[31m"), "a\\nb\\r\\u{1b}[31m");
        assert!(!one_line(&"line\n".repeat(5_000)).contains('\n'));
    }
}
