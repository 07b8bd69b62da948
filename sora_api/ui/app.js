// The dashboard: sign in, load the fleet, follow the event feed.

import { api, all, ApiError, token, setToken } from './api.js';
import { usageBars, heatMap, fmt } from './charts.js';
import { $, el, showError } from './dom.js';
import * as whatif from './whatif.js';

const STANDARD = { VCPU: ['vcpus', 'cpu_allocation_ratio', 'reserved_vcpus'],
  MEMORY_MB: ['memory_mb', 'ram_allocation_ratio', 'reserved_memory_mb'],
  DISK_GB: ['disk_gb', 'disk_allocation_ratio', 'reserved_disk_gb'] };
const ROWS_SHOWN = 200;

const state = {
  hosts: new Map(), hostsError: null,
  schedules: [], schedulesError: null, classes: [],
  session: 0, view: 'fleet', events: [],
};

// Every class of a host as {name: {usable, used}}: the contract's
// `inventories` when the server sends them, else the v1 flat fields.
function classes(host) {
  const result = {};
  if (host.inventories) {
    for (const [name, inv] of Object.entries(host.inventories)) {
      result[name] = { usable: inv.total * inv.allocation_ratio - inv.reserved,
        used: inv.used || 0 };
    }
    return result;
  }
  for (const [name, [total, ratio, reserved]] of Object.entries(STANDARD)) {
    result[name] = { usable: host[total] * host[ratio] - host[reserved],
      used: host[total + '_used'] || 0 };
  }
  return result;
}

// -- loading -------------------------------------------------------------

async function loadHosts() {
  try {
    const hosts = await all('/v1/hosts?limit=1000', 'hosts');
    state.hosts = new Map(hosts.map((h) => [h.id, h]));
    state.hostsError = null;
  } catch (e) {
    state.hostsError = e;
  }
}

async function loadSchedules() {
  try {
    state.schedules = await allSchedules();
    state.schedulesError = null;
  } catch (e) {
    state.schedulesError = e;
  }
}

// Every project's schedules when the caller may see them (asked before
// the hosts tell whether the caller is an admin), else its own.
async function allSchedules() {
  if (state.admin !== false) {
    try {
      return await all('/v1/schedules?limit=1000&all_projects=true',
        'schedules');
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 403)) throw e;
    }
  }
  return all('/v1/schedules?limit=1000', 'schedules');
}

// Every resource class, so one without inventory yet shows in the fleet.
async function loadClasses() {
  try {
    state.classes = (await all('/v1/resource_classes?limit=1000',
      'resource_classes')).map((c) => c.name);
    state.classesError = null;
  } catch (e) {
    state.classes = [];
    state.classesError = e;
  }
}

// Where following the feed starts (the `next` past every event so far),
// and the Events view's history: the events of the last HISTORY numbers
// before it, newest first. An answer with no events means nothing the
// caller may see exists at or after its `since` (the contract), so the
// head lies between the highest `since` known to have events at or after
// it and the lowest known to have none. Each round asks that of PROBES
// points at once, at growing distances until one has none, then spread
// over what is left; once WINDOW numbers are left, they are read. 10,000
// events: 3 rounds of one-event requests and a read of at most 1,000, not
// a read of every event kept, nor one request after another.
const PROBES = 6;
const WINDOW = 800;
const HISTORY = 200;

async function feedHead() {
  const probe = (since) => api('GET', `/v1/events?limit=1&since=${since}`);
  let low = 0;
  let high = null;
  let reach = WINDOW;
  while (high === null || high - low > WINDOW) {
    const points = high === null
      ? Array.from({ length: PROBES }, (_, k) => low + reach * 4 ** k)
      : Array.from({ length: PROBES }, (_, k) => low
        + Math.floor(((high - low) * (k + 1)) / (PROBES + 1)));
    if (high === null) reach *= 4 ** PROBES;
    const pages = await Promise.all(points.map(probe));
    points.forEach((point, k) => {
      if (pages[k].events.length) {
        low = Math.max(low, pages[k].next);
      } else if (high === null || point < high) {
        high = point;
      }
    });
    if (high !== null && low > high) {
      // Events arrived between the answers: look further up again.
      high = null;
      reach = WINDOW;
    }
  }
  // Read what is left. Its `next` is at most the head, so no change made
  // while the lists load is missed; anything past it (events that came
  // meanwhile, or a page cut by the server's limit) is what `follow`
  // reads first.
  const page = await api('GET', `/v1/events?since=${
    Math.max(low - HISTORY, 0)}`);
  return { head: page.next, history: page.events.filter(
    (e) => e.id >= page.next - HISTORY).reverse() };
}

