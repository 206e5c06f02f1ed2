/** @module The methods index and a method's page: paper, description, config defaults, results on every task. */
import { boardColumns } from '../../harness/protocol/metrics/registry.ts';
import { BASELINE_METHOD } from '../read/ordering.ts';
import { href, pp, safeUrl } from '../format.ts';
import type { MethodDetail, MethodSummary } from '../schemas.ts';
import { costPerSeed, Layout, RowChecks, StatCell, TableHead } from './layout.tsx';

function Paper(p: { paper: MethodSummary['paper'] }) {
  if (!p.paper) return <span class="muted">—</span>;
  const url = safeUrl(p.paper.url);
  return (
    <>
      {url ? (
        <a href={url} rel="noopener noreferrer">
          {p.paper.title}
        </a>
      ) : (
        p.paper.title
      )}
      {p.paper.venue && <span class="sub">{` ${p.paper.venue}`}</span>}
    </>
  );
}

export function MethodsPage(p: { methods: MethodSummary[] }) {
  return (
    <Layout title="Methods" active="methods">
      <h1>Methods</h1>
      <p class="lead">The entries the results store describes and every method id it has results for.</p>
      <table id="methods">
        <TableHead cols={['Method', 'Id', 'Paper', 'Tasks', 'Runs']} num={['Tasks', 'Runs']} />
        <tbody>
          {p.methods.map((m) => (
            <tr>
              <td>
                <a href={href.method(m.id)}>{m.title}</a>
                {!m.registered && <span class="sub"> (not described in this store)</span>}
              </td>
              <td>
                <code>{m.id}</code>
              </td>
              <td>
                <Paper paper={m.paper} />
              </td>
              <td class="num">{m.tasks}</td>
              <td class="num">{m.cells}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="links">
        Data: <a href="/api/methods">JSON</a> <a href="/api/methods?format=csv">CSV</a>
      </p>
    </Layout>
  );
}

type JsonSchema = { properties?: Record<string, Record<string, unknown>>; required?: string[] };

function typeOf(s: Record<string, unknown>): string {
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (Array.isArray(s.anyOf)) return (s.anyOf as Record<string, unknown>[]).map(typeOf).join(' | ');
  return typeof s.type === 'string' ? s.type : Array.isArray(s.type) ? s.type.join(' | ') : 'any';
}

function constraints(s: Record<string, unknown>): string {
  const out: string[] = [];
  if (s.exclusiveMinimum !== undefined) out.push(`> ${s.exclusiveMinimum}`);
  if (s.minimum !== undefined) out.push(`≥ ${s.minimum}`);
  if (s.exclusiveMaximum !== undefined) out.push(`< ${s.exclusiveMaximum}`);
  if (s.maximum !== undefined) out.push(`≤ ${s.maximum}`);
  if (s.minLength !== undefined) out.push(`length ≥ ${s.minLength}`);
  return out.join(', ');
}

function ConfigTable(p: { schema: Record<string, unknown> | null; defaults: Record<string, unknown> | null }) {
  const props = (p.schema as JsonSchema | null)?.properties;
  if (!props || !Object.keys(props).length) {
    return p.defaults && Object.keys(p.defaults).length ? (
      <pre>{JSON.stringify(p.defaults, null, 2)}</pre>
    ) : (
      <p class="muted">No options.</p>
    );
  }
  return (
    <table id="config">
      <TableHead cols={['Option', 'Type', 'Default', 'Constraints', 'Description']} />
      <tbody>
        {Object.entries(props).map(([name, s]) => (
          <tr>
            <td>
              <code>{name}</code>
            </td>
            <td>{typeOf(s)}</td>
            <td>
              <code>
                {s.default !== undefined
                  ? JSON.stringify(s.default)
                  : p.defaults?.[name] !== undefined
                    ? JSON.stringify(p.defaults[name])
                    : '—'}
              </code>
            </td>
            <td>{constraints(s)}</td>
            <td>{typeof s.description === 'string' ? s.description : ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function MethodPage(p: { method: MethodDetail }) {
  const m = p.method;
  // The metric plug-ins' board columns (harness/protocol/metrics/registry.ts), as on the task page.
  const columns = boardColumns();
  return (
    <Layout title={m.title} active="methods">
      <h1>{m.title}</h1>
      <div class="meta">
        <span>
          Id{' '}
          <b>
            <code>{m.id}</code>
          </b>
        </span>
        <span>
          Paper{' '}
          <b>
            <Paper paper={m.paper} />
          </b>
        </span>
        <span>
          Runs <b>{m.cells}</b> on <b>{m.tasks}</b> task(s)
        </span>
      </div>
      {!m.registered && (
        <p class="note">
          This method id has results in the store but no description there (no run of this store described it); only its
          stored results are shown.
        </p>
      )}
      {m.description && <p>{m.description}</p>}
      {m.registered && (
        <>
          <h2>Configuration defaults</h2>
          <ConfigTable schema={m.configSchema} defaults={m.defaults} />
        </>
      )}
      <h2>Results across tasks</h2>
      {m.results.length === 0 ? (
        <p class="muted">No results yet.</p>
      ) : (
        <div class="scroll">
          <table id="results">
            <thead>
              <tr>
                <th>Task</th>
                <th>Tier</th>
                <th class="num">Rank</th>
                {columns.map((c) => (
                  <th class="num" data-col={c.name} title={c.title}>
                    {c.label}
                  </th>
                ))}
                <th class="num">Gain vs AT</th>
                <th class="num">Cost / seed</th>
                <th>Seeds</th>
                <th>Flags</th>
                <th>Verification</th>
              </tr>
            </thead>
            <tbody>
              {m.results.map(({ taskId, tier, robustMetric, of, row: r }) => (
                <tr>
                  <td class="nowrap">
                    <a href={href.task(taskId, { tier })}>{taskId}</a>
                    {r.variant && <div class="sub">{r.variant}</div>}
                  </td>
                  <td>{tier}</td>
                  <td class="num">{r.rank === null ? '—' : `${r.rank} of ${of}`}</td>
                  {columns.map((c) => (
                    <StatCell s={r.metrics[c.name]} emph={robustMetric === c.name} />
                  ))}
                  <td class="num">
                    {r.methodId === BASELINE_METHOD && r.gain !== null ? <span class="sub">baseline</span> : pp(r.gain)}
                  </td>
                  <td class="num">{costPerSeed(r.cost)}</td>
                  <td>
                    {r.cells.map((c, i) => (
                      <>
                        {i > 0 && ' '}
                        <a href={href.cell(c.id)} class={c.status === 'failed' ? 'neg' : undefined} title={c.status}>
                          {`s${c.seed}`}
                        </a>
                      </>
                    ))}
                  </td>
                  <RowChecks row={r} />
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p class="links">
        {m.id !== BASELINE_METHOD && <a href={href.compare(BASELINE_METHOD, m.id)}>Compare with the AT baseline</a>}
        Data: <a href={href.apiMethod(m.id)}>JSON</a> <a href={href.apiMethod(m.id, { format: 'csv' })}>CSV</a>
      </p>
    </Layout>
  );
}
