import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * Command-line options of the bench scripts, with `node:util`'s `parseArgs` (strict: an unknown
 * or misspelt option is an error, not silently ignored).
 */
export function readArgs<T extends NonNullable<ParseArgsConfig['options']>>(argv: readonly string[], options: T): ParsedValues<T> {
  return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values as ParsedValues<T>;
}

/** The values `parseArgs` returns for `options`: strings and booleans by their declared type. */
export type ParsedValues<T extends NonNullable<ParseArgsConfig['options']>> = {
  [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : string;
};

/** A numeric option: `fallback` when absent; a `TypeError` naming it unless a positive number. */
export function positiveNumber(values: Record<string, unknown>, name: string, fallback: number): number {
  const raw = values[name];
  const parsed = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new TypeError(`--${name} must be a positive number`);
  return parsed;
}
