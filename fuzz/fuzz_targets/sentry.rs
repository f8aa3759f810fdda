//! Fuzzes Sentry webhook parsing (first line: the `Sentry-Hook-Resource` header) and signature
//! checking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin_core::inbound::sentry;

fuzz_target!(|data: &[u8]| {
    let (resource, body) = tocsin_fuzz::split(data);
    let resource = (!resource.is_empty()).then_some(resource.as_str());
    let _ = sentry::parse(resource, body, &tocsin_fuzz::ctx());
    let _ = sentry::verify_signature(b"secret", resource, body);
});
