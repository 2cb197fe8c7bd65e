/**
 * The subset of RFC 8941 (Structured Field Values) that HTTP message signatures need: parsing and
 * serializing Dictionaries, Lists, Inner Lists, Items and Parameters. The parser is strict (any
 * deviation from the RFC 8941 §4.2 algorithms throws a {@link StructuredFieldError}) and bounded by
 * the caller's length check; the serializer follows RFC 8941 §4.1, which RFC 9421 §2.3 uses to
 * rebuild `@signature-params` and §2.1.1/§2.1.2 use for `sf` and `key` components.
 */

/** A Token (RFC 8941 §3.3.4), kept apart from a String. */
export class Token {
  constructor(readonly value: string) {}
}

/** A Byte Sequence (RFC 8941 §3.3.5). */
export class ByteSequence {
  constructor(readonly bytes: Uint8Array) {}
}

/** A Decimal (RFC 8941 §3.3.2), kept apart from an Integer so that `2.0` serializes as it came. */
export class Decimal {
  constructor(readonly value: number) {}
}

/** A Bare Item: Integer (number), Decimal, String, Token, Byte Sequence, Boolean. */
export type BareItem = number | Decimal | string | Token | ByteSequence | boolean;
/** Parameters, in order (RFC 8941 §3.1.2). */
export type Parameters = Map<string, BareItem>;
/** An Item with its Parameters. */
export interface Item { value: BareItem; params: Parameters }
/** An Inner List with its Parameters. */
export interface InnerList { items: Item[]; params: Parameters }
/** A List or Dictionary member. */
export type Member = Item | InnerList;
/** A Dictionary, in order. */
export type Dictionary = Map<string, Member>;

/** A field value that is not a valid structured field; carries no part of the input. */
export class StructuredFieldError extends Error {}

/** Whether a member is an Inner List. */
export function isInnerList(member: Member): member is InnerList {
  return 'items' in member;
}

const KEY_START = /[a-z*]/;
const KEY_CHAR = /[a-z0-9_\-.*]/;
const TOKEN_START = /[A-Za-z*]/;
const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z:/]/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

class Parser {
  private index = 0;
  constructor(private readonly input: string) {}

  fail(): never {
    throw new StructuredFieldError('malformed structured field');
  }

  peek(): string | undefined {
    return this.input[this.index];
  }

  done(): boolean {
    return this.index >= this.input.length;
  }

  skipSp(): void {
    while (this.peek() === ' ') this.index++;
  }

  skipOws(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.index++;
  }

  // RFC 8941 §4.2.2: members separated by "," with optional whitespace, no trailing comma.
  afterMember(): boolean {
    this.skipOws();
    if (this.done()) return false;
    if (this.peek() !== ',') this.fail();
    this.index++;
    this.skipOws();
    if (this.done()) this.fail();
    return true;
  }

  dictionary(): Dictionary {
    const dictionary: Dictionary = new Map();
    if (this.done()) return dictionary;
    do {
      const key = this.key();
      let member: Member;
      if (this.peek() === '=') {
        this.index++;
        member = this.itemOrInnerList();
      } else {
        member = { value: true, params: this.parameters() };
      }
      dictionary.delete(key);
      dictionary.set(key, member);
    } while (this.afterMember());
    return dictionary;
  }

  list(): Member[] {
    const list: Member[] = [];
    if (this.done()) return list;
    do list.push(this.itemOrInnerList()); while (this.afterMember());
    return list;
  }

  itemOrInnerList(): Member {
    return this.peek() === '(' ? this.innerList() : this.item();
  }

  innerList(): InnerList {
    this.index++;
    const items: Item[] = [];
    for (;;) {
      this.skipSp();
      if (this.peek() === ')') {
        this.index++;
        return { items, params: this.parameters() };
      }
      items.push(this.item());
      const next = this.peek();
      if (next !== ' ' && next !== ')') this.fail();
    }
  }

  item(): Item {
    return { value: this.bareItem(), params: this.parameters() };
  }

  parameters(): Parameters {
    const params: Parameters = new Map();
    while (this.peek() === ';') {
      this.index++;
      this.skipSp();
      const key = this.key();
      let value: BareItem = true;
      if (this.peek() === '=') {
        this.index++;
        value = this.bareItem();
      }
      params.delete(key);
      params.set(key, value);
    }
    return params;
  }

  key(): string {
    const start = this.index;
    if (!KEY_START.test(this.peek() ?? '')) this.fail();
    while (!this.done() && KEY_CHAR.test(this.peek()!)) this.index++;
    return this.input.slice(start, this.index);
  }

  bareItem(): BareItem {
    const c = this.peek() ?? '';
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    if (c === '"') return this.string();
    if (c === ':') return this.byteSequence();
    if (c === '?') return this.boolean();
    if (TOKEN_START.test(c)) return this.token();
    return this.fail();
  }

