// Talks to the studio's JSON API. The access token, when the studio has one, travels in a cookie.

/** A refusal or failure the API explained: `{ code, message, fix }`. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `The studio answered ${status}.`);
    this.status = status;
    this.code = body?.error?.code;
    this.fix = body?.error?.fix;
  }
}

async function request(method, path, params) {
  const query = params
    ? `?${new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== ''))}`
    : '';
  const response = await fetch(`/api/${path}${query}`, {
    method,
    headers: method === 'GET' ? {} : { 'content-type': 'application/json' },
    body: method === 'GET' ? undefined : '{}',
  });
  const body = await response.json().catch(() => undefined);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

export const api = {
  get: (path, params) => request('GET', path, params),
  post: (path) => request('POST', path),
};

/** `#/stream?id=BankAccount-1&v=2` → `{ page: 'stream', params: { id, v } }`. */
export function parseRoute(hash) {
  const [path, query] = hash.replace(/^#\/?/, '').split('?');
  return { page: path || 'streams', params: Object.fromEntries(new URLSearchParams(query ?? '')) };
}

export function href(page, params = {}) {
  const query = new URLSearchParams(
    Object.entries(params).filter(([, v]) => v !== undefined && v !== '' && v !== null),
  );
  return `#/${page}${query.size > 0 ? `?${query}` : ''}`;
}
