/**
 * The demo's flows as a library, for `test/e2e/flows.test.ts`: the same definitions, client and
 * verdicts as `npm run demo` (whose entry point is `main.ts`).
 */
export { parseChallenges, challengeOf, type Challenge } from './challenge.js';
export {
  callApi, clientOf, discover, dpopHandle, insecure, requestToken, resend, revokeToken,
  type ApiResponse, type CallOptions, type CallResult, type TokenRequest,
} from './client.js';
export { loadCertificates, type DemoCertificates } from './certificates.js';
export { createFlowContext, FLOWS, SCALE_OUT_FLOWS, type ApiTarget, type Flow, type FlowContext } from './flows.js';
export { printCurlCommands } from './serve.js';
export { GATEWAY_FLOWS, startGateways } from './gateway-flows.js';
export { exchangeFlows, startInventory, type Inventory } from './exchange-flows.js';
export { MCP_FLOWS, startMcpServers } from './mcp-flows.js';
export {
  describeAuth, describeExpected, judge, observe, readAuth,
  type AuthSummary, type Expected, type Observation, type Verdict,
} from './observe.js';
export { runFlow, runFlows, type FlowResult } from './run.js';
export { apiEnvironment, DEMO_SETTINGS, type DemoSettings } from './settings.js';
