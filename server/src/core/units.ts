// Formatting for people: the one implementation lives in shared/format.ts, shared with the view.
export { formatBytes, formatMs, formatPercent } from '../../../shared/format';
