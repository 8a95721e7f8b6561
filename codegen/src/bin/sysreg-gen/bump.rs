//! The process allocator of `sysreg-gen`: a bump allocator.
//!
//! `sysreg-gen` lives for a few milliseconds and its memory is released when it exits, so
//! freeing small blocks one by one is wasted work: a run over the newest kernel database makes
//! some 9 000 small allocations (names, enum values, layout vectors), which cost about a fifth
//! of its instructions under the system allocator. Here small blocks are carved in order out of
//! 1 MiB chunks and never reused, except that the most recent block can grow or be given back in
//! place (the common `Vec` growth pattern). Blocks of [`LARGE`] bytes or more (input files,
//! output buffers, the line tables of a 100 MB input) go to the system allocator and are freed
//! normally, so garbage stays bounded by the small blocks' total; the exception is the one
//! region the program asks to have prefaulted ([`Bump::prefault`]), sized for the whole run,
//! which large blocks are carved from too while they fit.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Blocks at least this big bypass the bump chunks.
const LARGE: usize = 64 * 1024;
/// Size of each chunk small blocks are carved from. Its pages are only faulted in as they are
/// used. (Backing it with a transparent huge page was tried and is slower: the kernel zeroes the
/// whole 2 MiB at the first touch, 130-340 us on the CI machine kind, several times what the
/// 4 KiB pages a run on the kernel's database touches cost.)
const CHUNK: usize = 1024 * 1024;
/// Alignment of the chunks: a page.
const CHUNK_ALIGN: usize = 4096;

/// The first chunk, for what is allocated before [`Bump::prefault`] (the command line, a few
/// hundred bytes): part of the executable's zero-initialised data, so the first allocation
/// costs neither the C library's allocator set-up nor a `mmap` of a whole chunk (together
/// several system calls and page faults, a percent of a `c-header` run). The first thread to
/// allocate takes it.
#[repr(C, align(4096))]
struct FirstChunk(std::cell::UnsafeCell<[u8; FIRST_CHUNK]>);

const FIRST_CHUNK: usize = 16 * 1024;

// SAFETY: only the thread that wins `FIRST_CHUNK_TAKEN` ever touches the memory.
unsafe impl Sync for FirstChunk {}

static FIRST: FirstChunk = FirstChunk(std::cell::UnsafeCell::new([0; FIRST_CHUNK]));
static FIRST_CHUNK_TAKEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The allocator; its state is per thread (see [`STATE`]).
pub struct Bump;

/// The chunk a thread carves its blocks from. Per thread rather than behind a lock: the program
/// is single-threaded, and an atomic read-modify-write per allocation was a measurable part of
/// its run (some 14 000 allocations). A constant-initialised thread-local without a destructor
/// is a plain load from the thread's TLS block, and is never torn down.
#[derive(Clone, Copy)]
struct State {
    /// Start of the current chunk, next free byte in it, and its end (all 0 before the first).
    start: usize,
    next: usize,
    end: usize,
}

/// The prefaulted region (start, end), set once by [`Bump::prefault`]. Global rather than per
/// thread, because any thread may free a block: one inside this region is the bump's, whatever
/// its size, and must never reach the system allocator.
static PREFAULTED: [AtomicUsize; 2] = [AtomicUsize::new(0), AtomicUsize::new(0)];

/// Whether `block` lies in the prefaulted region.
fn prefaulted(block: *mut u8) -> bool {
    let at = block as usize;
    at >= PREFAULTED[0].load(Ordering::Relaxed) && at < PREFAULTED[1].load(Ordering::Relaxed)
}

thread_local! {
    static STATE: Cell<State> = const { Cell::new(State { start: 0, next: 0, end: 0 }) };
}

impl Bump {
    pub const fn new() -> Bump {
        Bump
    }

    /// Makes the next `bytes` of small blocks come from memory faulted in by one system call
    /// (`MAP_POPULATE`) rather than one page fault per page as they are first written: on the CI
    /// machine kind a page fault costs about 1.3 us, populating about half that. Worth it only
    /// for memory that will be used; the caller sizes it from the input. Only a hint: on failure
    /// (or off Linux) blocks come from lazily faulted chunks as before. Applies to the calling
    /// thread; only the first call has an effect. Large blocks are carved from this region too
    /// while they fit: the input file and the output buffer then land in memory already faulted
    /// in, instead of each of their pages faulting on first use.
    pub fn prefault(&self, bytes: usize) {
        let len = bytes.next_multiple_of(4096);
        if len == 0 || PREFAULTED[1].load(Ordering::Relaxed) != 0 {
            return;
        }
        let Some(at) = map_populated(len) else {
            return;
        };
        // The rest of the current chunk is left unused: its untouched pages cost nothing.
        let at = at as usize;
        PREFAULTED[0].store(at, Ordering::Relaxed);
        PREFAULTED[1].store(at + len, Ordering::Relaxed);
        with_state(|s| {
            *s = State {
                start: at,
                next: at,
                end: at + len,
            }
        });
    }
}

