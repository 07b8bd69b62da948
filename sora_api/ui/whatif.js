// The "what if" form: a dry run of a request (the filter funnel, the
// ranked candidates with each weigher's share, the hosts that came nearest
// and the single changes that would make it fit) and how many more
// instances of it fit now. Nothing is claimed by either.

import { api } from './api.js';
import { weigherBars } from './charts.js';
import { $, el, showError, table } from './dom.js';

const CANDIDATES_SHOWN = 20;

function words(text) {
  return text.split(/[\s,]+/).filter(Boolean);
}

// The request the form describes, without `num_instances` and `dry_run`
// (what `POST /v1/capacity` takes). Bad values are the API's to refuse:
// its `detail` is what the page shows.
function described() {
  const number = (id) => Number($(id).value || 0);
  const resources = { vcpus: number('#w-vcpus'),
    memory_mb: number('#w-memory'), disk_gb: number('#w-disk') };
  for (const pair of $('#w-classes').value.split(',')) {
    const [name, amount] = pair.split('=').map((s) => s.trim());
    if (name) resources[name] = Number(amount || 1);
  }
  for (const key of Object.keys(resources)) {
    if (!resources[key]) delete resources[key];
  }
  const request = { resources };
  const zone = $('#w-zone').value.trim();
  if (zone) request.availability_zone = zone;
  const traits = words($('#w-traits').value);
  if (traits.length) request.required_traits = traits;
  const hints = {};
  const group = $('#w-group').value.trim();
  if (group) hints.group = group;
  if ($('#w-policy').value) hints.group_policy = $('#w-policy').value;
  if (Object.keys(hints).length) request.hints = hints;
  return request;
}

// What each answer on the page was asked for. Asking one hides the other
// when that was for another request: the two never describe different
// requests.
const askedFor = { '#whatif-plan': null, '#capacity': null };

function asking(block, request) {
  askedFor[block] = JSON.stringify(request);
  for (const [other, was] of Object.entries(askedFor)) {
    if (was !== askedFor[block]) $(other).hidden = true;
  }
}

async function dryRun(section) {
  const request = { ...described(), num_instances:
    Number($('#w-count').value || 1), dry_run: true };
  asking('#whatif-plan', described());
  // A request that fits nowhere is answered 200 without candidates, with
  // the funnel, the nearest hosts and the relaxations.
  let answer = null;
  try {
    answer = await api('POST', '/v1/schedules', request);
    showError(section, null);
  } catch (e) {
    showError(section, e);
  }
  showPlan(answer);
}

function showPlan(answer) {
  $('#whatif-plan').hidden = !answer;
  if (!answer) return;
  const candidates = answer.candidates || [];
  drawFunnel(answer.explanation || []);
  $('#candidates').replaceChildren(candidates.length
    ? weigherBars(candidates.slice(0, CANDIDATES_SHOWN))
    : el('p', 'No host can take the request.'));
  const nearest = answer.nearest || [];
  $('#nearest').replaceChildren(nearest.length
    ? table('Nearest hosts', ['Host', 'Filters failed',
      'Short by, for one instance'], nearest.map((h) => [h.host_name,
      h.failed_filters.join(', '), shortfall(h.shortfall)]))
    : el('p', candidates.length ? 'Every host passed the filters.'
      : 'No host to show.'));
  const relaxations = answer.relaxations || [];
  $('#relaxations').replaceChildren(relaxations.length
    ? table('Changes that would make it fit', ['Change', 'To',
      'Hosts it opens'], relaxations.map((r) => [r.field, value(r.to),
      r.hosts]))
    : el('p', candidates.length ? 'None needed: the request fits.'
      : 'No single change makes it fit.'));
}

function shortfall(amounts) {
  const parts = Object.entries(amounts || {}).sort()
    .map(([name, n]) => `${name} ${n}`);
  return parts.length ? parts.join(', ') : 'nothing (another filter)';
}

// A relaxation's `to`: null drops the field.
function value(to) {
  if (to === null) return 'drop it';
  if (Array.isArray(to)) {
    return to.map((v) => (typeof v === 'object' ? JSON.stringify(v) : v))
      .join(', ');
  }
  return typeof to === 'object' ? JSON.stringify(to) : String(to);
}

function drawFunnel(funnel) {
  const first = funnel.length ? funnel[0].hosts_in || 1 : 1;
  $('#funnel').replaceChildren(...funnel.map((step) => {
    const item = el('li');
    item.dataset.filter = step.filter;
    const bar = document.createElement('meter');
    bar.min = 0;
    bar.max = first;
    bar.value = step.hosts_out;
    bar.setAttribute('aria-label', `${step.filter} keeps`);
    item.append(el('span', `${step.filter}: ${step.hosts_in} → `
      + `${step.hosts_out}`, 'step'), bar);
    return item;
  }));
}

async function capacity(section) {
  asking('#capacity', described());
  let found = null;
  try {
    found = (await api('POST', '/v1/capacity', described())).capacity;
    showError(section, null);
  } catch (e) {
    showError(section, e);
  }
  $('#capacity').hidden = !found;
  if (!found) return;
  $('#capacity-count').textContent = String(found.instances);
  $('#capacity-quota').textContent = found.quota_remaining === null
    ? 'Your quota does not limit it.'
    : `Your quota leaves room for ${found.quota_remaining} more.`;
  const zones = Object.entries(found.by_availability_zone).sort();
  $('#capacity-zones').replaceChildren(zones.length
    ? table('Instances per zone', ['Zone', 'Instances'], zones)
    : el('p', 'No zone has room.'));
  const limits = Object.entries(found.limited_by)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  $('#capacity-limits').replaceChildren(limits.length
    ? table('What runs out first', ['Class', 'Hosts where it runs out '
      + 'first'], limits)
    : el('p', 'No class ran out on any host.'));
}

export function init() {
  const section = $('#view-whatif');
  $('#whatif-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const asked = event.submitter && event.submitter.id === 'w-capacity'
      ? capacity : dryRun;
    asked(section);
  });
}
