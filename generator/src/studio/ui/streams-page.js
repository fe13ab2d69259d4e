import { useState } from 'preact/hooks';
import { api, href } from './api.js';
import { Problem, html, streamLink, useLoad } from './common.js';

// Streams

export function StreamsPage({ info, params }) {
  const [search, setSearch] = useState(params.search ?? '');
  const offset = Number(params.offset ?? 0);
  const query = { search: params.search, type: params.type, tenant: params.tenant, offset };
  const { data, error } = useLoad(() => api.get('streams', query), [params.search, params.type, params.tenant, offset]);
  const go = (changes) => (location.hash = href('streams', { ...params, offset: undefined, ...changes }));
  return html`
    <h1>Streams</h1>
    <form class="filters" onSubmit=${(e) => (e.preventDefault(), go({ search }))}>
      <input
        type="search"
        placeholder="Search stream ids"
        value=${search}
        data-testid="stream-search"
        onInput=${(e) => setSearch(e.currentTarget.value)}
      />
      <select data-testid="type-filter" onChange=${(e) => go({ type: e.currentTarget.value })}>
        <option value="">Every aggregate type</option>
        ${info.aggregateTypes.map((t) => html`<option value=${t} selected=${params.type === t}>${t}</option>`)}
      </select>
      ${
        info.tenant === null
          ? html`<select data-testid="tenant-filter" onChange=${(e) => go({ tenant: e.currentTarget.value })}>
              <option value="">Every tenant</option>
              ${info.tenants.map((t) => html`<option value=${t} selected=${params.tenant === t}>${t}</option>`)}
            </select>`
          : null
      }
      <button type="submit">Search</button>
    </form>
    ${error ? html`<${Problem} error=${error} />` : null}
    ${
      data
        ? html`<table class="list" data-testid="streams">
              <thead>
                <tr>
                  <th>Stream</th>
                  <th>Aggregate type</th>
                  <th>Version</th>
                  <th>Tenant</th>
                </tr>
              </thead>
              <tbody>
                ${data.streams.map(
                  (s) =>
                    html`<tr data-testid="stream-row">
                      <td><a href=${streamLink(s.streamId)}>${s.streamId}</a></td>
                      <td>${s.aggregateType}</td>
                      <td>${s.version}</td>
                      <td>${s.tenantId ?? '—'}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
            ${data.streams.length === 0 ? html`<p class="muted" data-testid="no-streams">No streams match.</p>` : null}
            <div class="pager">
              ${offset > 0 ? html`<a href=${href('streams', { ...params, offset: Math.max(0, offset - 50) })}>← Previous</a>` : null}
              ${data.more ? html`<a href=${href('streams', { ...params, offset: offset + data.streams.length })}>Next →</a>` : null}
            </div>`
        : null
    }
  `;
}
