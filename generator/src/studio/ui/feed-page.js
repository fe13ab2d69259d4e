import { useEffect, useState } from 'preact/hooks';
import { href } from './api.js';
import { Problem, html, streamLink, time } from './common.js';

// Live feed

export function FeedPage({ from }) {
  const [events, setEvents] = useState([]);
  const [status, setStatus] = useState('connecting');
  const [problem, setProblem] = useState(undefined);
  useEffect(() => {
    const source = new EventSource(`/api/feed/live${from === 'start' ? '?from=start' : ''}`);
    source.addEventListener('event', (e) => {
      setProblem(undefined);
      setEvents((list) => [JSON.parse(e.data), ...list].slice(0, 500));
    });
    source.addEventListener('idle', () => {
      setProblem(undefined);
      setStatus('live');
    });
    // Two kinds of "error": the server's named event, whose data says what failed in the store
    // (it then ends the stream), and the browser's own when the connection drops (no data). The
    // browser reconnects after either, resuming after the last event shown; the problem stays
    // on the page until the feed answers again.
    source.addEventListener('error', (e) => {
      if (typeof e.data === 'string') setProblem(feedProblem(e.data));
      setStatus('reconnecting');
    });
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
    ${problem ? html`<${Problem} error=${problem} />` : null}
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

/** The `{ error: { message, fix } }` of the feed's error event, as `Problem` shows it. */
function feedProblem(data) {
  try {
    const { error } = JSON.parse(data);
    return { message: error.message, fix: error.fix };
  } catch {
    return { message: 'The live feed failed.', fix: 'It reconnects by itself.' };
  }
}
