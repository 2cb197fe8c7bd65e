/**
 * The workerd configuration (Cap'n Proto text) of the runtime interop part: one socket on the
 * chosen loopback port, the bundled Worker, and an outbound network that reaches loopback only
 * (workerd's default `internet` service allows public addresses alone, so the dev AS on
 * 127.0.0.1 would be unreachable; nothing else is opened).
 */

/** A Cap'n Proto text literal (the same escapes as JSON's). */
const literal = (text) => JSON.stringify(text);

/** The config text for `modulePath` (beside the config file), listening on `port`. */
export function workerdConfig({ port, modulePath, config, compatibilityDate }) {
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .apiWorker),
    (name = "internet", network = (allow = ["local"])),
  ],
  sockets = [ (name = "http", address = ${literal(`127.0.0.1:${port}`)}, http = (), service = "main") ],
);

const apiWorker :Workerd.Worker = (
  modules = [ (name = "worker.mjs", esModule = embed ${literal(modulePath)}) ],
  compatibilityDate = ${literal(compatibilityDate)},
  bindings = [ (name = "RG_CONFIG", text = ${literal(JSON.stringify(config))}) ],
);
`;
}
