/**
 * @module A pickle interpreter (protocols 0-5 as torch.save and pickle.dump write them) that never
 * imports or calls anything from the file. A global (GLOBAL, STACK_GLOBAL, INST) is only a name: the
 * caller's `resolveGlobal` turns the few names it knows into our own pure functions; every other name
 * becomes an inert `Placeholder` that records its arguments and state and is reported. Dicts become
 * Maps (keys may be ints or tuples, and a Map cannot be polluted through `__proto__`); lists and
 * tuples become arrays; ints beyond 2^53 become bigints; bytes become Uint8Arrays.
 */

/** A global the reader did not interpret, kept as data: `{ $global: 'os.system', args: [...] }`. */
export class Placeholder {
  /** The call's arguments, or undefined for a bare reference that was never called. */
  args: unknown[] | undefined;
  /** BUILD state, SETITEM(S) and APPEND(S) applied to the object, kept as data. */
  state?: unknown;
  items?: Map<unknown, unknown>;
  list?: unknown[];

  constructor(
    readonly $global: string,
    args?: unknown[],
  ) {
    this.args = args;
  }
}

/** A name the caller knows: calling it (REDUCE, NEWOBJ) runs our function, never the file's. */
export interface KnownGlobal {
  readonly name: string;
  call(args: unknown[]): unknown;
}

export interface UnpickleOptions {
  /**
   * `module.name` → our value for it: a `knownGlobal` (callable) or inert data (a storage type, a
   * dtype); undefined makes a placeholder.
   */
  resolveGlobal(module: string, name: string): unknown;
  /** Called for BINPERSID/PERSID; torch uses it for storages. */
  persistentLoad?(pid: unknown): unknown;
  /** Names the file in errors. */
  file: string;
}

export interface Unpickled {
  value: unknown;
  /** Offset just past the STOP opcode (legacy torch files are several pickles back to back). */
  end: number;
  /** Every global name that became a placeholder, once each, in order of first appearance. */
  placeholders: string[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

/** Pure, and torch writes them under protocol 2 for every bytes object: `_codecs.encode(str, 'latin1')`. */
export function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 255) throw new Error(`_codecs.encode: character U+${c.toString(16)} is not latin-1`);
    out[i] = c;
  }
  return out;
}

function intFromBytes(b: Uint8Array): number | bigint {
  // Two's complement little-endian of any length (LONG1/LONG4).
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]);
  if (b.length && b[b.length - 1] & 0x80) n -= 1n << BigInt(8 * b.length);
  return narrow(n);
}

