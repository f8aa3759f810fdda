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

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    /// The process's anonymous resident memory, in kB, as the kernel counts it.
    fn rss_anon_kb() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
        status
            .lines()
            .find_map(|line| line.strip_prefix("RssAnon:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("RssAnon in /proc/self/status")
    }

    /// What start-up leaves behind, in miniature: 8 MB in blocks small enough for the heap
    /// (not their own mappings), touched, then freed below a block that stays alive, so glibc
    /// cannot give them back by itself. `release_freed` hands them back.
    #[test]
    fn memory_freed_below_a_live_block_goes_back_to_the_system() {
        let mut blocks: Vec<Vec<u8>> = (0..128).map(|_| vec![1u8; 64 * 1024]).collect();
        let pinned = vec![1u8; 1024];
        let before_free = rss_anon_kb();
        blocks.clear();
        blocks.shrink_to_fit();
        let after_free = rss_anon_kb();
        assert!(super::release_freed(), "glibc gave nothing back");
        let after_release = rss_anon_kb();
        assert!(
            after_free.saturating_sub(after_release) >= 4 * 1024,
            "freed 8 MB: RssAnon {before_free} kB, {after_free} kB after free, \
             {after_release} kB after release"
        );
        drop(pinned);
    }
}