  // RFC 8941 §4.2.4: at most 15 digits for an Integer, 12.3 for a Decimal.
  number(): number | Decimal {
    const match = /^-?(\d{1,15})(\.\d{1,3})?/.exec(this.input.slice(this.index, this.index + 20));
    if (match === null) return this.fail();
    const text = match[0];
    if (match[2] !== undefined && match[1]!.length > 12) this.fail();
    this.index += text.length;
    const next = this.peek();
    if (next !== undefined && next >= '0' && next <= '9') this.fail();
    if (next === '.') this.fail();
    return match[2] === undefined ? Number(text) : new Decimal(Number(text));
  }

  string(): string {
    this.index++;
    let out = '';
    for (;;) {
      const c = this.peek();
      if (c === undefined) return this.fail();
      this.index++;
      if (c === '"') return out;
      if (c === '\\') {
        const escaped = this.peek();
        if (escaped !== '"' && escaped !== '\\') this.fail();
        this.index++;
        out += escaped;
        continue;
      }
      const code = c.charCodeAt(0);
      if (code < 0x20 || code > 0x7e) this.fail();
      out += c;
    }
  }

  token(): Token {
    const start = this.index;
    this.index++;
    while (!this.done() && TOKEN_CHAR.test(this.peek()!)) this.index++;
    return new Token(this.input.slice(start, this.index));
  }

  byteSequence(): ByteSequence {
    this.index++;
    const end = this.input.indexOf(':', this.index);
    if (end === -1) this.fail();
    const text = this.input.slice(this.index, end);
    if (!BASE64.test(text)) this.fail();
    this.index = end + 1;
    return new ByteSequence(decodeBase64(text));
  }

  boolean(): boolean {
    this.index++;
    const c = this.peek();
    if (c !== '0' && c !== '1') this.fail();
    this.index++;
    return c === '1';
  }
}

function parseTop<T>(input: string, read: (parser: Parser) => T): T {
  // RFC 8941 §4.2: leading and trailing spaces are discarded; nothing else may remain.
  const parser = new Parser(input.replace(/^ +| +$/g, ''));
  const value = read(parser);
  if (!parser.done()) parser.fail();
  return value;
}

/** Parses a Dictionary (RFC 8941 §4.2.2); throws {@link StructuredFieldError}. */
export function parseDictionary(input: string): Dictionary {
  return parseTop(input, (parser) => parser.dictionary());
}

/** Parses a List (RFC 8941 §4.2.1); throws {@link StructuredFieldError}. */
export function parseList(input: string): Member[] {
  return parseTop(input, (parser) => parser.list());
}

/** Parses an Item (RFC 8941 §4.2.3); throws {@link StructuredFieldError}. */
export function parseItem(input: string): Item {
  return parseTop(input, (parser) => parser.item());
}

/** Serializes a Bare Item (RFC 8941 §4.1.3). */
export function serializeBareItem(value: BareItem): string {
  if (typeof value === 'boolean') return value ? '?1' : '?0';
  if (typeof value === 'number') return String(value);
  if (value instanceof Decimal) {
    // Parsed decimals have at most three fractional digits, so toFixed(3) is exact for them.
    const text = value.value.toFixed(3).replace(/0+$/, '');
    return text.endsWith('.') ? `${text}0` : text;
  }
  if (typeof value === 'string') return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  if (value instanceof Token) return value.value;
  return `:${encodeBase64(value.bytes)}:`;
}

/** Serializes Parameters (RFC 8941 §4.1.1.2). */
export function serializeParameters(params: Parameters): string {
  let out = '';
  for (const [key, value] of params) out += value === true ? `;${key}` : `;${key}=${serializeBareItem(value)}`;
  return out;
}

/** Serializes an Item or Inner List (RFC 8941 §4.1.1.1, §4.1.3). */
export function serializeMember(member: Member): string {
  if (isInnerList(member)) return `(${member.items.map(serializeMember).join(' ')})${serializeParameters(member.params)}`;
  return serializeBareItem(member.value) + serializeParameters(member.params);
}

/** Serializes a Dictionary (RFC 8941 §4.1.2). */
export function serializeDictionary(dictionary: Dictionary): string {
  return [...dictionary].map(([key, member]) => (!isInnerList(member) && member.value === true
    ? key + serializeParameters(member.params)
    : `${key}=${serializeMember(member)}`)).join(', ');
}

/** Serializes a List (RFC 8941 §4.1.1). */
export function serializeList(list: readonly Member[]): string {
  return list.map(serializeMember).join(', ');
}

/** Standard base64 (RFC 4648 §4), as RFC 8941 Byte Sequences use it. */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Decodes standard base64 (missing padding accepted, as RFC 8941 §4.2.7 allows). */
export function decodeBase64(text: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text.padEnd(Math.ceil(text.length / 4) * 4, '='));
  } catch (cause) {
    throw new StructuredFieldError('malformed structured field', { cause });
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
