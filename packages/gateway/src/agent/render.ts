import type { ErrorResponse } from '@resource-guard/core/adapter';
import type { AgentResponse } from './oauth-agent.js';

/** The status, headers and body text of an agent response; a refusal rendered by `reject` (the gateway's JSON error response). */
export function renderAgentResponse(response: AgentResponse, reject: (error: unknown) => ErrorResponse): ErrorResponse {
  if (response.error !== undefined) {
    const rendered = reject(response.error);
    return { ...rendered, headers: { ...response.headers, ...rendered.headers } };
  }
  if (response.body === undefined) return { status: response.status, headers: response.headers, body: '' };
  return {
    status: response.status,
    headers: { ...response.headers, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(response.body),
  };
}
