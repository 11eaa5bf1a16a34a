// An allocation site: where a heap profiler's live bytes were allocated, named by the first frame above
// malloc & co. The heap-profiler importers (massif, DHAT, heaptrack) each find the sites live at the
// peak their own way and report the biggest as 'peak-site' markers (the model has no field for sites:
// markers carry them); arena inference reads valgrind's frame descriptions with the same pattern.

import type { Marker, Ms } from '../model';

export interface AllocationSite {
  bytes: number;
  /** Function (or the whole description when it has no `0xADDR: fn` form). */
  fn: string;
  /** `file:line`, or `in /module`, when the profiler gives it. */
  location?: string;
}

/** Allocation functions and wrappers, and unknown frames: a site is the first frame above them. */
export const ALLOCATOR =
  /^(?:\?\?\?|x(?:malloc|calloc|realloc|strdup|memdup)|malloc|calloc|realloc|memalign|posix_memalign|aligned_alloc|operator new(?:\[\])?\(|__mmap64|mmap|mmap64|mremap|brk|__brk|sbrk|__sbrk|_obstack_newchunk|ggc_internal_(?:cleared_)?alloc|__rust_alloc|__rust_realloc|alloc::alloc::|__rdl_alloc|__libc_)/;

/**
 * Rust's standard library between the allocator and the code that asked for memory (the dhat crate's
 * frames: `alloc::raw_vec::RawVec<T,A>::allocate_in`, `<alloc::alloc::Global as core::alloc::Allocator>::allocate`,
 * `<T as alloc::slice::hack::ConvertVec>::to_vec`, `std::io::stdio::_print` …), and the global allocator
 * itself (`<dhat::Alloc as core::alloc::global::GlobalAlloc>::alloc`): a site is the first frame above
 * them. A user's type implementing a std trait (`<my::Ast as core::clone::Clone>::clone`) is not one of them.
 */
export const RUST_LIBRARY_FRAME =
  /^(?:<&?(?:mut )?(?:alloc|core|std|hashbrown)::|<(?:T|str|\[T\]|\[T; N\]) as (?:alloc|core|std)::|<[^<>]+ as core::alloc::global::GlobalAlloc>::|(?:alloc|core|std|hashbrown)::)/;

/** valgrind's frame description (massif's tree nodes, DHAT's ftbl): `0xADDR: function (file:line | in module)`. */
export const VALGRIND_FRAME = /^0x[0-9A-Fa-f]+: (.*?)(?: \((in [^()]*|[^()]*:\d+)\))?$/;

/** Splits a valgrind frame description into function and location. */
export function parseSite(bytes: number, desc: string): AllocationSite {
  const m = VALGRIND_FRAME.exec(desc);
  if (!m) return { bytes, fn: desc };
  return m[2] ? { bytes, fn: m[1]!, location: m[2] } : { bytes, fn: m[1]! };
}

/** How many peak sites become markers. */
export const MAX_PEAK_SITES = 20;

/** A 'peak-site' marker read back as its site; undefined for any other marker. */
export function peakSiteOf(m: Marker): AllocationSite | undefined {
  if (m.kind !== 'peak-site' || m.detail === undefined) return undefined;
  const space = m.detail.indexOf(' ');
  const bytes = Number(m.detail.slice(0, space));
  if (space < 0 || !Number.isFinite(bytes)) return undefined;
  const rest = m.detail.slice(space + 1);
  const location = rest.startsWith(`${m.name} `) ? rest.slice(m.name.length + 1) : '';
  return { bytes, fn: m.name, ...(location ? { location } : {}) };
}

/** The biggest sites (biggest first already) as 'peak-site' markers, detail "<bytes> <function> <location>". */
export function peakSiteMarkers(sites: readonly AllocationSite[], tMs: Ms, pid?: number): Marker[] {
  const pidField = pid !== undefined ? { pid } : {};
  return sites.slice(0, MAX_PEAK_SITES).map((s) => ({
    name: s.fn,
    kind: 'peak-site',
    tMs,
    ...pidField,
    detail: `${s.bytes} ${s.fn}${s.location ? ` ${s.location}` : ''}`,
  }));
}
