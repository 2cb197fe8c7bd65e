/**
 * The shared runner: each case's token goes through every adapter's test app (test/helpers/apps.ts,
 * the same routes as the HTTP case table), one fresh guard per app, so no cache carries an answer
 * from one adapter to the next. The verdict compares the status (200) or the error code the
 * framework's error handling received with what the case expects.
 */
import { FRAMEWORKS, startApp } from '../helpers/apps.js';
import { clientProof } from '../helpers/dpop.js';
import { send } from '../helpers/http.js';
import type { InteropCase, InteropRow } from './types.js';

/** Runs `cases` of `subject` through Express, Koa, Fastify and fetch. */
export async function runCases(subject: string, cases: readonly InteropCase[]): Promise<InteropRow[]> {
  const rows: InteropRow[] = [];
  for (const c of cases) {
    for (const framework of FRAMEWORKS) {
      rows.push(await runCase(subject, c, framework));
    }
  }
  return rows;
}

async function runCase(subject: string, c: InteropCase, framework: (typeof FRAMEWORKS)[number]): Promise<InteropRow> {
  const base = { subject, flow: c.flow, adapter: framework, expected: c.expected, ...(c.note === undefined ? {} : { note: c.note }) };
  let app;
  try {
    app = await startApp(framework, c.guard);
  } catch (error) {
    return { ...base, verdict: 'fail', code: describe(error) };
  }
  try {
    const token = typeof c.token === 'string' ? c.token : await c.token();
    const url = `${app.url}/protected`;
    const headers: Record<string, string> = c.dpop === undefined
      ? { authorization: `Bearer ${token}` }
      : { authorization: `DPoP ${token}`, dpop: await clientProof(c.dpop, token, url) };
    const response = await send(url, { headers });
    const code = response.status === 200 ? '200' : (app.errors.at(-1) as { code?: string } | undefined)?.code ?? `HTTP ${response.status}`;
    const problem = code === '200' ? c.checkAuth?.((JSON.parse(response.body) as { auth: Record<string, unknown> }).auth) : undefined;
    if (problem !== undefined) return { ...base, verdict: 'fail', code: `200, but ${problem}` };
    return { ...base, verdict: code === c.expected ? 'pass' : 'fail', code };
  } catch (error) {
    return { ...base, verdict: 'fail', code: describe(error) };
  } finally {
    await app.close();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
