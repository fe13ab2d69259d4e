import { useEffect, useState } from 'preact/hooks';
import { api, href } from './api.js';
import { Json, Problem, html, streamLink, time, useLoad } from './common.js';

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
