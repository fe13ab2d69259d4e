import { api } from './api.js';
import { Problem, html, useLoad } from './common.js';

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
