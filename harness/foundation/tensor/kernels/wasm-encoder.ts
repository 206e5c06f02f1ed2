/**
 * @module The few pieces of the WebAssembly binary format our hand-assembled helpers need (see
 * strided-copy.ts): LEB128 numbers, sections, locals, loops and the opcodes used. Spec:
 * https://webassembly.github.io/spec/core/binary/
 */

export const u32 = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
export const name = (s: string) => [...u32(s.length), ...Buffer.from(s, 'utf8')];
export const vec = (items: number[][]) => [...u32(items.length), ...items.flat()];
export const section = (id: number, body: number[]) => [id, ...u32(body.length), ...body];

export const I32 = 0x7f;
export const V128 = 0x7b;

export const get = (i: number) => [0x20, ...u32(i)];
export const set = (i: number) => [0x21, ...u32(i)];
/** A small non-negative i32 constant (below 64: one LEB byte). */
export const i32 = (n: number) => {
  if (n < 0 || n > 63) throw new Error(`i32 constant ${n} out of the encoded range`);
  return [0x41, n];
};
export const op = { add: 0x6a, sub: 0x6b, mul: 0x6c, and: 0x71, shl: 0x74, eq: 0x46 } as const;

export const f32Load = [0x2a, 2, 0];
export const f32Store = [0x38, 2, 0];
export const memoryCopy = [0xfc, 10, 0, 0];
export const v128Load = [0xfd, 0x00, 2, 0];
export const v128Store = [0xfd, 0x0b, 2, 0];
/** i8x16.shuffle taking four 32-bit lanes (0-3: first operand, 4-7: second). */
export const shuffleLanes = (lanes: [number, number, number, number]) => [
  0xfd,
  0x0d,
  ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]),
];

export const loop = (...body: number[][]) => [0x03, 0x40, ...body.flat(), 0x0b];
export const ifElse = (cond: number[], then: number[], otherwise: number[]) => [
  ...cond,
  0x04,
  0x40,
  ...then,
  0x05,
  ...otherwise,
  0x0b,
];
/** Branch to the innermost enclosing loop's start when the top of the stack is non-zero. */
export const continueIfNonZero = [0x0d, 0];
/** local += step (another local) */
export const bump = (local: number, step: number) => [...get(local), ...get(step), op.add, ...set(local)];
/** local -= 1, leaving the new value on the stack */
export const countDown = (local: number) => [...get(local), ...i32(1), op.sub, 0x22, ...u32(local)];

/** A function body: its local declarations ([count, type] groups) and code. */
export function funcBody(locals: [number, number][], code: number[]): number[] {
  const fn = [...vec(locals.map(([count, type]) => [...u32(count), type])), ...code, 0x0b];
  return [...u32(fn.length), ...fn];
}

/** A module importing `env.memory` (shared or not) and exporting the given functions, all of type (i32 × params) -> (). */
export function moduleBytes(
  shared: boolean,
  functions: { name: string; params: number; body: number[] }[],
): Uint8Array {
  // A shared memory import must declare a maximum; the threaded build's is 4 GiB (65536 pages).
  const limits = shared ? [0x03, ...u32(1), ...u32(65536)] : [0x00, ...u32(1)];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(functions.map((f) => [0x60, ...vec(Array.from({ length: f.params }, () => [I32])), 0]))),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...limits]])),
    ...section(3, vec(functions.map((_, i) => u32(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...u32(i)]))),
    ...section(10, vec(functions.map((f) => f.body))),
  ]);
}
