//! Hands the memory that start-up freed back to the system, and keeps large blocks (a sign-in's
//! 19 MiB Argon2 memory) from staying in glibc's heaps after they are freed.

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

/// Allocations of [`MAPPED_FROM`] or more get their own mapping, returned to the system when
/// freed (`mallopt(M_MMAP_THRESHOLD)`); returns whether glibc took the setting.
///
/// glibc raises that threshold by itself each time a mapped block is freed, up to 32 MiB, so
/// after the first sign-in each 19 MiB Argon2 block came from a thread's heap instead, and stayed
/// there: a burst of sign-ins on a dozen blocking threads left ~285 MB resident for good
/// (`scripts/abuse`). Setting the threshold turns the raising off.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[expect(unsafe_code, reason = "glibc's mallopt is only reachable through FFI")]
pub fn map_large_allocations() -> bool {
    let bytes = libc::c_int::try_from(MAPPED_FROM).unwrap_or(libc::c_int::MAX);
    // SAFETY: mallopt takes no pointers and changes only glibc's own allocation parameters,
    // under its own lock; any thread may call it at any time.
    unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, bytes) == 1 }
}

/// Elsewhere the allocator has no such knob.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn map_large_allocations() -> bool {
    false
}

/// The size from which an allocation gets its own mapping: far above what requests and pages
/// allocate, far below a password check's memory.
pub const MAPPED_FROM: usize = 1024 * 1024;

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