function narrow(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

export function unpickle(bytes: Uint8Array, start: number, opts: UnpickleOptions): Unpickled {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const placeholders: string[] = [];
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = start;
  let opAt = start;

  const fail = (why: string): never => {
    throw new Error(`${opts.file}: pickle at byte ${opAt}: ${why}`);
  };
  const need = (n: number) => {
    if (n < 0 || pos + n > bytes.length) fail(`truncated (needs ${n} more bytes, ${bytes.length - pos} left)`);
  };
  const take = (n: number): Uint8Array => {
    need(n);
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  const u8 = () => take(1)[0];
  const u16 = () => (need(2), (pos += 2), v.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), v.getUint32(pos - 4, true));
  const i32 = () => (need(4), (pos += 4), v.getInt32(pos - 4, true));
  const u64 = () => {
    need(8);
    pos += 8;
    const n = v.getBigUint64(pos - 8, true);
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) fail(`length ${n} is too large`);
    return Number(n);
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('truncated (no end of line)');
    const text = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return text;
  };
  const text = (n: number): string => {
    const b = take(n);
    try {
      return utf8.decode(b);
    } catch {
      return fail('string is not valid UTF-8');
    }
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1])) fail('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail('no MARK to pop to');
    return stack.splice(m!);
  };

  const global = (module: string, name: string): unknown => {
    const known = opts.resolveGlobal(module, name);
    if (known !== undefined) return known;
    const full = `${module}.${name}`;
    if (!placeholders.includes(full)) placeholders.push(full);
    return new Placeholder(full);
  };
  const call = (fn: unknown, args: unknown): unknown => {
    if (!Array.isArray(args)) fail('call arguments are not a tuple');
    const list = args as unknown[];
    if (fn instanceof Placeholder) return new Placeholder(fn.$global, list);
    if (isKnown(fn)) {
      try {
        return fn.call(list);
      } catch (err) {
        return fail(`${fn.name}: ${(err as Error).message}`);
      }
    }
    return fail(`cannot call a ${describe(fn)}`);
  };
  const setItems = (target: unknown, kv: unknown[]) => {
    if (kv.length % 2) fail('SETITEMS with an odd number of items');
    const map =
      target instanceof Map ? target : target instanceof Placeholder ? (target.items ??= new Map()) : undefined;
    if (!map) fail(`SETITEM on a ${describe(target)}`);
    for (let i = 0; i < kv.length; i += 2) map!.set(kv[i], kv[i + 1]);
  };
  const append = (target: unknown, items: unknown[]) => {
    const list = Array.isArray(target) ? target : target instanceof Placeholder ? (target.list ??= []) : undefined;
    if (!list) fail(`APPEND on a ${describe(target)}`);
    for (const x of items) list!.push(x); // no spread: APPENDS may carry very many items
  };
  const addItems = (target: unknown, items: unknown[]) => {
    if (!(target instanceof Set)) fail(`ADDITEMS on a ${describe(target)}`);
    for (const x of items) (target as Set<unknown>).add(x);
  };
  const persistent = (pid: unknown) => {
    if (!opts.persistentLoad) fail('persistent id in a pickle that should have none');
    return opts.persistentLoad!(pid);
  };

  for (;;) {
    opAt = pos;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail(`pickle protocol ${bytes[pos - 1]} is newer than 5`);
        break;
      case 0x95: // FRAME: framing only, the opcodes follow inline
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length) fail(`STOP with ${stack.length} values on the stack`);
        return { value: stack[0], end: pos, placeholders };
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x49: {
        // INT (protocol 0; "01"/"00" are True/False)
        const s = line();
        if (s === '01' || s === '00') stack.push(s === '01');
        else stack.push(parseDecimal(s) ?? fail(`bad INT ${JSON.stringify(s)}`));
        break;
      }
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4c: {
        // LONG (protocol 0, trailing L)
        const s = line().replace(/L$/, '');
        stack.push(parseDecimal(s) ?? fail(`bad LONG ${JSON.stringify(s)}`));
        break;
      }
      case 0x8a: // LONG1
        stack.push(intFromBytes(take(u8())));
        break;
      case 0x8b: {
        // LONG4
        const n = i32();
        if (n < 0) fail('LONG4 with a negative length');
        stack.push(intFromBytes(take(n)));
        break;
      }
      case 0x46: {
        // FLOAT (protocol 0)
        const s = line();
        const x = Number(s);
        if (Number.isNaN(x) && !/nan/i.test(s)) fail(`bad FLOAT ${JSON.stringify(s)}`);
        stack.push(x);
        break;
      }
      case 0x47: // BINFLOAT: big-endian double
        need(8);
        pos += 8;
        stack.push(v.getFloat64(pos - 8, false));
        break;
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(u64()));
        break;
      case 0x56: // UNICODE (protocol 0, raw-unicode-escape)
        stack.push(line().replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, a, b) => codePoint(a ?? b)));
        break;
      case 0x53: // STRING (protocol 0 quoted Python 2 str)
        stack.push(unquote(line()) ?? fail('bad STRING'));
        break;
      case 0x54: {
        // BINSTRING (Python 2 str): read as latin-1 text, as pickle's encoding='latin1' does
        const n = i32();
        if (n < 0) fail('BINSTRING with a negative length');
        stack.push(latin1.decode(take(n)));
        break;
      }
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1.decode(take(u8())));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(take(u64()).slice());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const x = pop();
        append(top(), [x]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: {
        // DICT
        const map = new Map();
        setItems(map, popMark());
        stack.push(map);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        addItems(top(), items);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(new Set(popMark()));
        break;
      case 0x63: {
        // GLOBAL
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x69: {
        // INST (protocol 0): class from the line, arguments from the mark
        const module = line();
        const cls = global(module, line());
        stack.push(call(cls, popMark()));
        break;
      }
      case 0x6f: {
        // OBJ (protocol 1): class and arguments from the mark
        const items = popMark();
        if (!items.length) fail('OBJ without a class');
        stack.push(call(items[0], items.slice(1)));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args), treated like a call
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX: keyword arguments are kept as a trailing Map
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        stack.push(call(cls, Array.isArray(args) ? [...args, kwargs] : args));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const obj = top();
        stack[stack.length - 1] = build(obj, state);
        break;
      }
      case 0x70: // PUT
        memo.set(parseDecimal(line()) as number, top());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x67: // GET
        stack.push(recall(memo, parseDecimal(line()) as number, fail));
        break;
      case 0x68: // BINGET
        stack.push(recall(memo, u8(), fail));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(recall(memo, u32(), fail));
        break;
      case 0x50: // PERSID
        stack.push(persistent(line()));
        break;
      case 0x51: // BINPERSID
        stack.push(persistent(pop()));
        break;
      default:
        fail(`unsupported opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }

  function build(obj: unknown, state: unknown): unknown {
    if (obj instanceof Placeholder) {
      obj.state = state;
      return obj;
    }
    const known = typeof obj === 'object' && obj !== null ? builders.get(obj) : undefined;
    if (known) return known(obj, state);
    // State on an object we made ourselves (an OrderedDict's _metadata, a tensor's empty state) is
    // not part of its value.
    return obj;
  }
}

/** Objects made by a KnownGlobal that asked for BUILD (e.g. numpy dtypes): obj → its build. */
const builders = new WeakMap<object, (obj: unknown, state: unknown) => unknown>();

/** Lets a KnownGlobal's result receive BUILD state (numpy.dtype sets its byte order that way). */
export function acceptBuild<T extends object>(obj: T, build: (obj: T, state: unknown) => unknown): T {
  builders.set(obj, build as (obj: unknown, state: unknown) => unknown);
  return obj;
}

function isKnown(x: unknown): x is KnownGlobal {
  return typeof x === 'object' && x !== null && knownGlobals.has(x);
}

const knownGlobals = new WeakSet<object>();

/** Marks an object as a callable global; only these (and placeholders) can be called by a pickle. */
export function knownGlobal(name: string, call: (args: unknown[]) => unknown): KnownGlobal {
  const g: KnownGlobal = { name, call };
  knownGlobals.add(g);
  return g;
}

function recall(memo: Map<number, unknown>, key: number, fail: (why: string) => never): unknown {
  if (!memo.has(key)) fail(`memo key ${key} was never stored`);
  return memo.get(key);
}

function parseDecimal(s: string): number | bigint | undefined {
  return /^[+-]?\d+$/.test(s.trim()) ? narrow(BigInt(s.trim())) : undefined;
}

const codePoint = (hex: string) => String.fromCodePoint(parseInt(hex, 16));

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0' };

function unquote(s: string): string | undefined {
  const m = /^(['"])(.*)\1$/s.exec(s);
  if (!m) return undefined;
  return m[2].replace(/\\x([0-9a-fA-F]{2})|\\(.)/g, (_, hex, c) =>
    hex ? String.fromCharCode(parseInt(hex, 16)) : (ESCAPES[c] ?? c),
  );
}

/** A short description of a value for error messages. */
export function describe(x: unknown): string {
  if (x === null) return 'None';
  if (x instanceof Placeholder) return `placeholder of ${x.$global}`;
  if (x instanceof Map) return 'dict';
  if (Array.isArray(x)) return 'list/tuple';
  if (x instanceof Uint8Array) return 'bytes';
  const name = typeof x === 'object' ? (x as { name?: unknown }).name : undefined;
  if (typeof name === 'string') return name;
  return typeof x;
}
