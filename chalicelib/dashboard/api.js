// The moderator API: every call carries the user pool ID token; a 401 refreshes it (or asks
// to sign in again) and is retried once. Answers are {status, body}; status 0: unreachable.

import { expireToken, idToken } from './session.js';

export async function api(method, path, body) {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const token = await idToken();
    let response;
    try {
      response = await fetch(path, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          ...(body ? { 'Content-Type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch {
      return { status: 0, body: { Message: 'the service cannot be reached' } };
    }
    const data = await response.json().catch(() => ({}));
    if (response.status === 401 && attempt === 0) {
      expireToken();
      continue;
    }
    return { status: response.status, body: data };
  }
  return { status: 401, body: { Message: 'not signed in' } };
}

export const get = (path) => api('GET', path);
export const post = (path, body = {}) => api('POST', path, body);

/** The API's own words for a failed call. */
export function reason(answer) {
  if (answer.status === 0) return 'the service cannot be reached';
  return answer.body?.Message || `the service answered ${answer.status}`;
}
