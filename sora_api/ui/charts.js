// SVG charts drawn with DOM calls: no inline script or style, so the
// page's Content-Security-Policy holds.

const NS = 'http://www.w3.org/2000/svg';

export function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, value);
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

export function fmt(n) {
  if (Math.abs(n) >= 1e6) return (n / 1e6).toFixed(1) + 'M';
  if (Math.abs(n) >= 1e4) return (n / 1e3).toFixed(0) + 'k';
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

// Horizontal bars of used against usable: rows of {label, used, usable}.
export function usageBars(rows, title) {
  const rowHeight = 26;
  const width = 480;
  const labelWidth = 170;
  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${rows.length * rowHeight + 4}`,
    role: 'img', 'aria-label': title, class: 'chart',
  });
  rows.forEach((row, i) => {
    const y = i * rowHeight + 2;
    const share = row.usable > 0 ? Math.min(row.used / row.usable, 1) : 0;
    const barWidth = width - labelWidth - 90;
    chart.append(svg('text', { x: 0, y: y + 16, class: 'label' }, row.label));
    chart.append(svg('rect', { x: labelWidth, y: y + 4, width: barWidth,
      height: 16, class: 'track' }));
    chart.append(svg('rect', { x: labelWidth, y: y + 4,
      width: Math.max(barWidth * share, 0), height: 16,
      class: share > 0.9 ? 'bar hot' : 'bar' }));
    chart.append(svg('text', { x: labelWidth + barWidth + 6, y: y + 16,
      class: 'value' }, `${fmt(row.used)}/${fmt(row.usable)}`));
  });
  return chart;
}

// One square per host, shaded by usage in tenths: one path per shade, not
// a node per host, so 10,000 hosts draw in milliseconds. Pointing at a
// square names its host under the map.
export function heatMap(cells) {
  const size = 12;
  const columns = Math.max(60, Math.ceil(Math.sqrt(cells.length * 4)));
  const rows = Math.ceil(cells.length / columns) || 1;
  const chart = svg('svg', {
    viewBox: `0 0 ${columns * size} ${rows * size}`, role: 'img',
    'aria-label': `Usage of ${cells.length} hosts`, class: 'chart heat',
  });
  const shapes = new Map();
  cells.forEach((cell, i) => {
    const tenth = Math.min(9, Math.floor(cell.usage * 10));
    const kind = `h${tenth}${cell.down ? ' down' : ''}`
      + (cell.disabled ? ' disabled' : '');
    if (!shapes.has(kind)) shapes.set(kind, []);
    shapes.get(kind).push(`M${(i % columns) * size} `
      + `${Math.floor(i / columns) * size}h${size - 1}v${size - 1}`
      + `h${1 - size}z`);
  });
  for (const [kind, squares] of shapes) {
    chart.append(svg('path', { d: squares.join(''), class: kind }));
  }
  const readout = document.createElement('p');
  readout.className = 'readout';
  readout.textContent = 'Point at a square to see its host.';
  chart.addEventListener('pointermove', (event) => {
    const at = new DOMPoint(event.clientX, event.clientY)
      .matrixTransform(chart.getScreenCTM().inverse());
    const column = Math.floor(at.x / size);
    const cell = column >= 0 && column < columns
      ? cells[Math.floor(at.y / size) * columns + column] : undefined;
    if (cell) {
      readout.textContent = `${cell.name}: ${Math.round(cell.usage * 100)}%`
        + (cell.down ? ', down' : '') + (cell.disabled ? ', disabled' : '');
    }
  });
  const wrapper = document.createElement('div');
  wrapper.append(chart, readout);
  return wrapper;
}

// Each candidate's weight split into the weighers' shares (absolute
// values, so a negative contribution still shows its size).
export function weigherBars(candidates) {
  const weighers = [...new Set(candidates.flatMap(
    (c) => Object.keys(c.weights || {})))].sort();
  const rowHeight = 24;
  const width = 520;
  const labelWidth = 150;
  const barWidth = width - labelWidth - 60;
  const height = (candidates.length + 1) * rowHeight + 8
    + Math.ceil(weighers.length / 2) * 18;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-label': 'Ranked candidates', class: 'chart' });
  candidates.forEach((c, i) => {
    const y = i * rowHeight + 2;
    chart.append(svg('text', { x: 0, y: y + 15, class: 'label' },
      `${i + 1}. ${c.host_name}`));
    const values = weighers.map((w) => Math.abs((c.weights || {})[w] || 0));
    const total = values.reduce((a, b) => a + b, 0) || 1;
    let x = labelWidth;
    values.forEach((v, k) => {
      const w = (barWidth * v) / total;
      if (w > 0) {
        const part = svg('rect', { x, y: y + 3, width: w, height: 16,
          class: `w${k % 8}` });
        part.append(svg('title', {}, `${weighers[k]}: ${fmt(
          (c.weights || {})[weighers[k]])}`));
        chart.append(part);
      }
      x += w;
    });
    chart.append(svg('text', { x: labelWidth + barWidth + 6, y: y + 15,
      class: 'value' }, fmt(c.weight)));
  });
  const legendY = candidates.length * rowHeight + 12;
  weighers.forEach((name, k) => {
    const x = (k % 2) * (width / 2);
    const y = legendY + Math.floor(k / 2) * 18;
    chart.append(svg('rect', { x, y, width: 12, height: 12,
      class: `w${k % 8}` }));
    chart.append(svg('text', { x: x + 16, y: y + 11, class: 'label' },
      name));
  });
  return chart;
}
