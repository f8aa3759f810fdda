//! The public bodies on the wire: compressed (brotli, gzip) and answered in the encoding the
//! request's `Accept-Encoding` prefers — brotli where it ties, then gzip, then the body as is.

use std::io::Write as _;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::public_headers;

/// Brotli for bodies compressed once per snapshot and served many times. Measured on the page
/// of 1,000 components (575 KB) and its summary.json (309 KB): 17 and 13 ms at 9, for 4.9 and
/// 3.7 KB; 10 and 11 save 0.6 KB on the page but take 63 and 156 ms, and 11 took a second on
/// the JSON (and 1.9 s on a page of 1,000 varied bars): too slow to redo on every change during
/// an incident.
const BROTLI_CACHED: u32 = 9;
/// A quick brotli for a body compressed for one answer (still smaller than gzip's best).
const BROTLI_ONCE: u32 = 5;
/// Brotli's window: 4 MiB back, so a repeat anywhere in a large page is found.
const BROTLI_WINDOW: u32 = 22;

/// A content coding tocsin can answer in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    /// The `Content-Encoding` token; `None` for the body as is.
    fn token(self) -> Option<&'static str> {
        match self {
            Encoding::Brotli => Some("br"),
            Encoding::Gzip => Some("gzip"),
            Encoding::Identity => None,
        }
    }
}

/// The encoding to answer `request` in. Each coding's weight is its own `q`, else that of `*`;
/// one not named (nor `*`) is not accepted, and `q=0` refuses. The heavier of brotli and gzip
/// wins, brotli on a tie; the body goes as is when neither is accepted or when `identity` is
/// named with a greater weight.
pub(crate) fn negotiate(request: &HeaderMap) -> Encoding {
    let any = weight(request, "*");
    let brotli = weight(request, "br").or(any).unwrap_or(0.0);
    let gzip = weight(request, "gzip").or(any).unwrap_or(0.0);
    let (best, q) = if brotli >= gzip {
        (Encoding::Brotli, brotli)
    } else {
        (Encoding::Gzip, gzip)
    };
    let identity = weight(request, "identity");
    if q > 0.0 && identity.is_none_or(|identity| q >= identity) {
        best
    } else {
        Encoding::Identity
    }
}

/// The `q` that `Accept-Encoding` gives `coding`, when it names it (1 without a `q`, or with one
/// that does not parse).
fn weight(request: &HeaderMap, coding: &str) -> Option<f32> {
    request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .find_map(|item| {
            let mut parts = item.split(';').map(str::trim);
            if !parts.next()?.eq_ignore_ascii_case(coding) {
                return None;
            }
            let q = parts
                .filter_map(|param| {
                    param
                        .strip_prefix("q=")
                        .or_else(|| param.strip_prefix("Q="))
                })
                .find_map(|q| q.trim().parse::<f32>().ok());
            Some(q.unwrap_or(1.0))
        })
}

/// A body ready to send many times: as is, gzipped and brotli-compressed, each done once.
pub(crate) struct Rendered {
    content_type: &'static str,
    body: Bytes,
    gzip: Option<Bytes>,
    brotli: Option<Bytes>,
}

impl Rendered {
    pub(crate) fn new(content_type: &'static str, body: String) -> Self {
        let gzip = gzip(body.as_bytes(), flate2::Compression::best());
        let brotli = brotli(body.as_bytes(), BROTLI_CACHED);
        Rendered {
            content_type,
            body: Bytes::from(body),
            gzip,
            brotli,
        }
    }

    /// The response in the encoding `request` prefers (as is, should compressing have failed).
    pub(crate) fn respond(&self, request: &HeaderMap, cors: bool) -> Response {
        let (encoding, bytes) = match negotiate(request) {
            Encoding::Brotli => self.brotli.as_ref().map(|b| (Encoding::Brotli, b)),
            Encoding::Gzip => self.gzip.as_ref().map(|b| (Encoding::Gzip, b)),
            Encoding::Identity => None,
        }
        .unwrap_or((Encoding::Identity, &self.body));
        answer(self.content_type, encoding, bytes.clone(), cors)
    }
}