async function follow(session, since) {
  while (session === state.session) {
    let page;
    try {
      page = await api('GET', `/v1/events?since=${since}&wait=25`);
    } catch (e) {
      $('#live').textContent = `Live updates paused: ${e.message}`;
      await new Promise((resolve) => setTimeout(resolve, 5000));
      continue;
    }
    if (session !== state.session) return;
    $('#live').textContent = 'Live';
    for (const event of page.events) await apply(event);
    since = page.next;
    if (page.events.length) render();
  }
}

async function apply(event) {
  state.events.unshift(event);
  state.events.length = Math.min(state.events.length, 200);
  if (event.host_id) {
    if (event.type === 'host.deleted') {
      state.hosts.delete(event.host_id);
      return;
    }
    try {
      const { host } = await api('GET', `/v1/hosts/${event.host_id}`);
      state.hosts.set(host.id, host);
    } catch (e) {
      if (e.status === 404) state.hosts.delete(event.host_id);
    }
  } else if (event.schedule_id) {
    clearTimeout(state.scheduleReload);
    state.scheduleReload = setTimeout(async () => {
      await loadSchedules();
      render();
    }, 300);
  }
}

// -- views ---------------------------------------------------------------

function renderFleet(section) {
  showError(section, state.hostsError || state.classesError);
  const cards = $('#fleet-cards');
  cards.replaceChildren();
  if (state.hostsError) return;
  // One pass over the hosts: with 10,000 of them, each walked once.
  const count = { up: 0, down: 0, disabled: 0, instances: 0 };
  const zones = new Map();
  const perClass = new Map(state.classes.map(
    (name) => [name, { label: name, used: 0, usable: 0 }]));
  const add = (map, key, c) => {
    const row = map.get(key) || { label: key, used: 0, usable: 0 };
    row.used += c.used;
    row.usable += Math.max(c.usable, 0);
    map.set(key, row);
  };
  const cells = [];
  for (const host of state.hosts.values()) {
    const down = host.status === 'down';
    count[down ? 'down' : 'up'] += 1;
    count.disabled += host.enabled ? 0 : 1;
    count.instances += host.instances;
    // The heat map shades a host by its busiest class.
    let usage = 0;
    for (const [name, c] of Object.entries(classes(host))) {
      add(zones, `${host.availability_zone} · ${name}`, c);
      add(perClass, name, c);
      if (c.usable > 0) usage = Math.max(usage, c.used / c.usable);
    }
    cells.push({ name: host.name, usage, down, disabled: !host.enabled });
  }
  for (const [label, n, id] of [['hosts', cells.length, 'count-hosts'],
    ['up', count.up, 'count-up'], ['down', count.down, 'count-down'],
    ['disabled', count.disabled, 'count-disabled'],
    ['instances', count.instances, 'count-inst']]) {
    const card = el('div', undefined, 'card');
    const number = el('span', String(n), 'n');
    number.id = id;
    card.append(number, el('span', label));
    cards.append(card);
  }
  const byLabel = (a, b) => a.label.localeCompare(b.label);
  $('#fleet-zones').replaceChildren(usageBars(
    [...zones.values()].sort(byLabel), 'Usage by availability zone'));
  $('#fleet-classes').replaceChildren(usageBars(
    [...perClass.values()].sort(byLabel), 'Usage by resource class'));
  $('#fleet-heatmap').replaceChildren(heatMap(cells));
}

