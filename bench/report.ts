/**
 * How the benches print: numbers, sizes, yes/NO, error texts, medians and
 * plain-text tables.
 */

const MB = 1024 * 1024;

export const int = (n: number): string => Math.round(n).toLocaleString('en-US');
export const mb = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`;
export const ok = (met: boolean): string => (met ? 'yes' : 'NO');
export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** A child's stderr tail as an indented note for an error message ('' when empty). */
export function tailNote(tail: string): string {
  return tail ? `\n    stderr: ${tail.split('\n').slice(-8).join('\n    ')}` : '';
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * A header, a rule and the rows, columns padded to their widest cell. The
 * default layout indents by two spaces and left-aligns every column;
 * `numbers` drops the indent and right-aligns every column after the first.
 */
export function table(header: string[], rows: string[][], layout: 'text' | 'numbers' = 'text'): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = layout === 'numbers'
    ? (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()
    : (cells: string[]): string => `  ${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
