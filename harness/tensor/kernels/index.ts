/** @module The kernels rftbench registers on the wasm backend, each tested against the cpu backend. */
import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.ts';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input.ts';
import { tileConfig } from './tile.ts';

export const WASM_KERNELS: KernelConfig[] = [conv2dBackpropFilterConfig, conv2dBackpropInputConfig, tileConfig];

/** Registers our wasm kernels, replacing stock ones of the same name; returns their names. */
export function registerWasmKernels(): string[] {
  for (const k of WASM_KERNELS) {
    const current = getKernel(k.kernelName, 'wasm');
    if (current === k) continue;
    if (current) unregisterKernel(k.kernelName, 'wasm');
    registerKernel(k);
  }
  return WASM_KERNELS.map((c) => c.kernelName);
}
