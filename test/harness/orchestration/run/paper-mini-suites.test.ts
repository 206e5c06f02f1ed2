/**
 * The protocol rehearsals (`twins-mini`, `rift-mini`, `cartl-mini`) run through the real runner into a real
 * SQLite store, from the PyTorch-made fixture checkpoints, on a data folder this test fills with the committed
 * CIFAR-10 records (train = five copies of the 100 test records) and a small CIFAR-10-C made from them with our
 * own corruption. The twins-mini task page then shows the published numbers beside ours in Chromium.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCifarBinary } from '../../../../datasets/formats/cifar-binary.ts';
import { miniSuite } from '../../../../harness/protocol/paper-mini-suites.ts';
import { parseSuite } from '../../../../harness/protocol/schema.ts';
import { runSuite } from '../../../../harness/orchestration/run/runner.ts';
import { initBackend, shutdownBackend } from '../../../../harness/foundation/tensor/backend.ts';
import { startServer } from '../../../../leaderboard/server.ts';
import { Store } from '../../../../results/store.ts';
import { CIFAR10_FIRST100 } from '../../../support/fixtures.ts';
import { writeNpy } from '../../../../datasets/formats/writers.ts';

const dir = mkdtempSync(join(tmpdir(), 'rftbench-mini-'));
const data = join(dir, 'data');
const dbPath = join(dir, 'mini.db');
const quiet = () => {};
const CHROMIUM = '/usr/bin/chromium';

beforeAll(async () => {
  const bin = join(data, 'cifar10', 'cifar-10-batches-bin');
  mkdirSync(bin, { recursive: true });
  copyFileSync(CIFAR10_FIRST100, join(bin, 'test_batch.bin'));
  for (let i = 1; i <= 5; i++) copyFileSync(CIFAR10_FIRST100, join(bin, `data_batch_${i}.bin`));
  // CIFAR-10-C layout (rows per severity = rows / 5): severity s is the records with noise of amplitude 8 s.
  const recs = parseCifarBinary(readFileSync(CIFAR10_FIRST100), 1, CIFAR10_FIRST100);
  const n = recs.n;
  const images = new Uint8Array(5 * n * 3072);
  for (let s = 0; s < 5; s++) {
    for (let j = 0; j < n * 3072; j++) {
      const noise = (((j * 2654435761) >>> 0) % 17) - 8; // fixed pattern, no RNG state
      images[s * n * 3072 + j] = Math.max(0, Math.min(255, recs.images[j] + noise * (s + 1)));
    }
  }
  const labels = new Uint8Array(5 * n);
  for (let s = 0; s < 5; s++) labels.set(Uint8Array.from(recs.labels[0]), s * n);
  const c = join(data, 'cifar10-c', 'CIFAR-10-C');
  mkdirSync(c, { recursive: true });
  writeFileSync(join(c, 'gaussian_noise.npy'), writeNpy('|u1', [5 * n, 32, 32, 3], images));
  writeFileSync(join(c, 'labels.npy'), writeNpy('|u1', [5 * n], labels));
  process.env.RFTBENCH_DATA = data;
  await initBackend();
});

afterAll(async () => {
  await shutdownBackend();
  rmSync(dir, { recursive: true, force: true });
});

describe('protocol mini suites', () => {
  for (const protocol of ['twins', 'rift', 'cartl'] as const) {
    it(`${protocol}-mini runs every method to completion with the protocol's evaluation`, async () => {
      const suite = parseSuite(miniSuite(protocol), `${protocol}-mini`);
      const store = Store.open(dbPath);
      try {
        const started = Date.now();
        const out = await runSuite({ suite, store, command: `test ${protocol}-mini`, log: quiet });
        console.log(`${protocol}-mini: ${out.length} cells in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        expect(out.map((s) => [s.cell.spec.method.id, s.status, s.error])).toEqual(
          suite.methods.map((m) => [m.id, 'completed', undefined]),
        );
        for (const s of out) {
          const names = s.metrics.map((m) => m.name);
          expect(names).toEqual(expect.arrayContaining(['clean', 'pgd', 'autoattack']));
          if (protocol === 'rift') expect(names).toContain('corruption');
          const clean = s.metrics.find((m) => m.name === 'clean')!;
          expect(clean.n).toBe(16);
          expect(s.metrics.find((m) => m.name === 'pgd')!.value).toBeLessThanOrEqual(clean.value);
        }
        const cells = store.listCells({ suite: `${protocol}-mini` });
        if (protocol === 'twins')
          expect(cells[0].spec).toMatchObject({ task: { resize: 48, source: { arch: 'resnet50', width: 8 } } });
        if (protocol === 'rift')
          expect(cells[0].spec).toMatchObject({
            task: { corruptions: 'cifar10-c' },
            tier: { evaluation: { pgd: { restarts: 3 } } },
          });
        if (protocol === 'cartl')
          expect(cells[0].spec).toMatchObject({ task: { source: { recipe: 'at-fdm', fdm: { k: 2 } } } });
      } finally {
        store.close();
      }
    }, 180_000);
  }

  it.skipIf(!existsSync(CHROMIUM))(
    'the twins-mini task page shows reported beside measured in Chromium',
    async () => {
      const server = await startServer({ dbPath, port: 0, hostname: '127.0.0.1' });
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
      });
      try {
        const page = await browser.newPage();
        await page.goto(`${server.url}/task/${encodeURIComponent('fixture-r50w8-to-cifar10/linf-8')}`);
        const table = page.locator('#reported');
        await table.waitFor();
        const header = await table.locator('thead').innerText();
        expect(header).toMatch(/Measured/);
        expect(header).toMatch(/Reported/);
        // AutoLoRa Table 2's vanilla RFT on CIFAR-10 is our trades: 86.33 clean, 56.51 PGD-10, 51.67 AA.
        const trades = table.locator('tr[data-method="trades"]');
        const text = (await trades.allInnerTexts()).join('\n');
        expect(text).toContain('86.33');
        expect(text).toContain('51.67');
        expect(text).toMatch(/AutoLoRa[\s\S]*Table 2/);
        expect(await trades.first().getAttribute('data-contains')).toMatch(/^(yes|no)$/);
      } finally {
        await browser.close();
        await server.close();
      }
    },
    60_000,
  );
});
