// test-op.mjs runs an OpenID Provider (the npm package oidc-provider) on
// loopback for the sign-in tests of package web. It is a test tool, never a
// production provider. Its configuration is a JSON file named by the first
// argument:
//
//   { "issuer": "http://127.0.0.1:PORT", "port": PORT,
//     "clients": [ { client_id, client_secret, redirect_uris, post_logout_redirect_uris } ],
//     "users": { "<login>": { given_name, family_name, birthdate, gender, birthplace, birthcountry } } }
//
// Users sign in on a bare page (/interaction/UID) with their login and the
// level of assurance they reach (acr eidas1 or eidas2, as FranceConnect
// and FranceConnect+); consent is given at once. The scopes are
// FranceConnect's: openid, profile (given_name, family_name, birthdate,
// gender), birth (birthplace, birthcountry); the identity claims go into
// the ID token. The module is loaded from OIDC_PROVIDER_MODULE (the
// package's lib/index.js) so that the script needs no node_modules beside it.
// It prints "ready" on stdout once it listens.
import fs from 'node:fs';
import http from 'node:http';
import { pathToFileURL } from 'node:url';

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const { default: Provider } = await import(pathToFileURL(process.env.OIDC_PROVIDER_MODULE).href);

const users = cfg.users;
const provider = new Provider(cfg.issuer, {
  clients: cfg.clients.map((c) => ({
    grant_types: ['authorization_code'], response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic', require_auth_time: true, ...c,
  })),
  claims: {
    acr: null, auth_time: null,
    openid: ['sub'],
    profile: ['given_name', 'family_name', 'birthdate', 'gender'],
    birth: ['birthplace', 'birthcountry'],
  },
  scopes: ['openid', 'profile', 'birth'],
  acrValues: ['eidas1', 'eidas2'],
  conformIdTokenClaims: false,
  pkce: { required: () => true, methods: ['S256'] },
  features: { devInteractions: { enabled: false }, rpInitiatedLogout: {
      enabled: true,
      // form is the provider's own form (with its CSRF token); the button
      // confirms the logout.
      async logoutSource(ctx, form) {
        ctx.body = `<!doctype html><html lang="fr"><title>Déconnexion</title>${form}
<button id="logout" autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Se déconnecter</button></html>`;
      },
    },
  },
  cookies: { keys: ['parcours-test-op-cookie-key'] },
  async findAccount(ctx, id) {
    if (!users[id]) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...users[id] }; } };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = `<!doctype html><title>Erreur</title><p id="op-error">${escape(out.error)}: ${escape(out.error_description || '')}</p>`;
  },
});

function escape(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function body(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (d) => { data += d; });
    req.on('end', () => resolve(new URLSearchParams(data)));
    req.on('error', reject);
  });
}

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  if (!req.url.startsWith('/interaction/')) {
    callback(req, res);
    return;
  }
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      const asked = String(details.params.acr_values || 'eidas1').split(' ')[0];
      const opt = (v) => `<option value="${v}"${v === asked ? ' selected' : ''}>${v}</option>`;
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><html lang="fr"><title>Fournisseur d'identité de test</title>
<form method="post" action="/interaction/${details.uid}">
<label>Identifiant <input id="login" name="login" autofocus></label>
<label>Niveau <select id="acr" name="acr">${opt('eidas1')}${opt('eidas2')}</select></label>
<button id="submit" type="submit">Se connecter</button></form></html>`);
      return;
    }
    const form = await body(req);
    const login = form.get('login');
    if (!users[login]) {
      await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'unknown user' }, { mergeWithLastSubmission: false });
      return;
    }
    const grant = new provider.Grant({ accountId: login, clientId: details.params.client_id });
    grant.addOIDCScope(String(details.params.scope));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, {
      login: { accountId: login, acr: form.get('acr') || 'eidas1' },
      consent: { grantId },
    }, { mergeWithLastSubmission: false });
  } catch (err) {
    res.statusCode = 500;
    res.end(String(err));
  }
});
server.listen(cfg.port, '127.0.0.1', () => { process.stdout.write('ready\n'); });
process.on('SIGTERM', () => server.close(() => process.exit(0)));
