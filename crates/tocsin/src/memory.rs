//! Hands the memory that start-up freed back to the system.

/// Asks glibc's allocator to return its free pages to the system (`malloc_trim(0)`); returns
/// whether it gave any back.
///
/// Start-up parses the configuration, runs the migrations and reads every monitor; glibc keeps
/// what those freed in its heaps (it returns memory only from the top of a heap, and only past
/// a threshold), so without this a freshly started tocsin holds ~1.5 MB it never uses again —
/// a fifth of its anonymous memory at idle. Called once, when serving begins; glibc locks each
/// arena in turn while it walks them, which costs nothing at that moment.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[expect(
    unsafe_code,
    reason = "glibc's malloc_trim is only reachable through FFI"
)]
pub fn release_freed() -> bool {
    // SAFETY: malloc_trim takes no pointers and touches only glibc's own free lists, which it
    // locks while it works; any thread may call it at any time.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// Elsewhere (musl, macOS) the allocator returns freed memory itself, or offers no such call.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_freed() -> bool {
    false
}

#[cfg(test)]
mod tests {
    /// The call is safe to make at any time, also twice in a row with nothing freed between.
    #[test]
    fn releasing_twice_is_harmless() {
        let _ = super::release_freed();
        let _ = super::release_freed();
    }
}
