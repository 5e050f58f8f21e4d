import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-file.js';
import { AttestryError } from '../core/errors.js';
import { ALL_TENANTS } from '../authz/principal.js';
import { issueToken } from '../authz/tokens.js';
import type { IndexServices } from './index-services.js';

export interface Bootstrap {
  readonly createdTenant: string | undefined;
  /** Path of the file holding the first admin token, when this start wrote it (the token itself is never logged). */
  readonly adminTokenFile: string | undefined;
  /**
   * Where the bootstrap admin token is, on every start: the file in the data
   * directory if it is still there (`created` on this start or an earlier one),
   * or undefined when it was removed or never written (tokens existed first).
   */
  readonly adminToken: { readonly file: string; readonly created: boolean } | undefined;
}

/**
 * First start on an empty index: a `default` tenant and an admin token, so a
 * laptop user can call the API at once. The token goes to a 0600 file in the
 * data directory, not to the log.
 */
export async function bootstrapIndex(services: IndexServices): Promise<Bootstrap> {
  const { repos, config } = services;
  let createdTenant: string | undefined;
  if ((await repos.tenants.list()).length === 0) {
    try {
      await repos.tenants.add('default', 'created on first start', services.clock.now());
      createdTenant = 'default';
    } catch (e) {
      // Another node starting on the same database created it first.
      if (!(e instanceof AttestryError && e.code === 'E_CONFLICT')) throw e;
    }
  }
  let adminTokenFile: string | undefined;
  const tokenFile = join(config.dataDir, 'admin-token');
  if ((await repos.tokens.list()).length === 0) {
    const issued = await issueToken(repos, { principal: 'admin', tenants: [ALL_TENANTS], label: 'bootstrap admin token' }, services);
    adminTokenFile = tokenFile;
    writeFileAtomic(adminTokenFile, `${issued.token}\n`, 0o600);
  }
  const adminToken =
    adminTokenFile !== undefined
      ? { file: adminTokenFile, created: true }
      : existsSync(tokenFile)
        ? { file: tokenFile, created: false }
        : undefined;
  return { createdTenant, adminTokenFile, adminToken };
}
