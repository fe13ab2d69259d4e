import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import htm from 'htm';
import { api, href } from './api.js';

const html = htm.bind(h);

/** Loads `load()` again whenever one of `deps` changes: `{ data, error, reload }`. */
function useLoad(load, deps) {
  const [state, setState] = useState({});
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (data) => live && setState({ data }),
      (error) => live && setState({ error }),
    );
    return () => (live = false);
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

function Problem({ error }) {
  return html`<div class="error" role="alert" data-testid="error">
    <strong>${error.message}</strong>${error.fix ? html`<div class="fix">${error.fix}</div>` : null}
  </div>`;
}

const Json = ({ value }) => html`<pre class="json">${JSON.stringify(value, null, 2)}</pre>`;
const time = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
const streamLink = (streamId, version) => href('stream', { id: streamId, v: version });

// ---------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------
// One aggregate: timeline and time travel

export function StreamPage({ id, version }) {
  // The timeline comes in windows of versions; a version outside the loaded one loads its window.
  const [around, setAround] = useState(version);
  const timeline = useLoad(() => api.get('stream', { id, around }), [id, around]);
  const events = timeline.data?.events ?? [];
  const last = timeline.data?.version ?? 0;
  const selected = Math.min(Math.max(version === undefined ? last : Number(version), 0), last);
  const select = (v) => (location.hash = href('stream', { id, v }));
  useEffect(() => {
    const loaded = timeline.data;
    if (loaded && selected > 0 && (selected < loaded.from || selected > loaded.to)) setAround(selected);
  }, [selected, timeline.data]);
  // The state at the selected version, rebuilt on the server up to that version only.
  const state = useLoad(
    () => (timeline.data ? api.get('stream/state', { id, v: selected }) : new Promise(() => {})),
    [id, selected, timeline.data !== undefined],
  );
  useEffect(() => {
    document.getElementById(`event-${selected}`)?.scrollIntoView({ block: 'nearest' });
  }, [selected, last]);
  if (timeline.error)
    return html`<h1>${id}</h1>
      <${Problem} error=${timeline.error} />`;
  return html`
    <h1 data-testid="stream-title">${id}</h1>
    <div class="columns">
      <section class="timeline" data-testid="timeline">
        <h2>Timeline <span class="muted">${last} event${last === 1 ? '' : 's'}</span></h2>
        ${
          timeline.data?.from > 1
            ? html`<button class="link" onClick=${() => select(timeline.data.from - 1)}>
                Earlier events (versions 1–${timeline.data.from - 1})
              </button>`
            : null
        }
        ${events.map((e) => html`<${EventCard} event=${e} selected=${e.version === selected} onSelect=${() => select(e.version)} />`)}
        ${
          timeline.data?.to < last
            ? html`<button class="link" onClick=${() => select(timeline.data.to + 1)}>
                Later events (versions ${timeline.data.to + 1}–${last})
              </button>`
            : null
        }
      </section>
      <section class="travel" data-testid="time-travel">
        <h2>State at version <span data-testid="state-version">${selected}</span> of ${last}</h2>
        <div class="stepper">
          <button data-testid="first-version" disabled=${selected <= 0} onClick=${() => select(0)}>First</button>
          <button data-testid="previous-version" disabled=${selected <= 0} onClick=${() => select(selected - 1)}>
            ◀ Previous
          </button>
          <input
            type="range"
            min="0"
            max=${last}
            value=${selected}
            aria-label="Version"
            onInput=${(e) => select(Number(e.currentTarget.value))}
          />
          <button data-testid="next-version" disabled=${selected >= last} onClick=${() => select(selected + 1)}>
            Next ▶
          </button>
          <button data-testid="last-version" disabled=${selected >= last} onClick=${() => select(last)}>Last</button>
        </div>
        ${state.error ? html`<${Problem} error=${state.error} />` : null}
        ${state.data?.version === selected ? html`<${StateView} at=${state.data} />` : null}
      </section>
    </div>
  `;
}

function StateView({ at }) {
  if (!at) return null;
  return html`
    <p class="muted">${at.version === 0 ? 'Before the first event' : html`After <strong>${at.eventType}</strong>`}</p>
    <h3>State</h3>
    <div data-testid="state"><${Json} value=${at.state} /></div>
    <h3>Change from version ${Math.max(at.version - 1, 0)}</h3>
    <pre class="diff" data-testid="state-diff">
${at.diff.map(
        (line) =>
          html`<div class=${line.kind}>
            ${line.kind === 'added' ? '+ ' : line.kind === 'removed' ? '- ' : '  '}${line.text}
          </div>`,
      )}</pre>
  `;
}

