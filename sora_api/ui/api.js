// Talking to the Sora API: the token from session storage, errors as the
// contract's `detail`.

const KEY = 'sora.token';

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
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

function parse(text) {
  try {
    return text ? JSON.parse(text) : null;
  } catch (e) {
    return null;
  }
}

// The body's text of a successful answer; an ApiError with the status
// and the contract's `detail` otherwise.
// The token goes in a header, never in a URL, so no log line shows it.
async function request(method, path, body) {
  const headers = { 'X-Auth-Token': token() || '' };
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  if (!response.ok) {
    const data = parse(text);
    const error = data && data.errors && data.errors[0];
    const detail = error ? error.detail : `HTTP ${response.status}`;
    throw new ApiError(response.status, detail);
  }
  return text;
}

export async function api(method, path, body) {
  return parse(await request(method, path, body));
}

function nextHref(links) {
  const link = Array.isArray(links)
    && links.find((l) => l && l.rel === 'next');
  if (!link || typeof link.href !== 'string') return null;
  const url = new URL(link.href, location.href);
  return url.pathname + url.search;
}

// A list answer ends with its `links` (the server writes them last), so
// the next page's address is read from the end of the text before the
// whole page is parsed. Only a guess: the parsed page confirms it.
function guessNext(text) {
  const at = text.lastIndexOf('"links": [');
  if (at < 0) return null;
  try {
    return nextHref(JSON.parse(`{${text.slice(at)}`).links);
  } catch (e) {
    return null;
  }
}

// Every item of a paginated list, following `links` rel=next. Each next
// page is asked for before this one is parsed, so the server works on it
// while the browser reads this one.
export async function all(path, key) {
  const items = [];
  let pending = request('GET', path);
  while (pending) {
    const text = await pending;
    const guess = guessNext(text);
    pending = guess ? request('GET', guess) : null;
    const page = parse(text);
    if (!page || !Array.isArray(page[key])) {
      throw new ApiError(200, `The answer of ${path} holds no ${key}.`);
    }
    items.push(...page[key]);
    const next = nextHref(page.links);
    if (next !== guess) {
      // Never awaited: its outcome, even a failure, is of no use.
      if (pending) pending.catch(() => {});
      pending = next ? request('GET', next) : null;
    }
  }
  return items;
}
