/** Adds the guard's success headers; a response with immutable headers (e.g. a proxied `fetch`) is copied. */
export function withHeaders(response: Response, headers: Record<string, string>): Response {
  const names = Object.keys(headers);
  if (names.length === 0) return response;
  let target = response;
  try {
    for (const name of names) target.headers.set(name, headers[name]!);
  } catch {
    target = new Response(response.body, response);
    for (const name of names) target.headers.set(name, headers[name]!);
  }
  return target;
}
