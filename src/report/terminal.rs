//! Making text from scanned files safe to print on a terminal.

/// Whether a character must not reach a terminal raw: C0/C1 controls (ESC starts escape
/// sequences, BEL rings, CR and backspace overwrite what was printed) and the bidirectional
/// overrides and isolates that can make code read differently from what it is.
fn is_dangerous(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Replaces dangerous characters with visible escapes (`\x1b`, `\u{202e}`); tabs become
/// a single space so underlines stay aligned.
pub fn escape(text: &str) -> String {
    if !text.chars().any(|c| is_dangerous(c) || c == '\t') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '\t' {
            out.push(' ');
        } else if is_dangerous(c) {
            let n = c as u32;
            if n < 0x100 {
                out.push_str(&format!("\\x{n:02x}"));
            } else {
                out.push_str(&format!("\\u{{{n:04x}}}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_controls_and_bidi() {
        assert_eq!(escape("a\x1b[31mb"), "a\\x1b[31mb");
        assert_eq!(escape("x\u{202E}y"), "x\\u{202e}y");
        assert_eq!(escape("a\tb\r"), "a b\\x0d");
        assert_eq!(escape("plain é"), "plain é");
    }
}