function EventCard({ event, selected, onSelect }) {
  const [open, setOpen] = useState(false);
  return html`
    <article id=${`event-${event.version}`} class=${`event ${selected ? 'selected' : ''}`} data-testid="event">
      <header onClick=${onSelect}>
        <span class="version">v${event.version}</span>
        <strong data-testid="event-type">${event.eventType}</strong>
        <span class="muted">${time(event.storedAt)}</span>
      </header>
      <dl>
        <dt>Correlation</dt>
        <dd><code>${event.correlationId}</code></dd>
        ${
          event.cause
            ? html`<dt>Caused by</dt>
                <dd>
                  <a href=${streamLink(event.cause.streamId, event.cause.version)}
                    >${event.cause.eventType} (${event.cause.streamId} v${event.cause.version})</a
                  >
                </dd>`
            : event.causationId
              ? html`<dt>Caused by</dt>
                  <dd><code>${event.causationId}</code></dd>`
              : null
        }
        ${
          event.caused.length > 0
            ? html`<dt>Caused</dt>
                <dd data-testid="caused">
                  ${event.caused.map(
                    (c) =>
                      html`<a href=${streamLink(c.streamId, c.version)}
                        >${c.eventType} (${c.streamId} v${c.version})</a
                      > `,
                  )}
                </dd>`
            : null
        }
      </dl>
      <button class="link" onClick=${() => setOpen(!open)}>${open ? 'Hide' : 'Show'} payload and metadata</button>
      ${
        open
          ? html`<div class="details">
              <h4>Payload <span class="muted">(schema v${event.eventVersion})</span></h4>
              <${Json} value=${event.data} />
              <h4>Metadata</h4>
              <${Json}
                value=${{ eventId: event.eventId, position: event.position, occurredAt: event.occurredAt, storedAt: event.storedAt, tenantId: event.tenantId, actorId: event.actorId, causationId: event.causationId, ...event.metadata }}
              />
            </div>`
          : null
      }
    </article>
  `;
}

// ---------------------------------------------------------------------------------------------
// Live feed

