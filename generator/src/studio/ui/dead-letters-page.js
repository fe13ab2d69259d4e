import { useState } from 'preact/hooks';
import { api, href } from './api.js';
import { Json, Problem, html, streamLink, time, useLoad } from './common.js';

// Dead letters

export function DeadLettersPage({ info, params }) {
  const status = params.status ?? 'pending';
  // ?tenant=<id>: a tenant's dead letters; ?unscoped=true: those the unscoped store's
  // subscriptions count (the Subscriptions page links each row to its own).
  const scope = { tenant: params.tenant, unscoped: params.unscoped };
  const { data, error, reload } = useLoad(
    () => api.get('dead-letters', { status, subscription: params.subscription, ...scope }),
    [status, params.subscription, params.tenant, params.unscoped],
  );
  const [selected, setSelected] = useState(undefined);
  const [message, setMessage] = useState(undefined);
  const act = async (entry, action) => {
    setMessage(undefined);
    try {
      const result = await api.post(`dead-letters/${encodeURIComponent(entry.id)}/${action}`);
      setMessage({ ok: true, text: `${entry.eventType} (${entry.subscription}): ${result.outcome}.` });
      setSelected(undefined);
      reload();
    } catch (e) {
      setMessage({ ok: false, error: e });
    }
  };
  const go = (changes) => (location.hash = href('dead-letters', { ...params, ...changes }));
  const entries = data?.deadLetters ?? [];
  const shown = entries.find((e) => e.id === selected);
  return html`
    <h1>Dead letters</h1>
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <select data-testid="status-filter" onChange=${(e) => go({ status: e.currentTarget.value })}>
        ${['pending', 'retrying', 'resolved', 'all'].map((s) => html`<option value=${s} selected=${status === s}>${s}</option>`)}
      </select>
      <input
        type="search"
        placeholder="Subscription"
        value=${params.subscription ?? ''}
        onChange=${(e) => go({ subscription: e.currentTarget.value || undefined })}
      />
      ${info.tenant === null ? html`<${ScopeFilter} tenants=${info.tenants} scope=${scope} go=${go} />` : null}
      ${info.allowWrites ? null : html`<span class="muted">Read-only: start the studio with --allow-writes to retry or resolve.</span>`}
    </form>
    ${message ? (message.ok ? html`<div class="ok" role="status" data-testid="action-result">${message.text}</div>` : html`<${Problem} error=${message.error} />`) : null}
    ${error ? html`<${Problem} error=${error} />` : null}
    <table class="list" data-testid="dead-letters">
      <thead>
        <tr>
          <th>Subscription</th>
          <th>Event</th>
          <th>Stream</th>
          ${info.tenant === null ? html`<th>Tenant</th>` : null}
          <th>Error</th>
          <th>Attempts</th>
          <th>Status</th>
          <th>Last failed</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        ${entries.map(
          (e) =>
            html`<tr data-testid="dead-letter-row" data-id=${e.id} class=${selected === e.id ? 'selected' : ''}>
              <td>${e.subscription}</td>
              <td>${e.eventType}</td>
              <td><a href=${streamLink(e.streamId, e.record.aggregateVersion)}>${e.streamId}</a></td>
              ${info.tenant === null ? html`<td>${e.tenantId ?? '—'}</td>` : null}
              <td class="clip">${e.error}</td>
              <td>${e.attempts}</td>
              <td>${e.status}</td>
              <td>${time(e.lastFailedAt)}</td>
              <td class="actions">
                <button onClick=${() => setSelected(selected === e.id ? undefined : e.id)}>Inspect</button>
                <button
                  data-testid="retry"
                  disabled=${!e.retryable || e.status !== 'pending'}
                  title=${e.retryable ? 'Re-deliver through the projection' : 'Not a projection of this project: retry it in its app'}
                  onClick=${() => act(e, 'retry')}
                >
                  Retry
                </button>
                <button data-testid="resolve" disabled=${e.status === 'resolved'} onClick=${() => act(e, 'resolve')}>
                  Resolve
                </button>
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${data && entries.length === 0 ? html`<p class="muted" data-testid="no-dead-letters">No ${status === 'all' ? '' : `${status} `}dead letters.</p>` : null}
    ${
      shown
        ? html`<section class="details" data-testid="dead-letter-details">
            <h2>${shown.eventType} in ${shown.subscription}</h2>
            <p>
              Failed ${shown.attempts} time${shown.attempts === 1 ? '' : 's'}, first ${time(shown.firstFailedAt)}, last
              ${time(shown.lastFailedAt)}.
            </p>
            <h3>Error</h3>
            <pre class="json">${shown.error}${shown.stack ? `\n\n${shown.stack}` : ''}</pre>
            <h3>Event</h3>
            <${Json} value=${shown.record} />
          </section>`
        : null
    }
  `;
}

/** Every tenant, the unscoped store's subscriptions, or one tenant (also one not among the first listed). */
function ScopeFilter({ tenants, scope, go }) {
  const choices = [
    { label: 'Every tenant', tenant: undefined, unscoped: undefined },
    { label: 'Unscoped subscriptions', tenant: undefined, unscoped: 'true' },
    ...[...new Set([...tenants, ...(scope.tenant ? [scope.tenant] : [])])].map((t) => ({
      label: t,
      tenant: t,
      unscoped: undefined,
    })),
  ];
  const selected = (c) => c.tenant === (scope.tenant || undefined) && c.unscoped === (scope.unscoped || undefined);
  return html`<select
    data-testid="scope-filter"
    title="A tenant's dead letters, or those of the subscriptions run on the unscoped store"
    onChange=${(e) => {
      const { tenant, unscoped } = choices[e.currentTarget.selectedIndex];
      go({ tenant, unscoped });
    }}
  >
    ${choices.map((c) => html`<option selected=${selected(c)}>${c.label}</option>`)}
  </select>`;
}
