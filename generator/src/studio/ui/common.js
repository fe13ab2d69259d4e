// What every page uses: the html tag, loading, errors, JSON and links.
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import htm from 'htm';
import { href } from './api.js';

export const html = htm.bind(h);

/** Loads `load()` again whenever one of `deps` changes: `{ data, error, reload }`. */
export function useLoad(load, deps) {
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

export function Problem({ error }) {
  return html`<div class="error" role="alert" data-testid="error">
    <strong>${error.message}</strong>${error.fix ? html`<div class="fix">${error.fix}</div>` : null}
  </div>`;
}

export const Json = ({ value }) => html`<pre class="json">${JSON.stringify(value, null, 2)}</pre>`;
export const time = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
export const streamLink = (streamId, version) => href('stream', { id: streamId, v: version });
