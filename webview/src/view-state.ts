// What the view keeps of itself across a reload: the visible window, the tables' sort orders and the
// series hidden from the chart. In VS Code it rides along with the host's state (setState), which the
// panel serializer hands back after a reload; in the HTML report it is kept in the page's address
// (location.hash), so a reload, or a link copied with it, opens the same view. A state saved for
// another profile (`key`) is ignored.

export interface ViewState {
  /** Which profile the state is of (the run's title, start and length). */
  key: string;
  /** The visible window, in ms since the start of the run. */
  window?: [number, number];
  /** Per table ("phases", "arenas"): the sorted column and whether descending. */
  sorts?: Record<string, [number, boolean]>;
  /** Ids of the series hidden from the chart among those the legend shows by default. */
  hiddenSeries?: string[];
  /** Ids of the series drawn among those the legend folds by default ("other processes"). */
  shownSeries?: string[];
}

export interface ViewStateStore {
  load(): unknown;
  save(state: ViewState): void;
}

/** Checks a stored value: the state of this profile, or undefined. */
export function validViewState(v: unknown, key: string): ViewState | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const s = v as ViewState;
  if (s.key !== key) return undefined;
  const out: ViewState = { key };
  if (Array.isArray(s.window) && s.window.length === 2 && s.window.every(Number.isFinite) && s.window[0] < s.window[1])
    out.window = [s.window[0], s.window[1]];
  if (s.sorts && typeof s.sorts === 'object') {
    out.sorts = {};
    for (const [k, v] of Object.entries(s.sorts))
      if (Array.isArray(v) && Number.isInteger(v[0]) && typeof v[1] === 'boolean') out.sorts[k] = [v[0], v[1]];
  }
  if (Array.isArray(s.hiddenSeries))
    out.hiddenSeries = s.hiddenSeries.filter((x): x is string => typeof x === 'string');
  if (Array.isArray(s.shownSeries)) out.shownSeries = s.shownSeries.filter((x): x is string => typeof x === 'string');
  return out;
}

const HASH_PREFIX = '#view=';

/** The HTML report's store: the page's hash (replaced, not pushed: no history entry per zoom step). */
export function hashStore(): ViewStateStore {
  return {
    load() {
      if (!location.hash.startsWith(HASH_PREFIX)) return undefined;
      try {
        return JSON.parse(decodeURIComponent(location.hash.slice(HASH_PREFIX.length)));
      } catch {
        return undefined;
      }
    },
    save(state) {
      try {
        history.replaceState(history.state, '', HASH_PREFIX + encodeURIComponent(JSON.stringify(state)));
      } catch {
        // a page that may not change its address (sandboxed): the state is not kept
      }
    },
  };
}
