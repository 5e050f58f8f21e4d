/** `attestry tenant|token|key ...`: administration straight on the data directory's index. */
import { Command } from 'commander';
import { AttestryError } from '../../core/errors.js';
import { ROLES } from '../../authz/access-matrix.js';
import { issueToken } from '../../authz/tokens.js';
import { parseKeyId } from '../../core/key-id.js';
import { trustPublicKey } from '../../evidence/trust.js';
import { loadPublicKeyHandle } from '../../crypto/keys.js';
import { parseTenantId } from '../../core/tenant.js';
import { signingAlgorithm } from '../../app/settings.js';
import { keyringFor } from '../../app/transparency.js';
import { parseDateOption, readText } from '../files.js';
import { emit, safeText as st } from '../output.js';
import { run } from '../run.js';
import { collect, configFrom, requireDataDir, withIndex, withServiceOptions, type ServiceFlags } from '../service-options.js';

export function tenantCommand(): Command {
  const cmd = new Command('tenant').description('tenant registry');
  withServiceOptions(
    cmd
      .command('add')
      .description('register a tenant')
      .argument('<id>', 'tenant id (a-z 0-9 . _ -)')
      .option('--name <name>', 'display name'),
  ).action((id: string, flags: ServiceFlags & { name?: string }) =>
    run(flags, () =>
      withIndex(flags, async (s) => {
        const tenant = await s.repos.tenants.add(id, flags.name ?? null, s.clock.now());
        emit(flags, { ok: true, tenant }, () => `added tenant ${tenant.id}`);
      }),
    ),
  );
  withServiceOptions(cmd.command('list').description('list tenants')).action((flags: ServiceFlags) =>
    run(flags, () =>
      withIndex(flags, async (s) => {
        const tenants = await s.repos.tenants.list();
        emit(flags, { tenants }, () =>
          tenants.length === 0
            ? 'no tenants'
            : tenants.map((t) => `${st(t.id).padEnd(24)} ${t.createdAt}  ${st(t.displayName ?? '')}`).join('\n'),
        );
      }),
    ),
  );
  return cmd;
}

export function tokenCommand(): Command {
  const cmd = new Command('token').description('API tokens (stored as hashes; the token is shown once)');
  withServiceOptions(
    cmd
      .command('create')
      .description('create an API token for a role, acting for one or more tenants')
      .option('--role <role>', `one of ${ROLES.join(', ')}`)
      .option('--principal <role>', 'alias of --role')
      .option('--tenant <id>', 'tenant the token acts for (repeat, or comma-separate; admin may use *)', collect, [])
      .option('--expires <date>', 'ISO 8601 expiry', parseDateOption('--expires'))
      .option('--label <text>', 'a note to recognise the token by'),
  ).action((flags: ServiceFlags & { role?: string; principal?: string; tenant: string[]; expires?: Date; label?: string }) =>
    run(flags, () => {
      const role = roleFlag(flags);
      return withIndex(flags, async (s) => {
        const issued = await issueToken(
          s.repos,
          { principal: role, tenants: flags.tenant, label: flags.label, expiresAt: flags.expires },
          s,
        );
        const r = issued.record;
        emit(flags, { token: issued.token, id: r.id, principal: r.principal, tenants: r.tenants, expiresAt: r.expiresAt }, () =>
          [
            issued.token,
            '',
            `token ${r.id} for ${r.principal} acting for ${r.tenants.map(st).join(', ')}${r.expiresAt ? `, expires ${r.expiresAt}` : ''}.`,
            'It is shown only now; store it in a secret manager.',
          ].join('\n'),
        );
      });
    }),
  );
  withServiceOptions(cmd.command('list').description('list tokens (never their secrets)')).action((flags: ServiceFlags) =>
    run(flags, () =>
      withIndex(flags, async (s) => {
        const now = s.clock.now().getTime();
        const tokens = (await s.repos.tokens.list()).map(({ secretHash: _secret, ...t }) => ({
          ...t,
          status: t.revokedAt ? 'revoked' : t.expiresAt && Date.parse(t.expiresAt) <= now ? 'expired' : 'active',
        }));
        emit(flags, { tokens }, () =>
          tokens.length === 0
            ? 'no tokens'
            : tokens
                .map(
                  (t) =>
                    `${t.id}  ${t.status.padEnd(8)} ${t.principal.padEnd(16)} ${t.tenants.map(st).join(',')}${t.label ? `  (${st(t.label)})` : ''}`,
                )
                .join('\n'),
        );
      }),
    ),
  );
  withServiceOptions(cmd.command('revoke').description('revoke a token at once').argument('<id>', 'token id (the ULID after atr_)')).action(
    (id: string, flags: ServiceFlags) =>
      run(flags, () =>
        withIndex(flags, async (s) => {
          const tokenId = /^atr_([0-9A-Z]{26})/.exec(id)?.[1] ?? id;
          await s.repos.tokens.revoke(tokenId, s.clock.now());
          emit(flags, { ok: true, revoked: tokenId }, () => `revoked token ${tokenId}`);
        }),
      ),
  );
  return cmd;
}

