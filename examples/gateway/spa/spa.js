// The SPA side of the token handler: no token ever reaches this script. The gateway's OAuth agent
// (/oauth-agent) logs in and keeps the tokens in encrypted HttpOnly cookies; the proxy (/api)
// turns the access-token cookie into a bearer token. This script keeps only the CSRF token, in
// memory, and sends it on every state-changing request.
const AGENT = '/oauth-agent';
const CSRF_HEADER = 'x-rg-csrf';
let csrf;
let refreshes = 0;

const $ = (id) => document.getElementById(id);

function show(loggedIn, user) {
  $('status').textContent = loggedIn ? 'signed in' : 'signed out';
  $('user').textContent = loggedIn && user ? `as ${user}` : '';
  $('login').hidden = loggedIn;
  for (const id of ['orders', 'create', 'logout']) $(id).hidden = !loggedIn;
}

async function agent(path, init = {}) {
  const headers = { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...(csrf ? { [CSRF_HEADER]: csrf } : {}) };
  return fetch(`${AGENT}${path}`, { method: init.method ?? 'POST', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
}

// A call that needs a live access token: on 401 (the access-token cookie expired) the session is
// refreshed once, silently, and the call retried; a refused refresh ends the session.
async function withSession(send) {
  let response = await send();
  if (response.status !== 401) return response;
  const refreshed = await agent('/refresh');
  if (refreshed.status !== 204) {
    csrf = undefined;
    show(false);
    $('result').textContent = 'Session expired: sign in again.';
    return response;
  }
  refreshes += 1;
  $('refreshes').textContent = String(refreshes);
  return send();
}

async function api(path, method = 'GET') {
  const response = await withSession(() => fetch(`/api${path}`, { method, headers: csrf ? { [CSRF_HEADER]: csrf } : {} }));
  $('result').textContent = `${response.status} ${await response.text()}`;
}

async function start() {
  // Every page load: an authorization response in the URL ends the login; otherwise the agent
  // says whether a session exists (and gives this page its CSRF token).
  const response = await agent('/login/end', { body: { pageUrl: location.href } });
  const body = await response.json();
  if (!response.ok) {
    $('result').textContent = `Sign-in failed: ${body.error_description ?? body.error}`;
    show(false);
  } else {
    if (body.handled) history.replaceState(null, '', '/');
    csrf = body.csrf;
    let user;
    if (body.isLoggedIn) user = (await (await withSession(() => agent('/userinfo', { method: 'GET' }))).json()).name;
    show(body.isLoggedIn, user);
  }
  $('status').dataset.ready = 'true';
}

$('login').addEventListener('click', async () => {
  const { authorizationRequestUrl } = await (await agent('/login/start')).json();
  location.assign(authorizationRequestUrl);
});
$('orders').addEventListener('click', () => api('/orders'));
$('create').addEventListener('click', () => api('/orders', 'POST'));
$('logout').addEventListener('click', async () => {
  const response = await agent('/logout');
  const { endSessionUrl } = await response.json();
  csrf = undefined;
  show(false);
  $('result').textContent = `Signed out (${response.status}).`;
  if (endSessionUrl) {
    $('end-session-link').href = endSessionUrl;
    $('end-session').hidden = false;
  }
});

start().catch((error) => {
  $('result').textContent = `Error: ${error.message}`;
});
