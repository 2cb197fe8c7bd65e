/** Next.js provides `process.env` in every runtime (inlined at build time on the edge). */
declare const process: { env: Record<string, string | undefined> };
