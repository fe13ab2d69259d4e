import { useEffect, useState } from 'preact/hooks';
import { api, href } from './api.js';
import { Problem, html, time } from './common.js';

// Subscriptions and projections

export function SubscriptionsPage() {
  const [samples, setSamples] = useState([]);
  const [error, setError] = useState(undefined);
  useEffect(() => {
    let live = true;
    let timer;
    const poll = async () => {
      try {
        const data = await api.get('subscriptions');
        if (live) setSamples((s) => [...s, { at: Date.now(), subscriptions: data.subscriptions }].slice(-300));
        setError(undefined);
      } catch (e) {
        if (live) setError(e);
      }
      if (live) timer = setTimeout(poll, 2000);
    };
    void poll();
    return () => ((live = false), clearTimeout(timer));
  }, []);
  const current = samples.at(-1)?.subscriptions ?? [];
  // One row per subscription and scope (the unscoped store's, or a tenant's own checkpoint).
  const tenants = current.some((s) => s.tenantId !== null);
  return html`
    <h1>Subscriptions and projections</h1>
    ${error ? html`<${Problem} error=${error} />` : null}
    <table class="list" data-testid="subscriptions">
      <thead>
        <tr>
          <th>Name</th>
          ${tenants ? html`<th>Tenant</th>` : null}
          <th>Position</th>
          <th>Checkpointed</th>
          <th>Lag (events)</th>
          <th>Lag (seconds)</th>
          <th>Throughput</th>
          <th>Dead letters</th>
          <th>Last error</th>
        </tr>
      </thead>
      <tbody>
        ${current.map(
          (s) =>
            html`<tr data-testid="subscription-row" key=${label(s)}>
              <td>
                ${s.name}${s.projection ? html` <span class="tag">projection</span>` : null}${
                  s.needsRebuild
                    ? html` <span
                        class="tag warn"
                        data-testid="needs-rebuild"
                        title=${
                          s.projection
                            ? `Migration ${s.needsRebuild.migration} emptied or reset its table (${time(s.needsRebuild.since)}); rebuild it: eventsmith projections rebuild ${s.name}`
                            : `Migration ${s.needsRebuild.migration} emptied or reset its table (${time(s.needsRebuild.since)}), but it is no longer a projection of this project: nothing to rebuild. If it was removed or renamed for good: eventsmith projections forget ${s.name}`
                        }
                        >needs rebuild</span
                      >`
                    : null
                }
              </td>
              ${tenants ? html`<td data-testid="subscription-tenant">${s.tenantId ?? '—'}</td>` : null}
              <td><code>${s.position?.split('@').pop() ?? 'not started'}</code></td>
              <td>${time(s.updatedAt)}</td>
              <td class=${s.lagEvents > 0 ? 'warn' : ''}>${s.lagEvents}${s.lagCapped ? '+' : ''}</td>
              <td>${s.lagSeconds.toFixed(1)}</td>
              <td>${s.throughput === null ? '—' : `${s.throughput.toFixed(1)}/s`}</td>
              <td>
                ${
                  s.deadLetters.pending + s.deadLetters.retrying > 0
                    ? html`<a class="warn" data-testid="dead-letters-link" href=${deadLettersOf(s)}
                        >${s.deadLetters.pending} pending</a
                      >`
                    : '0'
                }
              </td>
              <td class="clip" title=${s.lastError ? `${s.lastError.message} (${time(s.lastError.at)})` : ''}>
                ${s.lastError?.message ?? '—'}
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
    <h2>Lag since this page opened</h2>
    <${LagChart} samples=${samples} />
  `;
}

/** The dead letters a row counts: its subscription's, of its tenant or of the unscoped store's subscription. */
const deadLettersOf = (s) =>
  href('dead-letters', {
    subscription: s.name,
    ...(s.tenantId === null ? { unscoped: 'true' } : { tenant: s.tenantId }),
  });

/** A row's name in the chart: the subscription, and its tenant when it has one. */
const label = (s) => (s.tenantId === null ? s.name : `${s.name} (${s.tenantId})`);

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

function LagChart({ samples }) {
  if (samples.length < 2) return html`<p class="muted">Collecting samples (every 2 s)…</p>`;
  const names = [...new Set(samples.flatMap((s) => s.subscriptions.map(label)))];
  const width = 720;
  const height = 180;
  const t0 = samples[0].at;
  const span = Math.max(samples.at(-1).at - t0, 1);
  const max = Math.max(1, ...samples.flatMap((s) => s.subscriptions.map((x) => x.lagEvents)));
  const x = (at) => 40 + ((at - t0) / span) * (width - 50);
  const y = (lag) => height - 20 - (lag / max) * (height - 30);
  return html`
    <svg
      class="chart"
      viewBox=${`0 0 ${width} ${height}`}
      data-testid="lag-chart"
      role="img"
      aria-label="Lag in events over time"
    >
      <line x1="40" y1=${y(0)} x2=${width - 10} y2=${y(0)} class="axis" />
      <text x="4" y=${y(max) + 4} class="label">${max}</text>
      <text x="4" y=${y(0) + 4} class="label">0</text>
      ${names.map((name, i) => {
        const points = samples
          .map((s) => [s.at, s.subscriptions.find((x) => label(x) === name)?.lagEvents])
          .filter(([, lag]) => lag !== undefined)
          .map(([at, lag]) => `${x(at).toFixed(1)},${y(lag).toFixed(1)}`)
          .join(' ');
        return html`<polyline points=${points} fill="none" stroke=${COLORS[i % COLORS.length]} stroke-width="2" />`;
      })}
    </svg>
    <div class="legend">
      ${names.map((n, i) => html`<span><i style=${`background:${COLORS[i % COLORS.length]}`}></i>${n}</span>`)}
    </div>
  `;
}
