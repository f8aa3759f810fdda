//! Fuzzes GitHub webhook parsing (first line: the `X-GitHub-Event` header) and signature checking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin_core::inbound::github;

fuzz_target!(|data: &[u8]| {
    let (event, body) = tocsin_fuzz::split(data);
    let ctx = tocsin_fuzz::ctx();
    let _ = github::parse(&event, body, &ctx);
    // The named events get deep coverage whatever the first line says.
    for event in ["push", "pull_request", "deployment", "deployment_status"] {
        let _ = github::parse(event, body, &ctx);
    }
    let _ = github::verify_signature(b"secret", Some(&event), body);
});
