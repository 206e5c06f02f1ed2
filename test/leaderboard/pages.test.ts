/**
 * The site in real Chromium against `startServer` on 127.0.0.1 (a free port): load a leaderboard,
 * sort by clicking a header (with and without JavaScript), follow a link to a run page, and save a
 * screenshot to test-artifacts/leaderboard.png. Skipped when /usr/bin/chromium is missing.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../leaderboard/server.ts';
import { EXPECTED_ORDER, TASK_A, buildFixtureStore } from './fixtures.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(`test/leaderboard/pages.test.ts: skipped, ${CHROMIUM} is missing (apt-get install -y chromium)`);

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

describe.skipIf(!hasChromium)('leaderboard in Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rftbench-pages-'));
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    const fx = buildFixtureStore(join(dir, 'fixture.db'));
    fx.store.close();
    server = await startServer({ dbPath: join(dir, 'fixture.db'), port: 0, hostname: '127.0.0.1' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const order = (page: Page) =>
    page.locator('#leaderboard tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-method')));

  it('serves on 127.0.0.1', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('loads the leaderboard, sorts by clicking a header, and opens a run page', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(server.url);
    await page.getByRole('link', { name: TASK_A }).click();
    await page.waitForURL(/\/task\//);
    expect(await page.locator('h1').textContent()).toBe(TASK_A);
    expect(await order(page)).toEqual(EXPECTED_ORDER[TASK_A]);

    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, 'leaderboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);

    // Client-side sort: the page does not reload, the rows move, the URL records the sort.
    await page.locator('#leaderboard thead a[data-col="clean"]').click();
    await expect.poll(() => order(page)).toEqual(['standard', 'twins-bn', 'rift', 'at']);
    expect(page.url()).toContain('sort=clean');
    expect(await page.locator('#leaderboard thead th[aria-sort="descending"]').textContent()).toBe('Clean');
    await page.locator('#leaderboard thead a[data-col="clean"]').click();
    await expect.poll(() => order(page)).toEqual(['at', 'rift', 'twins-bn', 'standard']);

    // A seed link opens the run page.
    await page.locator('#leaderboard tbody tr[data-method="rift"] a.seed').first().click();
    await page.waitForURL(/\/cell\//);
    expect(await page.locator('h1').textContent()).toContain('RiFT (robust critical fine-tuning)');
    expect(await page.locator('#attacks').textContent()).toContain('AutoAttack');
    expect(await page.locator('#provenance').textContent()).toContain('sourceSha256');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('sorts through the header links when JavaScript is off', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${server.url}/task/${TASK_A}`);
    expect(await order(page)).toEqual(EXPECTED_ORDER[TASK_A]);
    await page.locator('#leaderboard thead a[data-col="clean"]').click();
    await page.waitForURL(/sort=clean/);
    expect(await order(page)).toEqual(['standard', 'twins-bn', 'rift', 'at']);
    await context.close();
  });
});
