// Formatting for people: the one implementation lives in common/format.ts, shared with the view.
export { formatBytes, formatMs, formatPercent } from '../../../common/format';