/** The token's role from `--role` or its older spelling `--principal`. */
function roleFlag(flags: { role?: string; principal?: string }): string {
  if (flags.role !== undefined && flags.principal !== undefined && flags.role !== flags.principal) {
    throw new AttestryError('E_USAGE', `--role "${flags.role}" and --principal "${flags.principal}" differ; give one`);
  }
  const role = flags.role ?? flags.principal;
  if (role === undefined) throw new AttestryError('E_USAGE', `give --role (one of ${ROLES.join(', ')})`);
  return role;
}

/** `--public-key` takes a file path or the PEM text itself. */
function pemArgument(value: string): { pem: string; source: string } {
  return value.includes('-----BEGIN') ? { pem: value, source: '--public-key' } : { pem: readText(value, 'public key'), source: value };
}

export function keyCommand(): Command {
  const cmd = new Command('key').description("verification keys trusted per tenant, and the service's own signing keys");
  withServiceOptions(
    cmd
      .command('trust')
      .description('trust a public key to verify evidence uploaded to a tenant')
      .requiredOption('--key-id <id>', 'key id (matched against DSSE signature keyids)')
      .requiredOption('--public-key <pem>', 'SPKI PEM file, or the PEM text')
      .requiredOption('--tenant <id>', 'tenant that trusts the key'),
  ).action((flags: ServiceFlags & { keyId: string; publicKey: string; tenant: string }) =>
    run(flags, () =>
      withIndex(flags, async (s) => {
        const keyId = parseKeyId(flags.keyId, '--key-id');
        const tenant = parseTenantId(flags.tenant, '--tenant');
        await s.repos.tenants.requireAll([tenant]);
        const { pem, source } = pemArgument(flags.publicKey);
        const serviceKeyIds = [
          ...keyringFor(s.config)
            .list()
            .map((k) => k.keyId),
          s.config.Signals.Signing.KeyId,
        ];
        const info = await trustPublicKey(s.repos.trustedKeys, tenant, keyId, loadPublicKeyHandle(pem, source), s.clock.now(), {
          serviceKeyIds,
        });
        emit(
          flags,
          { ok: true, tenant, keyId, algorithm: info.algorithm, fingerprint: info.fingerprint },
          () => `tenant ${tenant} now trusts ${keyId} (${info.algorithm}, ${info.fingerprint})`,
        );
      }),
    ),
  );
  withServiceOptions(cmd.command('list').description('list trusted keys').option('--tenant <id>', 'only this tenant')).action(
    (flags: ServiceFlags & { tenant?: string }) =>
      run(flags, () =>
        withIndex(flags, async (s) => {
          const keys = await s.repos.trustedKeys.list(flags.tenant);
          emit(flags, { keys }, () =>
            keys.length === 0
              ? 'no trusted keys'
              : keys
                  .map(
                    (k) =>
                      `${st(k.tenant).padEnd(16)} ${st(k.keyId).padEnd(32)} ${k.algorithm.padEnd(11)} ${k.revokedAt ? 'revoked' : 'active '} ${k.fingerprint}`,
                  )
                  .join('\n'),
          );
        }),
      ),
  );
  withServiceOptions(
    cmd
      .command('revoke')
      .description('stop trusting a key')
      .requiredOption('--key-id <id>', 'key id')
      .requiredOption('--tenant <id>', 'tenant'),
  ).action((flags: ServiceFlags & { keyId: string; tenant: string }) =>
    run(flags, () =>
      withIndex(flags, async (s) => {
        await s.repos.trustedKeys.revoke(flags.tenant, flags.keyId, s.clock.now());
        emit(flags, { ok: true }, () => `tenant ${st(flags.tenant)} no longer trusts ${st(flags.keyId)}`);
      }),
    ),
  );
  withServiceOptions(
    cmd
      .command('export')
      .description("print the public key PEM of one of the service's signing keys (creates the configured key if absent)")
      .option('--key-id <id>', 'signing key id (default: Signals.Signing.KeyId)'),
  ).action((flags: ServiceFlags & { keyId?: string }) =>
    run(flags, () => {
      const config = configFrom(flags);
      requireDataDir(config);
      const keyring = keyringFor(config);
      const configured = config.Signals.Signing.KeyId;
      const keyId = parseKeyId(flags.keyId ?? configured, '--key-id');
      let info;
      if (keyId === configured) {
        info = keyring.ensure(keyId, signingAlgorithm(config)).info;
      } else {
        info = keyring.get(keyId);
      }
      if (flags.json) emit(flags, info, () => '');
      else process.stdout.write(info.publicKeyPem);
    }),
  );
  return cmd;
}