export function FeedPage({ from }) {
  const [events, setEvents] = useState([]);
  const [status, setStatus] = useState('connecting');
  useEffect(() => {
    const source = new EventSource(`/api/feed/live${from === 'start' ? '?from=start' : ''}`);
    source.addEventListener('event', (e) => setEvents((list) => [JSON.parse(e.data), ...list].slice(0, 500)));
    source.addEventListener('idle', () => setStatus('live'));
    source.onerror = () => setStatus('reconnecting');
    return () => source.close();
  }, [from]);
  return html`
    <h1>Live feed <span class=${`dot ${status}`} title=${status}></span></h1>
    <p class="muted">
      ${from === 'start' ? 'Every event from the start of the store, then new ones as they are stored.' : 'New events as they are stored.'}
      ${' '}<a href=${href('feed', { from: from === 'start' ? undefined : 'start' })}
        >${from === 'start' ? 'Only new events' : 'From the start'}</a
      >
    </p>
    <table class="list" data-testid="feed">
      <thead>
        <tr>
          <th>Position</th>
          <th>Stored</th>
          <th>Event</th>
          <th>Stream</th>
          <th>Tenant</th>
          <th>Payload</th>
        </tr>
      </thead>
      <tbody>
        ${events.map(
          (e) =>
            html`<tr key=${e.position} data-testid="feed-row">
              <td><code>${e.position.split('@').pop()}</code></td>
              <td>${time(e.storedAt)}</td>
              <td>${e.eventType}</td>
              <td><a href=${streamLink(e.streamId, e.version)}>${e.streamId}</a> v${e.version}</td>
              <td>${e.tenantId ?? '—'}</td>
              <td><code class="clip">${JSON.stringify(e.data)}</code></td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${events.length === 0 ? html`<p class="muted">Waiting for events…</p>` : null}
  `;
}

// ---------------------------------------------------------------------------------------------
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
  return html`
    <h1>Subscriptions and projections</h1>
    ${error ? html`<${Problem} error=${error} />` : null}
    <table class="list" data-testid="subscriptions">
      <thead>
        <tr>
          <th>Name</th>
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
            html`<tr data-testid="subscription-row">
              <td>${s.name}${s.projection ? html` <span class="tag">projection</span>` : null}</td>
              <td><code>${s.position?.split('@').pop() ?? 'not started'}</code></td>
              <td>${time(s.updatedAt)}</td>
              <td class=${s.lagEvents > 0 ? 'warn' : ''}>${s.lagEvents}${s.lagCapped ? '+' : ''}</td>
              <td>${s.lagSeconds.toFixed(1)}</td>
              <td>${s.throughput === null ? '—' : `${s.throughput.toFixed(1)}/s`}</td>
              <td>
                ${
                  s.deadLetters.pending + s.deadLetters.retrying > 0
                    ? html`<a class="warn" href=${href('dead-letters', { subscription: s.name })}
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

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

function LagChart({ samples }) {
  if (samples.length < 2) return html`<p class="muted">Collecting samples (every 2 s)…</p>`;
  const names = [...new Set(samples.flatMap((s) => s.subscriptions.map((x) => x.name)))];
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
          .map((s) => [s.at, s.subscriptions.find((x) => x.name === name)?.lagEvents])
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

// ---------------------------------------------------------------------------------------------
// Dead letters

export function DeadLettersPage({ info, params }) {
  const status = params.status ?? 'pending';
  const { data, error, reload } = useLoad(
    () => api.get('dead-letters', { status, subscription: params.subscription }),
    [status, params.subscription],
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

// ---------------------------------------------------------------------------------------------
// Domain diagram: commands → events → projections, per domain

export function DomainPage() {
  const { data, error } = useLoad(() => api.get('domain'), []);
  if (error)
    return html`<h1>Domain</h1>
      <${Problem} error=${error} />`;
  if (!data)
    return html`<h1>Domain</h1>
      <p class="muted">Loading the YAML…</p>`;
  return html`<h1>Domain</h1>
    ${data.domains.map((d) => html`<${DomainDiagram} domain=${d} />`)}`;
}

function DomainDiagram({ domain }) {
  const commands = domain.aggregates.flatMap((a) =>
    a.commands.map((c) => ({ id: `${a.name}.${c.name}`, label: `${a.name}.${c.name}`, emits: c.emits })),
  );
  const events = [...new Set(domain.aggregates.flatMap((a) => a.events))].map((e) => ({ id: e, label: e }));
  const projections = domain.projections.map((p) => ({
    id: p.name,
    label: `${p.name} (${p.table})`,
    events: p.events,
  }));
  const row = 34;
  const col = [20, 300, 580];
  const w = 250;
  const rows = Math.max(commands.length, events.length, projections.length, 1);
  const y = (list, id) => 40 + list.findIndex((n) => n.id === id) * row + 12;
  const edge = (x1, y1, x2, y2) => `M${x1},${y1} C${x1 + 30},${y1} ${x2 - 30},${y2} ${x2},${y2}`;
  const box = (x, list) =>
    list.map(
      (n, i) =>
        html`<g
          ><rect x=${x} y=${40 + i * row} width=${w} height="24" rx="5" /><text x=${x + 8} y=${40 + i * row + 16}
            >${n.label}</text
          ></g
        >`,
    );
  return html`
    <section class="domain" data-testid="domain-diagram">
      <h2>${domain.name}</h2>
      <svg
        viewBox=${`0 0 850 ${50 + rows * row}`}
        class="diagram"
        role="img"
        aria-label=${`${domain.name}: commands, events and projections`}
      >
        <text x=${col[0]} y="24" class="heading">Commands</text>
        <text x=${col[1]} y="24" class="heading">Events</text>
        <text x=${col[2]} y="24" class="heading">Projections</text>
        ${commands.flatMap((c) => c.emits.filter((e) => events.some((x) => x.id === e)).map((e) => html`<path d=${edge(col[0] + w, y(commands, c.id), col[1], y(events, e))} />`))}
        ${projections.flatMap((p) => p.events.filter((e) => events.some((x) => x.id === e)).map((e) => html`<path d=${edge(col[1] + w, y(events, e), col[2], y(projections, p.id))} />`))}
        <g class="commands">${box(col[0], commands)}</g>
        <g class="events">${box(col[1], events)}</g>
        <g class="projections">${box(col[2], projections)}</g>
      </svg>
    </section>
  `;
}
