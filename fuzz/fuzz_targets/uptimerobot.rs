//! Fuzzes UptimeRobot parsing as JSON, form and query string (first line: the query string).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin_core::inbound::uptimerobot;

fuzz_target!(|data: &[u8]| {
    let (query, body) = tocsin_fuzz::split(data);
    let ctx = tocsin_fuzz::ctx();
    for content_type in [
        None,
        Some("application/json"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let _ = uptimerobot::parse(body, content_type, Some(&query), &ctx);
    }
    let _ = uptimerobot::parse(b"", None, std::str::from_utf8(data).ok(), &ctx);
});
