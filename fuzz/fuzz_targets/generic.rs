//! Fuzzes the generic format's parsing and Standard Webhooks verification (first line: the
//! signature header; the timestamp header is derived from the input so skew paths run too).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin_core::inbound::generic;

fuzz_target!(|data: &[u8]| {
    let ctx = tocsin_fuzz::ctx();
    let _ = generic::parse(data, &ctx);
    let (signature, body) = tocsin_fuzz::split(data);
    let timestamp = signature.split(' ').next().unwrap_or_default();
    let _ = generic::verify(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        Some("msg_fuzz"),
        Some(timestamp),
        Some(&signature),
        body,
        ctx.now,
    );
    let _ = generic::verify(
        &signature,
        Some("msg_fuzz"),
        Some("1772366400"),
        Some("v1,AAAA"),
        body,
        ctx.now,
    );
});
