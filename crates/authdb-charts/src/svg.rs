//! Writing SVG text: escaping, ids and numbers.

/// `text` escaped for XML character data and attribute values (`&`, `<`, `>`, `"`, `'`),
/// with every character XML 1.0 cannot carry (most C0 controls, lone surrogates cannot
/// occur in a `str`, U+FFFE and U+FFFF) replaced by U+FFFD.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if allowed_in_xml(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

/// Whether XML 1.0 allows `c` in a document (its `Char` production, less the white space
/// that [`escape`] turns into spaces).
fn allowed_in_xml(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// `id` with everything but ASCII letters, digits, `-` and `_` replaced by `-`, starting
/// with a letter (`chart` when it is empty or does not).
pub(crate) fn sanitize_id(id: &str) -> String {
    let cleaned: String =
        id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect();
    if cleaned.starts_with(|c: char| c.is_ascii_alphabetic()) { cleaned } else { format!("chart-{cleaned}") }
}

/// A coordinate with one decimal: the same bytes for the same chart on every platform.
pub(crate) fn num(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    // `-0.0` would print as "-0.0".
    if rounded == 0.0 { "0".to_owned() } else { format!("{rounded:.1}").trim_end_matches(".0").to_owned() }
}

/// `text` cut to at most `max_chars` characters, the last of them an ellipsis when cut.
pub(crate) fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    if max_chars == 0 {
        return String::new();
    }
    let mut short: String = text.chars().take(max_chars - 1).collect();
    short.push('…');
    short
}
