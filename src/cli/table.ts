/** Plain text tables and a stderr progress bar for the CLI. */

export function formatTable(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return `${cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n')}\n`;
}

/** `[#####.....] 50% 250/500 requeued`, redrawn in place on a terminal, one line per update otherwise. */
export function makeProgress(total: number, label: string, stream: NodeJS.WriteStream = process.stderr) {
  const width = 30;
  const draw = (done: number, final = false) => {
    const ratio = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(ratio * width);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}% ${done}/${total} ${label}`;
    if (stream.isTTY) stream.write(`\r${line}${final ? '\n' : ''}`);
    else stream.write(`${line}\n`);
  };
  return { update: (done: number) => draw(done), finish: (done: number) => draw(done, true) };
}
