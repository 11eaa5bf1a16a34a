// Formatting for people: the one implementation lives in protocol/format.ts, shared with the view.
export { formatBytes, formatMs, formatPercent } from '../../../protocol/format';
