//! The short code an SMS page carries, so that a reply can acknowledge: which code a page gets,
//! finding codes in a reply's text, and whether a reply came from the number a page went to.
//!
//! A code is six digits derived from the delivery id, so every retry of one page carries the
//! same code and nothing has to be read back before a resend. It is not a secret: a reply is
//! trusted because the provider signed it and it came from the paged contact's number; the code
//! only says *which* of that contact's pages the reply answers.

use jiff::Timestamp;
use sha2::{Digest, Sha256};

/// How many digits a code has: short to type on a phone, and one in a million that two pages to
/// the same person share one (the newer page wins then).
pub const DIGITS: usize = 6;

/// A code as stored with its delivery: a reply carrying `code`, on `channel`, from `contact`'s
/// number, acknowledges `incident_id` as `contact`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyCode {
    pub delivery_id: String,
    pub channel: String,
    pub code: String,
    pub incident_id: String,
    pub contact: String,
    pub created_at: Timestamp,
}

/// The code of the page with this delivery id: six decimal digits of its SHA-256.
pub fn for_delivery(delivery_id: &str) -> String {
    let digest = Sha256::digest(delivery_id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    let number = u64::from_be_bytes(first) % 1_000_000;
    format!("{number:06}")
}

/// Every run of exactly [`DIGITS`] digits in a reply, in order: `"ack 042137"`, `"042137"` and
/// `"OK 042137, on it"` each carry `042137`; a phone number or a longer number carries none.
pub fn codes_in(text: &str) -> Vec<String> {
    let mut codes = Vec::new();
    let mut run = String::new();
    for ch in text.chars().chain(std::iter::once(' ')) {
        if ch.is_ascii_digit() {
            run.push(ch);
        } else {
            if run.len() == DIGITS && !codes.contains(&run) {
                codes.push(run.clone());
            }
            run.clear();
        }
    }
    codes
}

/// A phone number reduced to its digits, the international `00` prefix dropped: providers write
/// the same number as `+966500000001`, `966500000001` or `00966500000001`.
pub fn number_digits(number: &str) -> String {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    match digits.strip_prefix("00") {
        Some(rest) if !number.trim_start().starts_with('+') => rest.to_owned(),
        _ => digits,
    }
}

/// Whether two ways of writing a phone number name the same number. An empty number matches
/// nothing.
pub fn same_number(a: &str, b: &str) -> bool {
    let (a, b) = (number_digits(a), number_digits(b));
    !a.is_empty() && a == b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_keeps_its_code_and_codes_differ_between_pages() {
        let code = for_delivery("dlv_abc");
        assert_eq!(code.len(), DIGITS);
        assert!(code.chars().all(|c| c.is_ascii_digit()));
        assert_eq!(code, for_delivery("dlv_abc"));
        assert_ne!(code, for_delivery("dlv_abd"));
    }

    #[test]
    fn codes_are_found_among_words_but_not_inside_longer_numbers() {
        assert_eq!(codes_in("042137"), ["042137"]);
        assert_eq!(codes_in("ack 042137, on it"), ["042137"]);
        assert_eq!(codes_in("ACK042137"), ["042137"]);
        assert!(codes_in("+966500000001").is_empty());
        assert!(codes_in("12345").is_empty());
        assert_eq!(codes_in("111111 222222 111111"), ["111111", "222222"]);
    }

    #[test]
    fn numbers_compare_by_their_digits() {
        assert!(same_number("+966 50 000 0001", "966500000001"));
        assert!(same_number("00966500000001", "+966500000001"));
        assert!(!same_number("+966500000001", "+966500000002"));
        assert!(!same_number("", ""));
    }
}