function renderHosts(section) {
  showError(section, state.hostsError);
  const body = $('#hosts-table tbody');
  body.replaceChildren();
  if (state.hostsError) {
    $('#hosts-summary').textContent = '';
    return;
  }
  const hosts = [...state.hosts.values()];
  const zoneSelect = $('#f-zone');
  const chosen = zoneSelect.value;
  const zoneNames = [...new Set(hosts.map((h) => h.availability_zone))].sort();
  zoneSelect.replaceChildren(el('option', 'any'),
    ...zoneNames.map((z) => el('option', z)));
  zoneSelect.options[0].value = '';
  zoneSelect.value = zoneNames.includes(chosen) ? chosen : '';
  const name = $('#f-name').value.trim();
  const status = $('#f-status').value;
  const enabled = $('#f-enabled').value;
  const shown = hosts.filter((h) => (!name || h.name.includes(name))
    && (!zoneSelect.value || h.availability_zone === zoneSelect.value)
    && (!status || h.status === status)
    && (!enabled || String(h.enabled) === enabled))
    .sort((a, b) => a.name.localeCompare(b.name));
  $('#hosts-summary').textContent = shown.length > ROWS_SHOWN
    ? `${shown.length} of ${hosts.length} hosts match; the first `
      + `${ROWS_SHOWN} are shown.`
    : `${shown.length} of ${hosts.length} hosts match.`;
  for (const host of shown.slice(0, ROWS_SHOWN)) {
    const c = classes(host);
    const cell = (k) => (c[k] ? `${fmt(c[k].used)}/${fmt(c[k].usable)}` : '');
    const others = Object.entries(c).filter(([k]) => !(k in STANDARD))
      .map(([k, v]) => `${k} ${fmt(v.used)}/${fmt(v.usable)}`).join(', ');
    const row = el('tr');
    row.dataset.host = host.name;
    for (const text of [host.name, host.availability_zone, host.status,
      host.enabled ? 'yes' : `no${host.disabled_reason
        ? ` (${host.disabled_reason})` : ''}`,
      cell('VCPU'), cell('MEMORY_MB'), cell('DISK_GB'), others,
      String(host.instances)]) {
      row.append(el('td', text));
    }
    if (host.status === 'down') row.className = 'down';
    body.append(row);
  }
}

function renderSchedules(section) {
  showError(section, state.schedulesError);
  const body = $('#schedules-table tbody');
  body.replaceChildren();
  $('#schedules-summary').textContent = state.schedulesError ? ''
    : `${state.schedules.length} schedules`
      + (state.admin ? ' in every project.' : ' in your project.');
  for (const s of state.schedules.slice(0, ROWS_SHOWN)) {
    const row = el('tr');
    const resources = Object.entries(s.resources)
      .map(([k, v]) => `${k} ${v}`).join(', ');
    const placed = s.allocations
      .map((a) => `#${a.instance_index} → ${a.host_name}`).join(', ');
    for (const text of [s.id.slice(0, 8), s.project_id, s.status,
      `${resources} × ${s.num_instances}`]) {
      row.append(el('td', text));
    }
    row.append(el('td', placed, 'wrap'), el('td', s.created_at));
    body.append(row);
  }
}

async function renderQuotas(section) {
  const target = $('#quotas-body');
  try {
    const answer = await api('GET', state.admin
      ? '/v1/usages?all_projects=true' : '/v1/usages');
    const usages = answer.usages || [answer.usage];
    showError(section, null);
    const table = el('table');
    table.append(el('caption', 'Usage against limits, per project'));
    const head = el('tr');
    for (const h of ['Project', 'Class', 'Used', 'Limit']) {
      const th = el('th', h);
      th.scope = 'col';
      head.append(th);
    }
    table.append(head);
    for (const u of usages) {
      const { quota } = await api('GET', `/v1/quotas/${u.project_id}`);
      const names = new Set([...Object.keys(u), ...Object.keys(quota.limits)]);
      names.delete('project_id');
      for (const name of [...names].sort()) {
        const limit = quota.limits[name];
        const row = el('tr');
        for (const text of [u.project_id, name, String(u[name] || 0),
          limit === undefined || limit < 0 ? 'unlimited' : String(limit)]) {
          row.append(el('td', text));
        }
        table.append(row);
      }
    }
    const wrapper = el('div', undefined, 'scroll');
    wrapper.tabIndex = 0;
    wrapper.append(table);
    target.replaceChildren(wrapper);
  } catch (e) {
    target.replaceChildren();
    showError(section, e.status === 404
      ? new Error(`This server has no quotas API: ${e.message}`) : e);
  }
}

// The caller's project's groups (the API lists no other project's), each
// with whether its policy holds now, from its own detail.
async function renderGroups(section) {
  const body = $('#groups-table tbody');
  try {
    const groups = await all('/v1/groups?limit=1000', 'groups');
    const details = await Promise.all(groups.slice(0, ROWS_SHOWN).map(
      (g) => api('GET', `/v1/groups/${encodeURIComponent(g.name)}`).then(
        (answer) => answer.group, (error) => ({ ...g, error }))));
    showError(section, null);
    $('#groups-summary').textContent = groups.length > ROWS_SHOWN
      ? `${groups.length} groups; the first ${ROWS_SHOWN} are shown.`
      : `${groups.length} groups with live instances.`;
    body.replaceChildren(...details.map(groupRow));
  } catch (e) {
    body.replaceChildren();
    $('#groups-summary').textContent = '';
    showError(section, e);
  }
}

