/** @module The geometry of an NHWC 2-D convolution (dilation 1), as both gradient kernels need it. */
import { backend_util } from '@tensorflow/tfjs-core';

export interface ConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: [number, number] | number;
}

export interface ConvGeometry {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  oh: number;
  ow: number;
  top: number;
  left: number;
}

/** Dilation 1 in both directions (absent counts as 1). */
export function unitDilation(d: ConvAttrs['dilations']): boolean {
  return d === undefined || d === 1 || (Array.isArray(d) && d[0] === 1 && d[1] === 1);
}

export function convGeometry(
  kernel: string,
  xShape: readonly number[],
  filterShape: readonly number[],
  a: ConvAttrs,
): ConvGeometry {
  if (a.dataFormat === 'NCHW') throw new Error(`${kernel} (wasm): only NHWC is supported`);
  if (!unitDilation(a.dilations))
    throw new Error(`${kernel} (wasm): only dilation 1 is supported, got ${JSON.stringify(a.dilations)}`);
  const info = backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
    false,
    'channelsLast',
  );
  return {
    n: xShape[0],
    h: xShape[1],
    w: xShape[2],
    ci: xShape[3],
    co: filterShape[3],
    kh: info.filterHeight,
    kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    oh: info.outHeight,
    ow: info.outWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
}

/** Output positions o in [first, end) whose tap k lands inside an input of size `size`: 0 <= o*s - pad + k < size. */
export function validRange(k: number, stride: number, pad: number, size: number, outSize: number): [number, number] {
  const first = Math.min(outSize, Math.max(0, Math.ceil((pad - k) / stride)));
  const end = Math.max(first, Math.min(outSize, Math.floor((size - 1 + pad - k) / stride) + 1));
  return [first, end];
}