/// Runs `f` on the calling thread's state.
#[inline(always)]
fn with_state<R>(f: impl FnOnce(&mut State) -> R) -> R {
    STATE.with(|cell| {
        let mut state = cell.get();
        let result = f(&mut state);
        cell.set(state);
        result
    })
}

/// `len` bytes of fresh memory, its pages already faulted in; never unmapped (the process is
/// short-lived, like everything this allocator hands out).
#[cfg(target_os = "linux")]
fn map_populated(len: usize) -> Option<*mut u8> {
    extern "C" {
        fn mmap(addr: *mut u8, len: usize, prot: i32, flags: i32, fd: i32, offset: i64) -> *mut u8;
    }
    const PROT_READ_WRITE: i32 = 0x1 | 0x2;
    const MAP_PRIVATE_ANONYMOUS_POPULATE: i32 = 0x02 | 0x20 | 0x8000;
    const MAP_FAILED: *mut u8 = usize::MAX as *mut u8;
    // SAFETY: an anonymous private mapping at an address of the kernel's choosing touches no
    // existing memory.
    let at = unsafe {
        mmap(
            ptr::null_mut(),
            len,
            PROT_READ_WRITE,
            MAP_PRIVATE_ANONYMOUS_POPULATE,
            -1,
            0,
        )
    };
    (at != MAP_FAILED && !at.is_null()).then_some(at)
}

#[cfg(not(target_os = "linux"))]
fn map_populated(_: usize) -> Option<*mut u8> {
    None
}

impl State {
    /// A large block of `layout` from the prefaulted region when that is the current chunk and
    /// the block fits in what is left of it.
    fn carve_prefaulted(&mut self, layout: Layout) -> Option<*mut u8> {
        if self.start == 0 || self.start != PREFAULTED[0].load(Ordering::Relaxed) {
            return None;
        }
        let align = layout.align();
        let start = (self.next + align - 1) & !(align - 1);
        if start + layout.size() > self.end {
            return None;
        }
        self.next = start + layout.size();
        Some(start as *mut u8)
    }

    /// A block of `layout` from the current chunk, starting a new chunk if it does not fit.
    fn carve(&mut self, layout: Layout) -> *mut u8 {
        let align = layout.align();
        let mut start = (self.next + align - 1) & !(align - 1);
        if self.next == 0 || start + layout.size() > self.end {
            let first = self.next == 0
                && layout.size() <= FIRST_CHUNK
                && !FIRST_CHUNK_TAKEN.swap(true, Ordering::Relaxed);
            let (chunk, size) = if first {
                (FIRST.0.get().cast::<u8>(), FIRST_CHUNK)
            } else {
                // SAFETY: CHUNK is non-zero and CHUNK_ALIGN a power of two.
                let layout = unsafe { Layout::from_size_align_unchecked(CHUNK, CHUNK_ALIGN) };
                // SAFETY: the layout has a non-zero size.
                (unsafe { System.alloc(layout) }, CHUNK)
            };
            if chunk.is_null() {
                return ptr::null_mut();
            }
            self.start = chunk as usize;
            self.next = self.start;
            self.end = self.start + size;
            start = (self.next + align - 1) & !(align - 1);
        }
        self.next = start + layout.size();
        start as *mut u8
    }
}

/// Whether a block of `layout` at `block` is the system allocator's: a large one (or one aligned
/// beyond a page) outside the prefaulted region.
fn systems(block: *mut u8, layout: Layout) -> bool {
    (layout.size() >= LARGE || layout.align() > 4096) && !prefaulted(block)
}

