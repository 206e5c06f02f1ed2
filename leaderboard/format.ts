/** @module Number, date and link formatting shared by the pages and the CSV export. */

/** `0.4532` → `45.3%` (one decimal); missing → `—`. */
export function pct(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : `${(v * 100).toFixed(1)}%`;
}

/** A difference of accuracies in percentage points, signed: `+2.1 pp`. */
export function pp(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const x = v * 100;
  return `${x > 0.05 ? '+' : x < -0.05 ? '−' : '±'}${Math.abs(x).toFixed(1)} pp`;
}

/** `[0.41, 0.50]` → `95% CI 41.0–50.0%`. */
export function ci(low: number, high: number): string {
  return `95% CI ${(low * 100).toFixed(1)}–${(high * 100).toFixed(1)}%`;
}

/** Hours with two significant digits, `0.42 CPU h`. */
export function hours(h: number | null | undefined, unit?: string): string {
  if (h === null || h === undefined || !Number.isFinite(h)) return '—';
  const n = h >= 10 ? h.toFixed(0) : h >= 0.01 ? h.toPrecision(2) : h.toExponential(1);
  return unit ? `${n} ${unit} h` : `${n} h`;
}

export function seconds(s: number): string {
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(2)} h`;
}

/** A file size: `812 B`, `45.2 KB`, `43.7 MB` (powers of 1024). */
export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

/** `2025-06-02 09:00 UTC`; 0 or missing → `—`. */
export function date(ms: number | null | undefined): string {
  if (!ms) return '—';
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `8/255` when eps is a whole number of 255ths, else the number. */
export function eps(e: number): string {
  const k = e * 255;
  return Math.abs(k - Math.round(k)) < 1e-6 ? `${Math.round(k)}/255` : String(Number(e.toPrecision(4)));
}

export function threat(t: { norm: string; eps: number } | null | undefined): string {
  return t ? `${t.norm} ε = ${eps(t.eps)}` : '—';
}

/** Mean and sample standard deviation (null for fewer than two values). */
export function meanStd(values: readonly number[]): { mean: number; std: number | null } {
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  if (values.length < 2) return { mean, std: null };
  const v = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
  return { mean, std: Math.sqrt(v) };
}

/** Path segment encodings: task ids keep their `/` readable, everything else is percent-encoded. */
export const href = {
  task: (taskId: string, query: Record<string, string | undefined> = {}) =>
    `/task/${taskId.split('/').map(encodeURIComponent).join('/')}${qs(query)}`,
  method: (id: string) => `/method/${encodeURIComponent(id)}`,
  cell: (id: string) => `/cell/${encodeURIComponent(id)}`,
  compare: (a: string, b: string) => `/compare${qs({ a, b })}`,
  apiTask: (taskId: string, query: Record<string, string | undefined> = {}) =>
    `/api/task/${encodeURIComponent(taskId)}${qs(query)}`,
  apiMethod: (id: string, query: Record<string, string | undefined> = {}) =>
    `/api/method/${encodeURIComponent(id)}${qs(query)}`,
  apiCell: (id: string, query: Record<string, string | undefined> = {}) =>
    `/api/cell/${encodeURIComponent(id)}${qs(query)}`,
  cellModel: (id: string) => `/cell/${encodeURIComponent(id)}/model.safetensors`,
};

export function qs(query: Record<string, string | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** Only http(s) links from metadata become hrefs. */
export function safeUrl(url: string | undefined | null): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}
