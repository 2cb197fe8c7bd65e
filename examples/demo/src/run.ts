/** Runs flows against APIs, concurrently (the waiting flows overlap), and judges each outcome. */
import { FLOWS, type ApiTarget, type Flow, type FlowContext } from './flows.js';
import { judge, type Observation, type Verdict } from './observe.js';

/** One flow against one API: what happened and the verdict. */
export interface FlowResult {
  readonly flow: Flow;
  readonly api: ApiTarget;
  /** Undefined when the flow could not run (e.g. the AS refused a token): see {@link failure}. */
  readonly observation: Observation | undefined;
  readonly verdict: Verdict;
  /** Why the flow could not run. */
  readonly failure?: string;
  readonly ms: number;
}

/** Runs one flow; an exception becomes a failed result, never a rejection. */
export async function runFlow(context: FlowContext, flow: Flow, api: ApiTarget): Promise<FlowResult> {
  const started = Date.now();
  try {
    const observation = await flow.run(context, api);
    return { flow, api, observation, verdict: judge(flow.expected, observation), ms: Date.now() - started };
  } catch (error) {
    const failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { flow, api, observation: undefined, verdict: { pass: false, got: 'error', problems: [failure] }, failure, ms: Date.now() - started };
  }
}

/** Every flow against every API, all at once; results in flow order, then API order. */
export async function runFlows(context: FlowContext, apis: readonly ApiTarget[], flows: readonly Flow[] = FLOWS): Promise<FlowResult[]> {
  return Promise.all(flows.flatMap((flow) => apis.map((api) => runFlow(context, flow, api))));
}
