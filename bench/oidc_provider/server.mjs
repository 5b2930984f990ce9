// The node baseline for bench/tokens.py: `oidc-provider` issuing RS256-signed JWT access tokens
// (RFC 9068 shape, resource indicators feature with accessTokenFormat 'jwt') to one confidential
// client by client credentials. One process; everything is in memory (JWT access tokens are
// not stored at all). The benchmark copies this file next to its node_modules in
// var/bench/oidc-provider/ and runs it there with PORT, CLIENT_ID, CLIENT_SECRET, RESOURCE, SCOPE.
import { generateKeyPairSync } from 'node:crypto';

import Provider, { errors } from 'oidc-provider';

const port = Number(process.env.PORT);
const host = '127.0.0.1';
const resource = process.env.RESOURCE;
const scope = process.env.SCOPE;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: 'bench-rs256' };

const provider = new Provider(`http://${host}:${port}`, {
  clients: [
    {
      client_id: process.env.CLIENT_ID,
      client_secret: process.env.CLIENT_SECRET,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope,
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: ['bench-only-cookie-key'] },
  scopes: [scope],
  ttl: { ClientCredentials: 3600 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, indicator) => {
        if (indicator !== resource) throw new errors.InvalidTarget();
        return {
          scope,
          audience: resource,
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
});

const server = provider.listen(port, host, () => {
  console.log(`oidc-provider listening on http://${host}:${port}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
  process.on(signal, () => setTimeout(() => process.exit(0), 2000).unref());
}
