// A dependency-free SVG chart: one line per series over time buckets, with axes and a legend.
const NS = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

/** Whole-number y axis: a 1/2/5 x 10^n step giving at most 4 steps, and the top at a step at or above `value`. */
export function yAxis(value) {
  const raw = Math.max(1, value / 4);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const steps = Math.max(1, Math.ceil(value / step));
  return { max: step * steps, step, steps };
}

/**
 * series: [{ name, className, values: number[] }], labels: Date[] (bucket starts), same length.
 * Returns an <svg> that scales to its container's width.
 */
export function lineChart({ series, labels, width = 900, height = 240, title }) {
  const pad = { left: 44, right: 16, top: 16, bottom: 28 };
  const w = width - pad.left - pad.right;
  const hgt = height - pad.top - pad.bottom;
  const { max, step, steps } = yAxis(Math.max(0, ...series.flatMap((s) => s.values)));
  const n = Math.max(1, labels.length - 1);
  const x = (i) => pad.left + (i / n) * w;
  const y = (v) => pad.top + hgt - (v / max) * hgt;

  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': title });
  root.append(svg('title', {}, title));
  for (let i = 0; i <= steps; i++) {
    const value = step * i;
    root.append(svg('line', { x1: pad.left, x2: width - pad.right, y1: y(value), y2: y(value), class: 'grid' }));
    root.append(svg('text', { x: pad.left - 6, y: y(value) + 4, class: 'tick', 'text-anchor': 'end' }, value));
  }
  labels.forEach((d, i) => {
    // A label every 10 minutes, and the newest bucket's unless it would collide with the previous one.
    const last = i === labels.length - 1;
    if (d.getMinutes() % 10 !== 0 && !(last && d.getMinutes() % 10 >= 3)) return;
    const text = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
    root.append(svg('text', { x: x(i), y: height - 8, class: 'tick', 'text-anchor': 'middle' }, text));
  });
  for (const s of series) {
    const points = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`);
    const area = `M${x(0)},${y(0)} L${points.join(' L')} L${x(s.values.length - 1)},${y(0)} Z`;
    root.append(svg('path', { d: area, class: `area ${s.className}` }));
    root.append(svg('polyline', { points: points.join(' '), class: `line ${s.className}` }));
  }
  return root;
}
