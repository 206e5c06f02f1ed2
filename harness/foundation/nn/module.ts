/**
 * @module Module: a tree of layers with named parameters and buffers, modelled on PyTorch's nn.Module.
 *
 * Names come from where a child sits in the tree (`layer2.1.conv2.weight`), never from tfjs variable
 * names (those are process-global and get `_1` suffixes), so a PyTorch state dict maps name for name.
 * Forward passes are synchronous so callers can run them inside `tf.tidy`.
 */
import * as tf from '@tensorflow/tfjs-core';
import '../tensor/setup.ts';

export type StateDict = Record<string, tf.Tensor>;

export interface LoadReport {
  missing: string[];
  unexpected: string[];
  misshaped: { key: string; expected: number[]; got: number[] }[];
}

export class StateDictError extends Error {
  constructor(
    readonly report: LoadReport,
    context = 'loadStateDict',
  ) {
    const parts: string[] = [];
    if (report.missing.length) parts.push(`missing keys: ${report.missing.join(', ')}`);
    if (report.unexpected.length) parts.push(`unexpected keys: ${report.unexpected.join(', ')}`);
    for (const m of report.misshaped) {
      parts.push(`${m.key}: expected shape [${m.expected.join(', ')}], got [${m.got.join(', ')}]`);
    }
    super(`${context}: ${parts.join('; ')}`);
    this.name = 'StateDictError';
  }
}

export abstract class Module {
  training = true;
  private readonly ownParams = new Map<string, tf.Variable>();
  private readonly ownBuffers = new Map<string, tf.Variable>();
  private readonly childModules = new Map<string, Module>();

  /** Synchronous forward pass. Run inside `tf.tidy` when the intermediates are not needed. */
  abstract forward(x: tf.Tensor): tf.Tensor;

  protected registerParameter(name: string, value: tf.Tensor, trainable = true): tf.Variable {
    this.assertFreeName(name);
    const v = tf.variable(value, trainable);
    value.dispose();
    this.ownParams.set(name, v);
    return v;
  }

  /** Buffers (BN running statistics, power-iteration vectors) are state but never trained. */
  protected registerBuffer(name: string, value: tf.Tensor): tf.Variable {
    this.assertFreeName(name);
    const v = tf.variable(value, false);
    value.dispose();
    this.ownBuffers.set(name, v);
    return v;
  }

  protected registerModule<M extends Module>(name: string, module: M): M {
    this.assertFreeName(name);
    this.childModules.set(name, module);
    return module;
  }

  private assertFreeName(name: string): void {
    if (name.includes('.')) throw new Error(`Module: name "${name}" must not contain a dot`);
    if (this.ownParams.has(name) || this.ownBuffers.has(name) || this.childModules.has(name)) {
      throw new Error(`Module: "${name}" is already registered on ${this.constructor.name}`);
    }
  }

  child(name: string): Module | undefined {
    return this.childModules.get(name);
  }

  /** Every module in the tree, depth first, the root first under the name ''. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.childModules) {
      out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    }
    return out;
  }

  namedParameters(prefix = ''): [string, tf.Variable][] {
    return this.collect(prefix, (m) => m.ownParams);
  }

  namedBuffers(prefix = ''): [string, tf.Variable][] {
    return this.collect(prefix, (m) => m.ownBuffers);
  }

  private collect(prefix: string, pick: (m: Module) => Map<string, tf.Variable>): [string, tf.Variable][] {
    const out: [string, tf.Variable][] = [];
    for (const [modName, m] of this.namedModules(prefix)) {
      for (const [name, v] of pick(m)) out.push([modName ? `${modName}.${name}` : name, v]);
    }
    return out;
  }

  parameters(): tf.Variable[] {
    return this.namedParameters().map(([, v]) => v);
  }

  /** Parameters that an optimiser should update (tf.Variable.trainable is our requires_grad). */
  trainableParameters(): [string, tf.Variable][] {
    return this.namedParameters().filter(([, v]) => v.trainable);
  }

  /** Sets requires_grad on every parameter whose full name matches. Returns how many changed. */
  setTrainable(predicate: (name: string) => boolean, trainable: boolean): number {
    let n = 0;
    for (const [name, v] of this.namedParameters()) {
      if (predicate(name)) {
        v.trainable = trainable;
        n++;
      }
    }
    return n;
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Parameters and buffers under their tree names. The tensors are copies owned by the caller. */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [name, v] of [...this.namedParameters(), ...this.namedBuffers()]) out[name] = v.clone();
    return out;
  }

  /**
   * Copies values in by name. Strict mode (the default) throws a StateDictError listing missing,
   * unexpected and mis-shaped keys before anything is written, so a bad file never half-loads.
   */
  loadStateDict(state: StateDict, { strict = true } = {}): LoadReport {
    const own = new Map([...this.namedParameters(), ...this.namedBuffers()]);
    const report: LoadReport = { missing: [], unexpected: [], misshaped: [] };
    for (const key of own.keys()) if (!(key in state)) report.missing.push(key);
    for (const key of Object.keys(state)) {
      const v = own.get(key);
      if (!v) report.unexpected.push(key);
      else if (!tf.util.arraysEqual(v.shape, state[key].shape)) {
        report.misshaped.push({ key, expected: v.shape, got: state[key].shape });
      }
    }
    if (report.misshaped.length || (strict && (report.missing.length || report.unexpected.length))) {
      throw new StateDictError(report);
    }
    for (const [key, v] of own) {
      const src = state[key];
      if (!src) continue;
      if (src.dtype === v.dtype) v.assign(src);
      else {
        // assign shares the data (ref-counted), so the temporary cast can be released right after.
        const cast = tf.cast(src, v.dtype);
        v.assign(cast);
        cast.dispose();
      }
    }
    return report;
  }

  /**
   * Swaps every descendant module for which `predicate` holds with `factory(old, fullName)`. The old
   * module is disposed unless the factory returned it or kept it inside the new one (`keepOld`).
   * Used by methods that change layers: TWINS twin BN, CARTL spectral norm.
   */
  replace(
    predicate: (m: Module, name: string) => boolean,
    factory: (m: Module, name: string) => Module,
    { keepOld = false, prefix = '' } = {},
  ): number {
    let n = 0;
    for (const [name, child] of [...this.childModules]) {
      const full = prefix ? `${prefix}.${name}` : name;
      if (predicate(child, full)) {
        const next = factory(child, full);
        next.train(child.training);
        this.childModules.set(name, next);
        if (next !== child && !keepOld) child.dispose();
        n++;
      } else {
        n += child.replace(predicate, factory, { keepOld, prefix: full });
      }
    }
    return n;
  }

  /** Frees every variable in the tree. The owner of a module calls this exactly once. */
  dispose(): void {
    for (const v of this.ownParams.values()) v.dispose();
    for (const v of this.ownBuffers.values()) v.dispose();
    for (const c of this.childModules.values()) c.dispose();
    this.ownParams.clear();
    this.ownBuffers.clear();
    this.childModules.clear();
  }

  /** Number of scalar parameters, for records and model cards. */
  numParameters(): number {
    return this.parameters().reduce((s, v) => s + v.size, 0);
  }
}
