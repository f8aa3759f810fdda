//! Whether the log on standard error gets ANSI colours: only on a terminal, and never when
//! `NO_COLOR` is set to anything non-empty (<https://no-color.org>). A log piped into a file,
//! journald or a collector stays plain text.

use std::ffi::OsStr;

/// Colours for a log written to a terminal (`is_terminal`) with `NO_COLOR` as given.
pub fn wanted(is_terminal: bool, no_color: Option<&OsStr>) -> bool {
    is_terminal && no_color.is_none_or(OsStr::is_empty)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_only_on_a_terminal_without_no_color() {
        assert!(wanted(true, None));
        assert!(wanted(true, Some(OsStr::new(""))));
        assert!(!wanted(true, Some(OsStr::new("1"))));
        assert!(!wanted(false, None));
    }
}
