// A plain-text table: right-aligned numbers, left-aligned words.

export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const numeric = header.map((_, i) => rows.every((r) => /^[-\d.,×x/ ()%~]*$/.test(r[i] ?? '')))
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

/** Whole milliseconds, or "-" when there is nothing to show. */
export function ms(value: number | undefined): string {
  return value === undefined || Number.isNaN(value) ? '-' : Math.round(value).toLocaleString('en-US')
}

export function ratio(value: number): string {
  return Number.isFinite(value) ? value.toFixed(2) : '-'
}
