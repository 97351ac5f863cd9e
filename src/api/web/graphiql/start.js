// Starts GraphiQL against this server's /graphql (a file, not an inline script, so the page's
// Content-Security-Policy can allow scripts from this origin only).
'use strict';
// Reported in the DOM so that a headless-browser check can see a blocked load.
document.addEventListener('securitypolicyviolation', (e) => {
  document.body.setAttribute('data-csp-violation', `${e.violatedDirective} ${e.blockedURI}`);
});
ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, {
    // ?customer=ID on this page's URL names the tenant for every request.
    fetcher: GraphiQL.createFetcher({ url: new URL('/graphql' + window.location.search, window.location.origin).toString() }),
    defaultEditorToolsVisibility: true,
  }),
);
