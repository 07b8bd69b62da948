// Small DOM helpers every view uses: no innerHTML, so nothing the API
// returns is ever read as markup.

export const $ = (selector) => document.querySelector(selector);

export function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

// The view's error slot shows the error's message: for an API error, the
// contract's `detail`.
export function showError(section, error) {
  const slot = section.querySelector('[data-error]');
  slot.textContent = error ? error.message : '';
}

// A table of `rows` (arrays of cell texts) under `headings`, in a region
// that scrolls on its own when it must, reachable with the keyboard.
export function table(label, headings, rows) {
  const node = el('table');
  const head = el('tr');
  for (const text of headings) {
    const th = el('th', text);
    th.scope = 'col';
    head.append(th);
  }
  node.append(el('thead'), el('tbody'));
  node.tHead.append(head);
  for (const cells of rows) {
    const row = el('tr');
    for (const text of cells) row.append(el('td', String(text)));
    node.tBodies[0].append(row);
  }
  const region = el('div', undefined, 'scroll');
  region.tabIndex = 0;
  region.setAttribute('role', 'region');
  region.setAttribute('aria-label', label);
  region.append(node);
  return region;
}
