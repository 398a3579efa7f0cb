// panva's oidc-provider (OpenID Certified) on a loopback port, for spotctl's interoperability
// tests (tests/cli/interop.rs). Started by the tests, never by hand:
//
//   node server.mjs --broker        (the tests start it once per test binary)
//
// The config names the clients (ids, secrets, auth methods, redirect URIs, grant types) and a
// few switches; each provider listens on 127.0.0.1 on a free port. The process prints one line
// `READY port=<port>` on stdout and exits when its stdin closes (the tests ended, whatever
// way). The broker's port answers `POST /_spawn` (body: a config) with `{"port": N}`, a new
// provider in the same process, and `POST /_stop/N` closes that one: node and the library
// start once per run, not once per test (0.4 s of CPU each). A provider's GET /_test/stats
// answers how many requests each endpoint got (the tests count token requests with it) and when each POST /token came; `slowDownPolls: N` answers the first N
// token requests with `slow_down`; `openidOnly` hides the RFC 8414 metadata address;
// `resourceServer: URL` turns on RFC 8707 resource indicators for that one resource;
// `deviceInterval: N` puts `interval: N` in the device authorization answer (the library sends
// none, which means 5 s: RFC 8628 §3.2), so the device tests need not wait 5 s per poll.
// Everything else is the library's own behaviour: its dev login and consent pages (any login,
// any password), discovery, rotation, revocation, introspection, the device flow, RFC 9207
// `iss` in every authorization response.

import http from 'node:http';
import Provider, { errors } from 'oidc-provider';

// One provider on a free loopback port, with its own counters; resolves to its port and a way
// to close it.
function start(config) {
  const counts = {};
  const bump = (k) => { counts[k] = (counts[k] || 0) + 1; };
  // Milliseconds since start of every POST /token, for timing the device login's polls.
  const started = Date.now();
  counts.token_times = [];
  let slowed = 0;

  const server = http.createServer();
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    const issuer = `http://127.0.0.1:${port}`;
    const provider = new Provider(issuer, {
      clients: config.clients || [],
      scopes: ['openid', 'offline_access', 'api:read', 'api:write'],
      features: {
        devInteractions: { enabled: true },
        clientCredentials: { enabled: true },
        deviceFlow: { enabled: true },
        revocation: { enabled: true },
        introspection: { enabled: true },
        // RFC 8707 `resource`, when a test names one resource server (`resourceServer: URL`).
        resourceIndicators: {
          enabled: !!config.resourceServer,
          getResourceServerInfo: (_ctx, indicator) => {
            if (indicator !== config.resourceServer) throw new errors.InvalidTarget();
            return { scope: 'api:read', audience: indicator, accessTokenFormat: 'opaque' };
          },
        },
      },
      // Refresh tokens for every grant that may have them (not only with offline_access and
      // prompt=consent), rotated on every use when asked: a reused rotated refresh token then
      // revokes the whole grant, which is how a double refresh would show.
      issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token')
        && config.refreshTokens !== false,
      rotateRefreshToken: () => config.rotate !== false,
      ttl: {
        AccessToken: config.accessTokenTtl || 3600,
        ClientCredentials: config.accessTokenTtl || 3600,
        DeviceCode: config.deviceCodeTtl || 600,
      },
      // PKCE only when the client asks (or is public, as the library requires).
      pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    });
    provider.proxy = false;
    provider.use(async (ctx, next) => {
      if (ctx.path === '/_test/stats') {
        ctx.body = counts;
        return;
      }
      bump(`${ctx.method} ${ctx.path}`);
      // `openidOnly`: metadata at the OpenID address only, as many servers have it.
      if (config.openidOnly && ctx.path.startsWith('/.well-known/oauth-authorization-server')) {
        ctx.status = 404;
        ctx.body = { error: 'not_found' };
        return;
      }
      if (ctx.method === 'POST' && ctx.path === '/token') {
        counts.token_times.push(Date.now() - started);
        // The library never answers slow_down itself; `slowDownPolls` makes the first polls
        // get it (RFC 8628 §3.5), to see the client back off by 5 s.
        if (slowed < (config.slowDownPolls || 0)) {
          slowed += 1;
          ctx.status = 400;
          ctx.body = { error: 'slow_down', error_description: 'polling too quickly' };
          return;
        }
      }
      await next();
      if (config.deviceInterval && ctx.path === '/device/auth' && ctx.body && ctx.body.device_code) {
        ctx.body = { ...ctx.body, interval: config.deviceInterval };
      }
    });
    server.on('request', provider.callback());
    resolve({
      port,
      close: () => { server.close(); server.closeAllConnections(); },
    });
  }));
}

const running = new Map();
const broker = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', async () => {
    const reply = (status, value) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    try {
      if (req.method === 'POST' && req.url === '/_spawn') {
        const p = await start(JSON.parse(body || '{}'));
        running.set(p.port, p);
        reply(200, { port: p.port });
      } else if (req.method === 'POST' && req.url.startsWith('/_stop/')) {
        const port = Number(req.url.slice('/_stop/'.length));
        running.get(port)?.close();
        running.delete(port);
        reply(200, { stopped: port });
      } else {
        reply(404, { error: 'not_found' });
      }
    } catch (e) {
      reply(500, { error: String(e) });
    }
  });
});
broker.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY port=${broker.address().port}\n`);
});

// The test holds our stdin: when it closes (the test ended or crashed), so do we.
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
