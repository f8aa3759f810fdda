//! Just enough MIME reading for tests to look inside what a sender wrote: headers (unfolded,
//! RFC 2047 words decoded), multipart bodies split on their boundary, and quoted-printable or base64
//! parts decoded. Not a general parser: it assumes UTF-8 text parts, which is what tocsin sends.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// One leaf part of a message (a text/plain or text/html alternative, say), decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailPart {
    /// The `Content-Type` value, parameters included (`text/plain; charset=utf-8`).
    pub content_type: String,
    /// The part's `Content-Transfer-Encoding` as sent (`7bit`, `quoted-printable`, `base64`…).
    pub transfer_encoding: String,
    /// The decoded text, line endings turned from the wire's CRLF into `\n` so tests can compare
    /// with what the sender rendered.
    pub text: String,
}

/// Splits a raw entity (headers, blank line, body) into its unfolded headers and its body.
pub(crate) fn split(raw: &str) -> (Vec<(String, String)>, &str) {
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .or_else(|| raw.split_once("\n\n"))
        .unwrap_or((raw, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with([' ', '\t']) {
            // A folded continuation of the previous header.
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    (headers, body)
}

pub(crate) fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// The leaf parts of an entity, depth first.
pub(crate) fn parts(raw: &str) -> Vec<MailPart> {
    let (headers, body) = split(raw);
    let content_type = header(&headers, "content-type")
        .unwrap_or("text/plain")
        .to_owned();
    if content_type.to_ascii_lowercase().starts_with("multipart/") {
        let Some(boundary) = parameter(&content_type, "boundary") else {
            return Vec::new();
        };
        let delimiter = format!("--{boundary}");
        return body
            .split(delimiter.as_str())
            // Before the first delimiter is the preamble; after the closing `--` the epilogue.
            .skip(1)
            .take_while(|part| !part.starts_with("--"))
            .flat_map(|part| {
                let part = part.strip_prefix("\r\n").unwrap_or(part);
                parts(part.strip_suffix("\r\n").unwrap_or(part))
            })
            .collect();
    }
    let transfer_encoding = header(&headers, "content-transfer-encoding")
        .unwrap_or("7bit")
        .to_ascii_lowercase();
    let bytes = match transfer_encoding.as_str() {
        "base64" => {
            let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            STANDARD.decode(compact).unwrap_or_default()
        }
        "quoted-printable" => quoted_printable(body),
        _ => body.as_bytes().to_vec(),
    };
    vec![MailPart {
        content_type,
        transfer_encoding,
        text: String::from_utf8_lossy(&bytes).replace("\r\n", "\n"),
    }]
}

/// A `name=value` or `name="value"` parameter of a structured header value.
fn parameter(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// RFC 2045 §6.7: `=XX` is a byte, `=` at a line's end is a soft break.
fn quoted_printable(text: &str) -> Vec<u8> {
    let text = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && let Some(byte) = bytes.get(i + 1..i + 3).and_then(hex_byte)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn hex_byte(pair: &[u8]) -> Option<u8> {
    let pair = std::str::from_utf8(pair).ok()?;
    u8::from_str_radix(pair, 16).ok()
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`) in a header value; the
/// whitespace between two adjacent encoded words is dropped, as the RFC says.
pub(crate) fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, candidate) = rest.split_at(start);
        let Some((decoded, len)) = encoded_word(candidate) else {
            out.push_str(&rest[..start + 2]);
            rest = &rest[start + 2..];
            after_word = false;
            continue;
        };
        if !(after_word && before.trim().is_empty()) {
            out.push_str(before);
        }
        out.push_str(&decoded);
        rest = &candidate[len..];
        after_word = true;
    }
    out.push_str(rest);
    out
}

/// One encoded word at the start of `text`: its decoded text and its length.
fn encoded_word(text: &str) -> Option<(String, usize)> {
    let inner = text.strip_prefix("=?")?;
    let (_charset, inner) = inner.split_once('?')?;
    let (encoding, inner) = inner.split_once('?')?;
    let end = inner.find("?=")?;
    let payload = &inner[..end];
    let bytes = match encoding {
        "b" | "B" => STANDARD.decode(payload).ok()?,
        "q" | "Q" => quoted_printable(&payload.replace('_', " ")),
        _ => return None,
    };
    let len = text.len() - inner.len() + end + 2;
    Some((String::from_utf8_lossy(&bytes).into_owned(), len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_words_decode_and_join() {
        assert_eq!(decode_words("plain"), "plain");
        assert_eq!(
            decode_words("=?utf-8?b?2KrYudi32YQ=?= =?utf-8?q?_x=3Dy?= tail"),
            "تعطل x=y tail"
        );
        assert_eq!(decode_words("a =?bogus b"), "a =?bogus b");
    }

    #[test]
    fn quoted_printable_decodes_bytes_and_soft_breaks() {
        assert_eq!(
            String::from_utf8(quoted_printable("a=3Db=\r\nc =D8=AA")).expect("utf-8"),
            "a=bc ت"
        );
    }

    #[test]
    fn multipart_bodies_split_into_decoded_parts() {
        let raw = "Content-Type: multipart/alternative;\r\n boundary=\"XyZ\"\r\n\r\n\
                   preamble\r\n--XyZ\r\nContent-Type: text/plain; charset=utf-8\r\n\
                   Content-Transfer-Encoding: base64\r\n\r\n2KrYudi32YQ=\r\n--XyZ\r\n\
                   Content-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
                   <p dir=3D\"rtl\">x</p>=\r\n\r\nline two\r\n--XyZ--\r\n";
        let parts = parts(raw);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].content_type, "text/plain; charset=utf-8");
        assert_eq!(parts[0].text, "تعطل");
        assert_eq!(parts[1].transfer_encoding, "quoted-printable");
        assert_eq!(parts[1].text, "<p dir=\"rtl\">x</p>\nline two");
    }
}
