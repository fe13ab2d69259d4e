import { h, render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import htm from 'htm';
import { api, href, parseRoute } from './api.js';
import { DeadLettersPage } from './dead-letters-page.js';
import { DomainPage } from './domain-page.js';
import { FeedPage } from './feed-page.js';
import { StreamPage } from './stream-page.js';
import { StreamsPage } from './streams-page.js';
import { SubscriptionsPage } from './subscriptions-page.js';

const html = htm.bind(h);

const PAGES = [
  ['streams', 'Streams'],
  ['feed', 'Live feed'],
  ['subscriptions', 'Subscriptions'],
  ['dead-letters', 'Dead letters'],
  ['domain', 'Domain'],
];

function useRoute() {
  const [route, setRoute] = useState(parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}

function App() {
  const route = useRoute();
  const [info, setInfo] = useState(undefined);
  const [error, setError] = useState(undefined);
  useEffect(() => {
    // The token was in the URL once: the server keeps it in a cookie, so drop it from the address bar.
    if (new URLSearchParams(location.search).has('token')) history.replaceState(null, '', `/${location.hash}`);
    api.get('info').then(setInfo, setError);
  }, []);
  if (error) return html`<main><p class="error" role="alert">${error.message}</p></main>`;
  if (!info) return html`<main><p class="muted">Connecting…</p></main>`;
  const page = route.page === 'stream' ? 'streams' : route.page;
  return html`
    <header>
      <strong class="brand">eventsmith studio</strong>
      <nav>
        ${PAGES.map(([id, title]) => html`<a href=${href(id)} class=${page === id ? 'active' : ''}>${title}</a>`)}
      </nav>
      <span class="badges">
        <span class="badge" title="Store">${info.store}</span>
        ${info.tenant !== null ? html`<span class="badge tenant" data-testid="tenant-badge">tenant ${info.tenant}</span>` : null}
        <span class=${`badge ${info.allowWrites ? 'writes' : 'readonly'}`} data-testid="mode-badge">
          ${info.allowWrites ? 'writes allowed' : 'read-only'}
        </span>
      </span>
    </header>
    <main>${pageFor(route, info)}</main>
  `;
}

function pageFor(route, info) {
  const { page, params } = route;
  switch (page) {
    case 'stream':
      return html`<${StreamPage} key=${params.id} id=${params.id} version=${params.v} />`;
    case 'feed':
      return html`<${FeedPage} from=${params.from} />`;
    case 'subscriptions':
      return html`<${SubscriptionsPage} />`;
    case 'dead-letters':
      return html`<${DeadLettersPage} info=${info} params=${params} />`;
    case 'domain':
      return html`<${DomainPage} />`;
    default:
      return html`<${StreamsPage} info=${info} params=${params} />`;
  }
}

const root = document.getElementById('app');
root.textContent = ''; // the loading note
render(html`<${App} />`, root);
