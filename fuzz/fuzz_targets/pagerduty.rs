//! Fuzzes PagerDuty alert and change event parsing, and turning valid ones into signals.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin_core::inbound::pagerduty;

fuzz_target!(|data: &[u8]| {
    let ctx = tocsin_fuzz::ctx();
    if let Ok(event) = pagerduty::parse_event(data) {
        let _ = event.into_inbound(&ctx, "generated");
    }
    if let Ok(change) = pagerduty::parse_change(data) {
        let _ = change.into_change(&ctx);
    }
});