/// A body built for one answer: compressed quickly, and only the way `request` asks.
pub(crate) fn respond_once(
    content_type: &'static str,
    body: String,
    request: &HeaderMap,
    cors: bool,
) -> Response {
    let compressed = match negotiate(request) {
        Encoding::Brotli => brotli(body.as_bytes(), BROTLI_ONCE).map(|b| (Encoding::Brotli, b)),
        Encoding::Gzip => {
            gzip(body.as_bytes(), flate2::Compression::default()).map(|b| (Encoding::Gzip, b))
        }
        Encoding::Identity => None,
    };
    let (encoding, bytes) = compressed.unwrap_or((Encoding::Identity, Bytes::from(body)));
    answer(content_type, encoding, bytes, cors)
}

fn answer(content_type: &'static str, encoding: Encoding, body: Bytes, cors: bool) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    if let Some(token) = encoding.token() {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(token));
    }
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Every answer depends on Accept-Encoding, the identity one too: a cache must not hand it
    // (or a compressed one) to a client that asked differently.
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    public_headers(headers, cors);
    response
}

/// Writing to a `Vec` cannot fail; should it somehow, the caller sends the body as is.
fn gzip(body: &[u8], level: flate2::Compression) -> Option<Bytes> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 8), level);
    encoder
        .write_all(body)
        .and_then(|()| encoder.finish())
        .ok()
        .map(Bytes::from)
}

fn brotli(body: &[u8], quality: u32) -> Option<Bytes> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: i32::try_from(quality).unwrap_or(11),
        lgwin: i32::try_from(BROTLI_WINDOW).unwrap_or(22),
        size_hint: body.len(),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(body.len() / 8);
    brotli::BrotliCompress(&mut &body[..], &mut out, &params)
        .ok()
        .map(|_| Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    fn accepting(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).expect("a header value"),
        );
        headers
    }

    #[test]
    fn brotli_is_preferred_when_accepted_then_gzip_then_the_body_as_is() {
        for (accept, expected) in [
            ("br, gzip", Encoding::Brotli),
            ("gzip, deflate, br, zstd", Encoding::Brotli),
            ("gzip", Encoding::Gzip),
            ("GZIP", Encoding::Gzip),
            ("deflate", Encoding::Identity),
            ("", Encoding::Identity),
            ("*", Encoding::Brotli),
            ("br;q=0, gzip", Encoding::Gzip),
            ("br;q=0, *", Encoding::Gzip),
            ("gzip;q=0, br;q=0", Encoding::Identity),
            ("gzip;q=1, br;q=0.5", Encoding::Gzip),
            ("br;q=0.5, gzip;q=0.5", Encoding::Brotli),
            ("gzip;q=0.5, identity", Encoding::Identity),
            ("gzip, identity;q=0.5", Encoding::Gzip),
            ("*;q=0", Encoding::Identity),
        ] {
            assert_eq!(negotiate(&accepting(accept)), expected, "{accept:?}");
        }
        assert_eq!(negotiate(&HeaderMap::new()), Encoding::Identity);
        let mut split = HeaderMap::new();
        split.append(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        split.append(header::ACCEPT_ENCODING, HeaderValue::from_static("br"));
        assert_eq!(negotiate(&split), Encoding::Brotli, "two header lines");
    }

    #[test]
    fn each_encoding_decodes_to_the_same_body() {
        let body = "<p>مرحبا</p>".repeat(500);
        let rendered = Rendered::new("text/html; charset=utf-8", body.clone());
        let mut from_brotli = String::new();
        brotli::Decompressor::new(rendered.brotli.as_deref().expect("brotli"), 4096)
            .read_to_string(&mut from_brotli)
            .expect("brotli decodes");
        let mut from_gzip = String::new();
        flate2::read::GzDecoder::new(rendered.gzip.as_deref().expect("gzip"))
            .read_to_string(&mut from_gzip)
            .expect("gzip decodes");
        assert_eq!(from_brotli, body);
        assert_eq!(from_gzip, body);
        assert_eq!(rendered.body, body.as_bytes());
    }
}
