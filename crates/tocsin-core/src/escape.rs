//! Escaping text from outside (alert titles, names, URLs) for markup: one function for every
//! place tocsin writes HTML or XML, so none of them forgets a character.

/// Escapes text for HTML or XML element content and double- or single-quoted attribute values:
/// `&`, `<`, `>`, `"` and `'` become references (`&#39;` is valid in both HTML and XML).
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn markup_and_quotes_become_references_and_nothing_else_changes() {
        assert_eq!(
            super::html("{{ 7*7 }} <script>alert('x')</script> & \"y\" — مرحبا"),
            "{{ 7*7 }} &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot; — مرحبا"
        );
    }
}
