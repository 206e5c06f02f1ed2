/**
 * @module The download of a cell's kept fine-tuned model: the file streamed from disk as stored (never
 * parsed, so the server loads no tensor library), or a 404 that says why.
 */
import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { Store } from '../results/store.ts';
import { NotFound } from './read/not-found.ts';

/** A 404 whose message says why (no such cell, no model kept, file gone). */
export class ModelNotFound extends NotFound {
  constructor(id: string, message: string) {
    super('model of cell', id);
    this.message = message;
  }
}

/** The response for `GET /cell/:id/model.safetensors`: the file as a stream, or ModelNotFound. */
export function modelDownload(store: Store, id: string): Response {
  if (!store.cellStatuses([id]).has(id)) throw new NotFound('cell', id);
  const row = store.getModel(id);
  if (!row) {
    throw new ModelNotFound(
      id,
      `Cell '${id}' kept no model (it ran with --keep-models none, failed, or ran before models were kept).`,
    );
  }
  let size: number;
  try {
    size = statSync(row.path).size;
  } catch {
    throw new ModelNotFound(id, `The model file of cell '${id}' (sha256 ${row.sha256}) is no longer on this server.`);
  }
  // A file whose size changed is not the one recorded (eval --cell checks the full hash).
  if (size !== row.bytes) {
    throw new ModelNotFound(
      id,
      `The model file of cell '${id}' has changed on this server (${size} bytes, recorded ${row.bytes}).`,
    );
  }
  const body = Readable.toWeb(createReadStream(row.path)) as ReadableStream<Uint8Array>;
  return new Response(body, {
    status: 200,
    headers: {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(size),
      'Content-Disposition': `attachment; filename="rftbench-${id}-${row.sha256.slice(0, 12)}.safetensors"`,
      ETag: `"${row.sha256}"`,
    },
  });
}
