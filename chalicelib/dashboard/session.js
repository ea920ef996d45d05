// Signing in with the Cognito user pool (USER_PASSWORD_AUTH, the new-password challenge,
// refresh). Tokens stay in this tab (sessionStorage); when they cannot be refreshed the
// sign-in dialog comes back over the screen, which keeps its state.

import { $ } from './dom.js';
import { state, update } from './store.js';

const KEY = 'ivs-moderation-session';
let waiters = [];
let challenge = null; // {session, username} while a new password is required
let refreshing = null;

function saved() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY));
  } catch {
    return null;
  }
}

function save(result, username) {
  const previous = saved() || {};
  const value = {
    username: username || previous.username,
    idToken: result.IdToken,
    refreshToken: result.RefreshToken || previous.refreshToken,
    expiresAt: Date.now() + result.ExpiresIn * 1000,
  };
  sessionStorage.setItem(KEY, JSON.stringify(value));
  update((s) => { s.user = value.username; });
}

class CognitoError extends Error {
  constructor(type, message) {
    super(message);
    this.type = type;
  }
}

async function cognito(action, body) {
  let response;
  try {
    response = await fetch(state.config.cognitoEndpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': `AWSCognitoIdentityProviderService.${action}`,
      },
      body: JSON.stringify(body),
    });
  } catch {
    throw new CognitoError('Network', 'Cannot reach the sign-in service. Check your connection.');
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const type = String(data.__type || '').split('#').pop();
    throw new CognitoError(type, data.message || `Sign-in failed (${response.status})`);
  }
  return data;
}

function requireSignIn(reason) {
  const dialog = $('#sign-in');
  $('#sign-in-reason').textContent = reason || '';
  if (!dialog.open) {
    dialog.showModal();
    $('#sign-in-username').value = saved()?.username || '';
    ($('#sign-in-username').value ? $('#sign-in-password') : $('#sign-in-username')).focus();
  }
  return new Promise((resolve) => waiters.push(resolve));
}

async function submit(event) {
  event.preventDefault();
  const button = $('#sign-in-submit');
  if (button.disabled) return;
  button.disabled = true;
  $('#sign-in-error').textContent = '';
  const username = $('#sign-in-username').value.trim();
  try {
    const result = challenge
      ? await cognito('RespondToAuthChallenge', {
        ClientId: state.config.clientId,
        ChallengeName: 'NEW_PASSWORD_REQUIRED',
        Session: challenge.session,
        ChallengeResponses: { USERNAME: challenge.username, NEW_PASSWORD: $('#new-password').value },
      })
      : await cognito('InitiateAuth', {
        AuthFlow: 'USER_PASSWORD_AUTH',
        ClientId: state.config.clientId,
        AuthParameters: { USERNAME: username, PASSWORD: $('#sign-in-password').value },
      });
    if (result.ChallengeName === 'NEW_PASSWORD_REQUIRED') {
      challenge = { session: result.Session, username };
      $('#new-password-fields').hidden = false;
      $('#new-password').required = true;
      $('#new-password').focus();
      return;
    }
    if (!result.AuthenticationResult) {
      throw new CognitoError(result.ChallengeName, `Unsupported sign-in step: ${result.ChallengeName}`);
    }
    challenge = null;
    $('#new-password-fields').hidden = true;
    $('#new-password').required = false;
    save(result.AuthenticationResult, username);
    $('#sign-in-password').value = '';
    $('#sign-in').close();
    const signedIn = waiters;
    waiters = [];
    signedIn.forEach((resolve) => resolve());
  } catch (error) {
    const wrong = ['NotAuthorizedException', 'UserNotFoundException'].includes(error.type);
    $('#sign-in-error').textContent = wrong ? 'Wrong username or password.' : error.message;
  } finally {
    button.disabled = false;
  }
}

/** A valid ID token: the saved one, a refreshed one, or one from signing in again. */
export async function idToken() {
  const current = saved();
  if (current && current.expiresAt - Date.now() > 60_000) return current.idToken;
  if (current?.refreshToken) {
    refreshing ||= cognito('InitiateAuth', {
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      ClientId: state.config.clientId,
      AuthParameters: { REFRESH_TOKEN: current.refreshToken },
    })
      .then((result) => save(result.AuthenticationResult))
      .catch(() => null)
      .finally(() => { refreshing = null; });
    await refreshing;
    const renewed = saved();
    if (renewed && renewed.expiresAt - Date.now() > 60_000) return renewed.idToken;
  }
  await requireSignIn(current ? 'Your session has expired. Sign in again to carry on.' : '');
  return saved().idToken;
}

/** The API refused the token (401): refresh it, or sign in again, on the next request. */
export function expireToken() {
  const stale = saved();
  if (stale) sessionStorage.setItem(KEY, JSON.stringify({ ...stale, expiresAt: 0 }));
}

export function signOut() {
  sessionStorage.removeItem(KEY);
  window.location.reload();
}

export function wireSession() {
  $('#sign-in-form').addEventListener('submit', submit);
  $('#sign-in').addEventListener('cancel', (event) => event.preventDefault()); // required
  for (const button of document.querySelectorAll('.sign-out')) button.addEventListener('click', signOut);
  const current = saved();
  if (current) update((s) => { s.user = current.username; });
}
