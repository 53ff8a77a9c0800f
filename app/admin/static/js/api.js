// The console's only way out: calls to this server's /admin/v1 with the operator's token (DESIGN.md §6).
// The token lives in sessionStorage (this tab only, gone when it closes), never in a cookie.

const SESSION_KEY = 'yijian.admin.session';
const MANAGE_ROLES = ['admin', 'operator'];

export const ROLE_NAMES = { admin: '管理员', operator: '运营', analyst: '分析员' };

export class ApiError extends Error {
  constructor(status, error, requestId) {
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code;
    this.remedy = error.remedy;
    this.fields = error.fields || [];
    this.details = error;
    this.requestId = error.request_id || requestId;
  }
}

function decodePayload(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), '=')),
      (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return {};
  }
}

export const session = {
  read() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null');
      return saved && saved.expiresAt > Date.now() ? saved : null;
    } catch {
      return null;
    }
  },
  // The role is read from the token the server signed; the server checks it again on every call.
  save(token, expiresIn, username) {
    const claims = decodePayload(token);
    sessionStorage.setItem(SESSION_KEY, JSON.stringify({
      token, username, role: claims.role || 'analyst', expiresAt: Date.now() + expiresIn * 1000,
    }));
  },
  clear() {
    sessionStorage.removeItem(SESSION_KEY);
  },
};

export const can = {
  manage: () => MANAGE_ROLES.includes(session.read()?.role),
  administer: () => session.read()?.role === 'admin',
};

let onUnauthorized = () => {};
export function whenUnauthorized(callback) {
  onUnauthorized = callback;
}

export async function api(method, path, { body, query, headers } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, value);
  }
  const saved = session.read();
  const init = { method, headers: { Accept: 'application/json', ...headers }, credentials: 'omit' };
  if (saved) init.headers.Authorization = `Bearer ${saved.token}`;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new ApiError(0, { code: 'NETWORK', message: '网络异常，请求没有完成', remedy: '请检查网络后重试' });
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data?.error || { code: `HTTP_${response.status}`,
      message: `服务器返回 ${response.status}` }, response.headers.get('X-Request-ID'));
    if (response.status === 401 && saved) onUnauthorized(error);
    throw error;
  }
  return data;
}

// A random UUID. crypto.randomUUID exists only on https or loopback; getRandomValues everywhere.
export function newIdempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
