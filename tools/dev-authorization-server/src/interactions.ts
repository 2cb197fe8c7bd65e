/**
 * The dev AS's user-facing pages for the authorization-code flow: one sign-in page (any user
 * name, no password) and consent given automatically for what the client asked. Plain HTML, no
 * script, so a browser test can drive it (`input[name=login]`, `button[type=submit]`).
 * DEVELOPMENT ONLY: anyone can sign in as anyone.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { default as Provider } from 'oidc-provider';

/** Where oidc-provider sends the browser for an interaction. */
export const INTERACTION_PATH = '/interaction/';

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(uid: string, client: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in — dev authorization server</title></head>
<body style="font-family: sans-serif; max-width: 28rem; margin: 3rem auto">
<h1>Sign in</h1><p>to <b>${escape(client)}</b> (DEVELOPMENT ONLY: any user name, no password)</p>
<form method="post" action="${INTERACTION_PATH}${escape(uid)}">
<label>User name <input name="login" required autofocus value="alice"></label>
<button type="submit">Sign in</button></form></body></html>`;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req as AsyncIterable<Buffer>) {
    body += chunk.toString('utf8');
    if (body.length > 4096) break;
  }
  return new URLSearchParams(body);
}

/** Consents to everything the interaction is missing (scopes, claims, resource scopes) and finishes it. */
async function consent(provider: Provider, req: IncomingMessage, res: ServerResponse, accountId: string): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
  const grant = details.grantId === undefined
    ? new provider.Grant({ accountId, clientId: String(details.params.client_id) })
    : (await provider.Grant.find(details.grantId))!;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
  await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
}

/** Answers `GET|POST /interaction/:uid`; `false` when `req` is not an interaction request. */
export async function handleInteraction(provider: Provider, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  if (!req.url?.startsWith(INTERACTION_PATH)) return false;
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'consent') {
    await consent(provider, req, res, String(details.session?.accountId));
  } else if (req.method === 'POST') {
    const login = (await readForm(req)).get('login')?.trim();
    if (!login) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('login required');
      return true;
    }
    await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
  } else {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page(details.uid, String(details.params.client_id)));
  }
  return true;
}
