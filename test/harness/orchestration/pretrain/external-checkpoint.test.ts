/**
 * Published checkpoints' files through a real HTTP server on 127.0.0.1: download and pin on first use, use
 * without network afterwards, a changed file failing its pin, the offline error, published checksums.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChecksumError } from '../../../../datasets/download.ts';
import { externalFolder, obtainCheckpoint } from '../../../../harness/orchestration/pretrain/external-checkpoint.ts';
import { serveFiles } from '../../../support/file-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'rftbench-extckpt-'));
const fixture = new Uint8Array(
  readFileSync(new URL('../../../fixtures/torch/cifar_resnet18_w8.zip.pt', import.meta.url)),
);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const noRetry = { retries: 0, connectTimeoutMs: 2000, idleTimeoutMs: 2000 };
let n = 0;
const freshData = () => join(dir, `data-${n++}`);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('obtainCheckpoint', () => {
  it('downloads once, pins the sha256, then uses the copy without network', async () => {
    const server = await serveFiles({ '/models/m.pt': fixture });
    const dataDir = freshData();
    try {
      const ref = { url: `${server.url}/models/m.pt`, format: 'torch' as const };
      const first = await obtainCheckpoint(ref, { dataDir, downloadOptions: noRetry });
      expect(first).toEqual({
        path: join(externalFolder(dataDir), 'm.pt'),
        sha256: sha(fixture),
        origin: ref.url,
        verifiedBy: 'pinned now',
      });
      expect(readFileSync(first.path)).toEqual(Buffer.from(fixture));
      const pins = JSON.parse(readFileSync(join(externalFolder(dataDir), 'pins.json'), 'utf8'));
      expect(pins.pins[ref.url]).toMatchObject({ sha256: sha(fixture), file: 'm.pt', bytes: fixture.length });
      expect(server.requests).toEqual(['/models/m.pt']);

      const second = await obtainCheckpoint(ref, { dataDir, downloadOptions: noRetry });
      expect(second.verifiedBy).toBe('pin');
      expect(server.requests).toHaveLength(1);
      // The same without any server at all.
      await server.close();
      expect((await obtainCheckpoint(ref, { dataDir, download: false })).sha256).toBe(sha(fixture));
    } finally {
      await server.close().catch(() => {});
    }
  });

  it('a file that changed after its pin fails, whether downloaded again or replaced by hand', async () => {
    const changed = fixture.slice();
    changed[changed.length - 100] ^= 0xff;
    const server = await serveFiles({ '/m.pt': fixture, '/v2/m.pt': changed });
    const dataDir = freshData();
    try {
      const ref = { url: `${server.url}/m.pt`, format: 'torch' as const };
      await obtainCheckpoint(ref, { dataDir, downloadOptions: noRetry });
      const folder = externalFolder(dataDir);
      // The publisher's file changes: delete the copy and download again.
      rmSync(join(folder, 'm.pt'));
      const pinsPath = join(folder, 'pins.json');
      const pins = JSON.parse(readFileSync(pinsPath, 'utf8'));
      const moved = { url: `${server.url}/v2/m.pt`, fileName: 'm.pt', format: 'torch' as const };
      writeFileSync(pinsPath, JSON.stringify({ ...pins, pins: { [moved.url]: pins.pins[ref.url] } }));
      const err = await obtainCheckpoint(moved, { dataDir, downloadOptions: noRetry }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(ChecksumError);
      expect((err as Error).message).toContain(
        `download ${moved.url}: sha256 is ${sha(changed)}, expected the sha256 pinned at its first use (${pinsPath}): ${sha(fixture)}`,
      );
      expect(readdirSync(folder).sort()).toEqual(
        ['pins.json', 'pins.json.lock'].filter((f) => existsSync(join(folder, f))).sort(),
      );

      // A copy put there by hand that differs from the pin.
      writeFileSync(join(folder, 'm.pt'), changed);
      await expect(obtainCheckpoint(moved, { dataDir, download: false })).rejects.toThrow(
        new RegExp(
          `m\\.pt: sha256 is ${sha(changed)}, but the sha256 pinned at its first use .* is ${sha(fixture)}\\. The file changed since: delete it`,
        ),
      );
    } finally {
      await server.close();
    }
  });

  it('offline, the error names the URL, the folder and the file name to put there', async () => {
    const server = await serveFiles({});
    const url = `${server.url}/weights/robust.ckpt`;
    await server.close(); // nothing listens there any more
    const dataDir = freshData();
    const folder = externalFolder(dataDir);
    const err = (await obtainCheckpoint({ url, format: 'torch' }, { dataDir, downloadOptions: noRetry }).catch(
      (e: Error) => e,
    )) as Error;
    expect(err.message).toContain(`download ${url}`);
    expect(err.message).toContain(`without network, download ${url} elsewhere and put it in ${folder} as robust.ckpt`);
    expect(existsSync(join(folder, 'robust.ckpt'))).toBe(false);
    await expect(obtainCheckpoint({ url, format: 'torch' }, { dataDir, download: false })).rejects.toThrow(
      `put it in ${folder} as robust.ckpt`,
    );
    // Put there by hand, it is used and pinned.
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'robust.ckpt'), fixture);
    expect(await obtainCheckpoint({ url, format: 'torch' }, { dataDir, download: false })).toMatchObject({
      sha256: sha(fixture),
      verifiedBy: 'pinned now',
    });
  });

  it('checks a published sha256 and never pins an HTML page', async () => {
    const page = new TextEncoder().encode('<!DOCTYPE html><html>quota exceeded</html>');
    const server = await serveFiles({ '/m.pt': fixture, '/page': page });
    try {
      const dataDir = freshData();
      const good = await obtainCheckpoint(
        { url: `${server.url}/m.pt`, sha256: sha(fixture), format: 'torch' },
        { dataDir, downloadOptions: noRetry },
      );
      expect(good.verifiedBy).toBe('published sha256');
      expect(existsSync(join(externalFolder(dataDir), 'pins.json'))).toBe(false);
      await expect(
        obtainCheckpoint(
          { url: `${server.url}/m.pt`, fileName: 'other.pt', sha256: 'b'.repeat(64), format: 'torch' },
          { dataDir, downloadOptions: noRetry },
        ),
      ).rejects.toThrow(`sha256 is ${sha(fixture)}, expected the sha256 the source gives: ${'b'.repeat(64)}`);
      await expect(
        obtainCheckpoint(
          { url: `${server.url}/page`, fileName: 'page.pt', format: 'torch' },
          { dataDir, downloadOptions: noRetry },
        ),
      ).rejects.toThrow(
        /^download http:\/\/127\.0\.0\.1:\d+\/page: does not look like a PyTorch file \(it starts with '<!DOCTYPE html><'\)$/,
      );
      expect(existsSync(join(externalFolder(dataDir), 'page.pt'))).toBe(false);
      expect(existsSync(join(externalFolder(dataDir), 'pins.json'))).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('a local path is used where it is, checked against a given sha256', async () => {
    const path = join(dir, 'local.pt');
    writeFileSync(path, fixture);
    expect(await obtainCheckpoint({ path, format: 'torch' })).toEqual({
      path,
      sha256: sha(fixture),
      origin: path,
      verifiedBy: 'unchecked path',
    });
    await expect(obtainCheckpoint({ path, sha256: 'c'.repeat(64), format: 'torch' })).rejects.toThrow(
      `checkpoint ${path}: sha256 is ${sha(fixture)}, the source gives ${'c'.repeat(64)}`,
    );
    await expect(obtainCheckpoint({ path: join(dir, 'missing.pt'), format: 'torch' })).rejects.toThrow(
      /missing\.pt: no such file/,
    );
  });
});
