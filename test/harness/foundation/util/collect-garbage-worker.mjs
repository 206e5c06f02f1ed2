// A worker for collect-garbage.test.ts: fetches gc through collectGarbage as the evaluation workers do.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { collectGarbage } = await import('../../../../harness/foundation/util/collect-garbage.ts');
// Every worker starts at the same moment, so their first calls (which set V8's process-wide flag) overlap.
Atomics.wait(workerData.start, 0, 0);
try {
  collectGarbage();
  collectGarbage();
  parentPort.postMessage({ ok: true });
} catch (err) {
  parentPort.postMessage({ ok: false, message: String(err) });
}
