/**
 * @module A forward pre-hook: records what a module of the tree receives, without renaming anything
 * (PyTorch's register_forward_pre_hook). CARTL's FDM reads the input of the first fine-tuned block with it.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from './module.ts';

export interface InputCapture {
  /** The input of the module's latest forward (a tensor of the caller's tidy scope). */
  readonly last: tf.Tensor | undefined;
  /** Restores the module's own forward. */
  remove(): void;
}

/** Captures the input of the module named `name` (a tree name such as `layer3.0`) on every forward. */
export function captureInput(root: Module, name: string): InputCapture {
  const found = root.namedModules().find(([n]) => n === name);
  if (!found) throw new Error(`captureInput: no module named '${name}'`);
  const module = found[1];
  const own = module.forward;
  const ownProperty = Object.hasOwn(module, 'forward');
  let last: tf.Tensor | undefined;
  // An instance property shadows the class's method until remove() deletes it.
  module.forward = (x: tf.Tensor) => {
    last = x;
    return own.call(module, x);
  };
  return {
    get last() {
      return last;
    },
    remove() {
      if (ownProperty) module.forward = own;
      else delete (module as { forward?: unknown }).forward;
      last = undefined;
    },
  };
}