function groupRow(group) {
  const row = el('tr');
  row.dataset.group = group.name;
  const members = Array.isArray(group.members) ? group.members.length
    : group.members;
  const domains = Object.entries(group.domains || {})
    .map(([domain, n]) => `${domain} ${n}`).join(', ');
  const problems = group.error ? group.error.message
    : (group.violations || []).map((v) => v.detail).join('; ');
  for (const text of [group.name, group.policy || 'none',
    group.topology_key || '', group.max_per_domain ?? '', members]) {
    row.append(el('td', String(text)));
  }
  row.append(el('td', domains, 'wrap'));
  row.append(el('td', String(group.largest_domain_share ?? '')));
  row.append(el('td', group.error ? ''
    : (group.policy_holds ? 'yes' : 'no')));
  row.append(el('td', problems, 'wrap'));
  if (!group.error && !group.policy_holds) row.className = 'down';
  return row;
}

function renderEvents() {
  $('#events-list').replaceChildren(...state.events.slice(0, 100).map(
    (e) => el('li', `${e.time} #${e.id} ${e.type} `
      + (e.host_id ? (state.hosts.get(e.host_id) || {}).name || e.host_id
        : `${e.schedule_id} (${e.project_id})`))));
}

const RENDER = { fleet: renderFleet, hosts: renderHosts,
  schedules: renderSchedules, quotas: renderQuotas, groups: renderGroups,
  whatif: () => {},
  events: renderEvents };

function render() {
  const section = $(`#view-${state.view}`);
  RENDER[state.view](section);
}

function show(view) {
  if (!RENDER[view]) view = 'fleet';
  state.view = view;
  for (const section of document.querySelectorAll('.view')) {
    section.hidden = section.id !== `view-${view}`;
  }
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.dataset.view === view) {
      link.setAttribute('aria-current', 'page');
    } else {
      link.removeAttribute('aria-current');
    }
  }
  render();
}

// -- session -------------------------------------------------------------

async function start() {
  const session = ++state.session;
  $('#login').hidden = true;
  $('#nav').hidden = false;
  $('#logout').hidden = false;
  $('#live').textContent = 'Loading…';
  state.admin = undefined;
  // The head first: every change after it reaches `follow`, so none made
  // while the lists load is missed. Then every list at once.
  const { head: since, history } = await feedHead();
  state.events = history;
  await Promise.all([loadHosts(), loadSchedules(), loadClasses()]);
  // Hosts are admin-only: a 403 there is shown on the views that need them.
  state.admin = !state.hostsError;
  // Milliseconds from navigation to the data of the first view, then to
  // the view drawn: the browser tests report both.
  document.body.dataset.dataMs = String(Math.round(performance.now()));
  show(location.hash.slice(1));
  $('#live').textContent = 'Live';
  document.body.dataset.loaded = 'true';
  document.body.dataset.loadedMs = String(Math.round(performance.now()));
  follow(session, since);
}

async function signIn(event) {
  event.preventDefault();
  setToken($('#token').value.trim());
  $('#token').value = '';
  try {
    await api('GET', '/v1/events?limit=0');
  } catch (e) {
    setToken(null);
    $('#login-error').textContent = e.message;
    return;
  }
  $('#login-error').textContent = '';
  await start();
}

function signOut() {
  setToken(null);
  state.session += 1;
  state.hosts = new Map();
  state.schedules = [];
  state.classes = [];
  state.events = [];
  document.body.dataset.loaded = 'false';
  for (const section of document.querySelectorAll('.view')) {
    section.hidden = section.id !== 'login';
  }
  $('#nav').hidden = true;
  $('#logout').hidden = true;
  $('#live').textContent = '';
  $('#token').focus();
}

function init() {
  $('#login-form').addEventListener('submit', signIn);
  $('#logout').addEventListener('click', signOut);
  whatif.init();
  $('#host-filters').addEventListener('input', () => render());
  $('#host-filters').addEventListener('submit', (e) => e.preventDefault());
  window.addEventListener('hashchange', () => {
    if (token()) show(location.hash.slice(1));
  });
  if (token()) {
    start().catch((e) => {
      if (e instanceof ApiError && e.status === 401) signOut();
      $('#login-error').textContent = e.message;
    });
  } else {
    $('#token').focus();
  }
}

init();