// SAFETY: blocks handed out never overlap (each thread's bump pointer only moves past them in
// its own chunk, except to give back or grow the most recent block of that chunk, which nobody
// else holds), are aligned as asked, and large blocks are the system allocator's own unless
// they lie in the prefaulted region, which the system allocator never hands out.
unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() > 4096 {
            return System.alloc(layout);
        }
        if layout.size() >= LARGE {
            return with_state(|s| s.carve_prefaulted(layout))
                .unwrap_or_else(|| System.alloc(layout));
        }
        with_state(|s| s.carve(layout))
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        if systems(block, layout) {
            return System.dealloc(block, layout);
        }
        // Give back the most recent block; anything older stays until the process exits. (A
        // block of another thread's chunk, even one ending where this chunk starts, is left.)
        with_state(|s| {
            if block as usize >= s.start && block as usize + layout.size() == s.next {
                s.next = block as usize;
            }
        });
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old_bump = !systems(block, layout);
        if !old_bump && new_size >= LARGE {
            return System.realloc(block, layout, new_size);
        }
        // A block outside the prefaulted region must stay small: a large one there is the
        // system allocator's.
        if old_bump && (new_size < LARGE || prefaulted(block)) {
            // Grow or shrink the most recent block where it is.
            let grown = with_state(|s| {
                let at = block as usize;
                if at >= s.start && at + layout.size() == s.next && at + new_size <= s.end {
                    s.next = at + new_size;
                    true
                } else {
                    false
                }
            });
            if grown {
                return block;
            }
        }
        // SAFETY: the caller guarantees a valid size for `layout`'s alignment.
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        let moved = self.alloc(new_layout);
        if !moved.is_null() {
            ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
            self.dealloc(block, layout);
        }
        moved
    }
}

#[cfg(test)]
mod tests {
    //! These run under the bump allocator itself (it is the test binary's global allocator).

    #[test]
    fn vectors_grow_and_keep_their_contents() {
        let mut small: Vec<u32> = Vec::new();
        let mut other: Vec<u8> = Vec::new();
        for i in 0..100_000u32 {
            small.push(i);
            if i % 7 == 0 {
                other.push(i as u8);
            }
        }
        assert!(small.iter().enumerate().all(|(i, &v)| v == i as u32));
        assert!(other.iter().enumerate().all(|(i, &v)| v == (i * 7) as u8));
    }

    #[test]
    fn alignment_is_respected() {
        #[repr(align(64))]
        struct Aligned([u8; 3]);
        let blocks: Vec<Box<Aligned>> =
            (0..1000).map(|i| Box::new(Aligned([i as u8; 3]))).collect();
        for (i, b) in blocks.iter().enumerate() {
            assert_eq!(&**b as *const Aligned as usize % 64, 0);
            assert_eq!(b.0, [i as u8; 3]);
        }
    }

    #[test]
    fn large_blocks_use_the_prefaulted_region() {
        // The only test that prefaults (it happens once per process); other tests' threads
        // keep their own chunks, so they are unaffected.
        crate::ALLOCATOR.prefault(1 << 20);
        let mut big: Vec<u8> = Vec::with_capacity(200 << 10);
        assert!(
            super::prefaulted(big.as_mut_ptr()),
            "a large block fits the region"
        );
        big.extend((0..200 << 10).map(|i| i as u8));
        // Grown in place while it fits, then moved out to the system allocator.
        big.extend((0..300 << 10).map(|i| i as u8));
        assert!(super::prefaulted(big.as_mut_ptr()));
        big.extend((0..2 << 20).map(|i| i as u8));
        assert!(!super::prefaulted(big.as_mut_ptr()));
        let expected = (0..200 << 10)
            .chain(0..300 << 10)
            .chain(0..2 << 20)
            .map(|i: usize| i as u8);
        assert!(big.iter().copied().eq(expected));
        // A large block of the region freed on another thread stays out of the system
        // allocator's hands (it would abort on a pointer it never handed out).
        let other: Vec<u64> = vec![7; 100 << 10 >> 3];
        assert!(super::prefaulted(other.as_ptr() as *mut u8));
        std::thread::spawn(move || drop(other)).join().unwrap();
        let last: Vec<u8> = vec![1; 100 << 10];
        assert!(last.iter().all(|&b| b == 1));
    }

    #[test]
    fn threads_allocate_concurrently() {
        let handles: Vec<_> = (0..4)
            .map(|t| {
                std::thread::spawn(move || {
                    let strings: Vec<String> = (0..20_000).map(|i| format!("{t}-{i}")).collect();
                    strings
                        .iter()
                        .enumerate()
                        .all(|(i, s)| *s == format!("{t}-{i}"))
                })
            })
            .collect();
        assert!(handles.into_iter().all(|h| h.join().unwrap()));
    }
}
