// Talking to the Sora API: the token from session storage, errors as the
// contract's `detail`.

const KEY = 'sora.token';

export class ApiError extends Error {
  constructor(status, detail, body) {
    super(detail);
    this.status = status;
    this.body = body;
  }
}

export function token() {
  return sessionStorage.getItem(KEY);
}

export function setToken(value) {
  if (value) {
    sessionStorage.setItem(KEY, value);
  } else {
    sessionStorage.removeItem(KEY);
  }
}

// The token goes in a header, never in a URL, so no log line shows it.
export async function api(method, path, body) {
  const headers = { 'X-Auth-Token': token() || '' };
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (e) {
    data = null;
  }
  if (!response.ok) {
    const error = data && data.errors && data.errors[0];
    const detail = error ? error.detail : `HTTP ${response.status}`;
    throw new ApiError(response.status, detail, error);
  }
  return data;
}

// Every item of a paginated list, following `links` rel=next.
export async function all(path, key) {
  const items = [];
  let next = path;
  while (next) {
    const page = await api('GET', next);
    items.push(...page[key]);
    const link = (page.links || []).find((l) => l.rel === 'next');
    next = link ? new URL(link.href).pathname + new URL(link.href).search : null;
  }
  return items;
}
