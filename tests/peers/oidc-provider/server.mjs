// A real OAuth 2.0 / OpenID Connect authorization server for codex-auth's interoperability
// tests: panva's `oidc-provider` (https://github.com/panva/node-oidc-provider), which no one
// here wrote, on 127.0.0.1.
//
//   node server.mjs [PORT]        (or PORT=… node server.mjs; 0 or nothing = an ephemeral port)
//
// Once it accepts connections it prints exactly one line to stdout:
//
//   listening http://127.0.0.1:PORT
//
// and the issuer is that URL. It runs until killed. Everything lives in memory.
//
// Settings (environment):
//   OIDC_PEER_CLIENT_ID          the public client's id (default `oauth-codex-test`)
//   OIDC_PEER_ACCESS_TOKEN_TTL   access-token lifetime in seconds (default 60)
//   OIDC_PEER_VERBOSE=1          keep oidc-provider's start-up notices and log every
//                                server-side error event to stderr
//
// The client: public (`token_endpoint_auth_method: none`), `application_type: native`, so
// that, per RFC 8252 §7.3, its registered loopback redirect URI
// `http://localhost:1455/auth/callback` matches any port (`http://localhost:<port>/auth/callback`,
// which codex-auth's loopback flow uses). PKCE is required (oidc-provider only implements S256).
// Refresh tokens rotate on every use; replaying a used one revokes the whole grant
// (oidc-provider's built-in behaviour). A refresh token is issued for every code exchange
// (`issueRefreshToken`): codex-auth asks for `offline_access` without `prompt=consent`, which
// OpenID Connect says to ignore, and oidc-provider does drop that scope.
//
// Sign-in and consent are oidc-provider's own development interactions (`devInteractions`):
// an HTML login form (any login, any password; the login becomes the account id / `sub`)
// and a consent form, both driven by the provider's interaction machinery and cookies.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

const verbose = process.env.OIDC_PEER_VERBOSE === '1';

// oidc-provider announces its development-only features (devInteractions, the in-memory
// adapter) through console.info/console.warn when it starts. They are expected here; keep
// stdout to the one ready line unless asked to be verbose.
if (!verbose) {
  for (const method of ['info', 'warn']) {
    const original = console[method].bind(console);
    console[method] = (...args) => {
      if (typeof args[0] === 'string' && /^(\x1b\[[0-9;]*m)?oidc-provider (NOTICE|WARNING)/.test(args[0])) {
        return;
      }
      original(...args);
    };
  }
}

const { default: Provider } = await import('oidc-provider');

const portArgument = process.argv[2] ?? process.env.PORT ?? '0';
const port = Number.parseInt(portArgument, 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid port: ${portArgument}`);
  process.exit(2);
}
const clientId = process.env.OIDC_PEER_CLIENT_ID || 'oauth-codex-test';
const accessTokenTtl = Number.parseInt(process.env.OIDC_PEER_ACCESS_TOKEN_TTL || '60', 10);
if (!Number.isInteger(accessTokenTtl) || accessTokenTtl <= 0) {
  console.error(`invalid OIDC_PEER_ACCESS_TOKEN_TTL: ${process.env.OIDC_PEER_ACCESS_TOKEN_TTL}`);
  process.exit(2);
}

// Bind first: with port 0 the issuer (which names the port) is only known afterwards.
const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, '127.0.0.1', resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;

// A fresh signing key per run (instead of oidc-provider's published development keys).
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'peer-rs256', use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_name: 'oauth-codex interoperability tests',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['http://localhost:1455/auth/callback'],
    },
  ],
  pkce: { required: () => true },
  rotateRefreshToken: true,
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  // Put the granted claims (email) in the ID token too, where codex-auth reads them.
  conformIdTokenClaims: false,
  async findAccount(_ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return { sub, email: `${sub}@example.test`, email_verified: true, name: sub };
      },
    };
  },
  features: {
    devInteractions: { enabled: true },
    revocation: { enabled: true },
    userinfo: { enabled: true },
  },
  ttl: {
    AccessToken: accessTokenTtl,
    AuthorizationCode: 60,
    IdToken: 3600,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
    RefreshToken: 3600,
  },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  jwks: { keys: [signingKey] },
});

if (verbose) {
  for (const event of ['server_error', 'grant.error', 'authorization.error', 'userinfo.error', 'revocation.error']) {
    provider.on(event, (_ctx, error) => console.error(`${event}: ${error?.name}: ${error?.message} ${error?.error_description ?? ''}`));
  }
} else {
  // Unexpected failures only (not the expected OAuth error answers).
  provider.on('server_error', (_ctx, error) => console.error(`server_error: ${error?.stack ?? error}`));
}

server.on('request', provider.callback());

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}

process.stdout.write(`listening ${issuer}\n`);
