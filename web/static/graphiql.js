// GraphiQL for this server: queries and mutations by POST to /graphql, subscriptions by
// graphql-ws on the same path. React, ReactDOM and GraphiQL are globals from the UMD bundles
// that graphiql.html loads from /vendor.
'use strict';

(function start() {
  const root = document.getElementById('graphiql');
  if (typeof window.GraphiQL === 'undefined' || typeof window.ReactDOM === 'undefined') {
    // The server was built without Node's npm, so the bundles are missing (see README).
    root.innerHTML = '';
    const message = document.createElement('p');
    message.className = 'missing';
    message.textContent = 'GraphiQL was not built into this server: install Node.js 20 or later with npm, '
      + 'then build service-circle again. The API itself works: POST /graphql.';
    root.appendChild(message);
    return;
  }
  const endpoint = new URL('/graphql', window.location.href);
  const subscriptions = new URL(endpoint);
  subscriptions.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';
  const fetcher = window.GraphiQL.createFetcher({
    url: endpoint.toString(),
    subscriptionUrl: subscriptions.toString(),
  });
  window.ReactDOM.createRoot(root).render(
    window.React.createElement(window.GraphiQL, { fetcher, defaultEditorToolsVisibility: true }),
  );
}());
