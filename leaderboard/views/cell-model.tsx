/**
 * @module The cell page's kept model (sha256, size, download) and its re-evaluations
 * (`rftbench eval --cell`), each metric beside the cell's own number on the same points.
 */
import { date, eps, fileSize, pct } from '../format.ts';
import type { CellDetail } from '../schemas.ts';
import { TableHead } from './layout.tsx';

type Json = Record<string, unknown>;

export function ModelSection(p: { model: CellDetail['model'] }) {
  const m = p.model;
  return (
    <>
      <h2>Fine-tuned model</h2>
      {!m ? (
        <p class="muted" id="model">
          No model kept for this cell (it ran with <code>--keep-models none</code>, failed, or ran before models were
          kept).
        </p>
      ) : (
        <dl class="kv" id="model">
          <dt>sha256</dt>
          <dd>
            <code>{m.sha256}</code>
          </dd>
          <dt>Size</dt>
          <dd title={`${m.bytes} bytes`}>{fileSize(m.bytes)}</dd>
          <dt>Download</dt>
          <dd>
            <a href={m.url} download>
              model.safetensors
            </a>
            <span class="sub">
              {' safetensors, PyTorch names and layout; metadata: model spec, cell spec, provenance'}
            </span>
          </dd>
          {m.unloadable && (
            <>
              <dt>Cannot be rebuilt from its spec</dt>
              <dd>{m.unloadable}</dd>
            </>
          )}
        </dl>
      )}
    </>
  );
}

function settingsText(s: Json): string {
  const parts: string[] = [];
  const t = s.threat as { norm?: unknown; eps?: unknown } | undefined;
  if (t && typeof t.norm === 'string' && typeof t.eps === 'number') parts.push(`${t.norm} ε ${eps(t.eps)}`);
  if (typeof s.n === 'number') parts.push(`first ${s.n} points`);
  if (typeof s.seed === 'number') parts.push(`seed ${s.seed}`);
  return parts.join(' · ');
}

export function EvaluationsTable(p: {
  evaluations: CellDetail['evaluations'];
  metrics: CellDetail['metrics'];
  modelSha256?: string;
}) {
  if (!p.evaluations.length) return null;
  const own = (name: string, n: number) => p.metrics.find((m) => m.name === name && m.n === n);
  return (
    <>
      <h2>Re-evaluations of the kept model</h2>
      <table id="evaluations">
        <TableHead
          cols={['When', 'Evaluation', 'Settings', 'Metric', 'Accuracy', 'Recorded with the cell', 'n']}
          num={['Accuracy', 'Recorded with the cell', 'n']}
        />
        <tbody>
          {p.evaluations.flatMap((e) =>
            e.metrics.map((m, i) => {
              const r = own(m.name, m.n);
              return (
                <tr>
                  <td>{i === 0 ? date(e.createdAt) : ''}</td>
                  <td>
                    {i === 0 ? e.attack : ''}
                    {i === 0 && p.modelSha256 && e.modelSha256 !== p.modelSha256 && (
                      <span class="chip">other model file</span>
                    )}
                  </td>
                  <td class="sub">{i === 0 ? settingsText(e.settings) : ''}</td>
                  <td>{m.name}</td>
                  <td class="num">{pct(m.value)}</td>
                  <td class="num">{r ? pct(r.value) : '—'}</td>
                  <td class="num">{m.n}</td>
                </tr>
              );
            }),
          )}
        </tbody>
      </table>
    </>
  );
}
