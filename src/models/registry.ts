/**
 * Trusted publisher registry (seed 001, "Trusted publisher registry"): a JSON
 * file of known publishers and their public keys. Every change is written
 * atomically under an exclusive lock, so concurrent writers cannot lose each
 * other's updates and a crash leaves the old or the new file, never half.
 */
import { closeSync, openSync, unlinkSync, existsSync, statSync } from 'node:fs';
import { z } from 'zod';
import type { KeyObject } from 'node:crypto';
import { AttestryError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic-file.js';
import { parseJsonText, parseWith } from '../core/validation.js';
import { keyAlgorithmOf, keyFingerprint, keyHintMatches, loadPublicKey, publicKeyToPem, type KeyAlgorithm } from '../crypto/keys.js';
import type { Clock } from '../core/ids.js';
import { readTextFileBounded } from './signature-file.js';

export interface Publisher {
  id: string;
  name: string;
  /** SPKI PEM. */
  publicKey: string;
  algorithm: KeyAlgorithm;
  fingerprint: string;
  trustedSince: string;
  expiresAt?: string;
  revoked: boolean;
  revokedAt?: string;
  revocationReason?: string;
}

export interface RegistryFile {
  version: 1;
  publishers: Publisher[];
}

const isoDate = z.iso.datetime({ offset: true });

const PublisherSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  publicKey: z.string().min(1),
  algorithm: z.enum(['ed25519', 'ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521']),
  fingerprint: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  trustedSince: isoDate,
  expiresAt: isoDate.optional(),
  revoked: z.boolean(),
  revokedAt: isoDate.optional(),
  revocationReason: z.string().optional(),
});

const RegistrySchema = z.object({ version: z.literal(1), publishers: z.array(PublisherSchema) });

export function readRegistry(path: string): RegistryFile {
  if (!existsSync(path)) return { version: 1, publishers: [] };
  const text = readTextFileBounded(path, 64 * 1024 * 1024, 'publisher registry');
  const registry: RegistryFile = parseWith(
    RegistrySchema,
    parseJsonText(text, `publisher registry ${path}`, 'E_REGISTRY_FORMAT'),
    `publisher registry ${path}`,
    'E_REGISTRY_FORMAT',
  );
  for (const p of registry.publishers) {
    // The stored fingerprint must describe the stored key, or the file was edited by hand.
    if (keyFingerprint(loadPublicKey(p.publicKey, `registry entry ${p.id}`)) !== p.fingerprint) {
      throw new AttestryError(
        'E_REGISTRY_FORMAT',
        `publisher registry ${path}: entry "${p.id}" has a fingerprint that does not match its public key`,
      );
    }
  }
  return registry;
}

export function findPublisher(registry: RegistryFile, id: string): Publisher | undefined {
  return registry.publishers.find((p) => p.id === id);
}

export function findPublisherByHint(registry: RegistryFile, hint: string): Publisher | undefined {
  return registry.publishers.find((p) => keyHintMatches(hint, loadPublicKey(p.publicKey, p.id)));
}

/**
 * The publishers whose keys may have made a signature that names no signer:
 * those the key hint names first (it is only a hint), then every other one,
 * so a signature with an unknown or missing hint is still matched by its key.
 */
export function publisherCandidates(registry: RegistryFile, hint: string | undefined): Publisher[] {
  if (hint === undefined || hint === '') return [...registry.publishers];
  const named = registry.publishers.filter((p) => keyHintMatches(hint, loadPublicKey(p.publicKey, p.id)));
  return [...named, ...registry.publishers.filter((p) => !named.includes(p))];
}

/** Throws E_UNTRUSTED_PUBLISHER unless the publisher is currently trusted. */
export function assertPublisherTrusted(p: Publisher, now: Date): void {
  if (p.revoked) {
    throw new AttestryError(
      'E_UNTRUSTED_PUBLISHER',
      `publisher "${p.id}" was revoked${p.revokedAt ? ` on ${p.revokedAt}` : ''}${p.revocationReason ? ` (${p.revocationReason})` : ''}`,
    );
  }
  if (p.expiresAt !== undefined && Date.parse(p.expiresAt) <= now.getTime()) {
    throw new AttestryError('E_UNTRUSTED_PUBLISHER', `publisher "${p.id}" expired on ${p.expiresAt}`);
  }
  if (Date.parse(p.trustedSince) > now.getTime()) {
    throw new AttestryError('E_UNTRUSTED_PUBLISHER', `publisher "${p.id}" is not trusted before ${p.trustedSince}`);
  }
}

const LOCK_TIMEOUT_MS = 10_000;
const STALE_LOCK_MS = 60_000;

/** Runs `change` on the registry under an exclusive lock file and saves the result atomically. */
export async function updateRegistry<T>(path: string, change: (registry: RegistryFile) => T): Promise<T> {
  const lock = `${path}.lock`;
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new AttestryError('E_IO', `cannot lock ${path}: ${(e as Error).message}`, { cause: e });
      try {
        if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) unlinkSync(lock);
      } catch {
        // the holder released it meanwhile
      }
      if (Date.now() > deadline) throw new AttestryError('E_CONFLICT', `publisher registry ${path} is locked by another process (${lock})`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  try {
    const registry = readRegistry(path);
    const result = change(registry);
    writeFileAtomic(path, `${JSON.stringify(registry, null, 2)}\n`);
    return result;
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      // already gone
    }
  }
}

export interface AddPublisherInput {
  id: string;
  name?: string;
  publicKey: KeyObject;
  trustedSince?: Date;
  expiresAt?: Date;
}

export function newPublisher(input: AddPublisherInput, clock: Clock): Publisher {
  if (input.id.trim() === '') throw new AttestryError('E_USAGE', 'publisher id must not be empty');
  const p: Publisher = {
    id: input.id,
    name: input.name ?? input.id,
    publicKey: publicKeyToPem(input.publicKey),
    algorithm: keyAlgorithmOf(input.publicKey),
    fingerprint: keyFingerprint(input.publicKey),
    trustedSince: (input.trustedSince ?? clock.now()).toISOString(),
    revoked: false,
  };
  if (input.expiresAt) p.expiresAt = input.expiresAt.toISOString();
  return p;
}

export async function addPublisher(path: string, input: AddPublisherInput, clock: Clock): Promise<Publisher> {
  const publisher = newPublisher(input, clock);
  return updateRegistry(path, (r) => {
    if (findPublisher(r, publisher.id))
      throw new AttestryError('E_CONFLICT', `publisher "${publisher.id}" is already in ${path}; remove it first`);
    r.publishers.push(publisher);
    r.publishers.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return publisher;
  });
}

export async function removePublisher(path: string, id: string): Promise<Publisher> {
  return updateRegistry(path, (r) => {
    const i = r.publishers.findIndex((p) => p.id === id);
    if (i < 0) throw new AttestryError('E_NOT_FOUND', `publisher "${id}" is not in ${path}`);
    return r.publishers.splice(i, 1)[0]!;
  });
}

export async function revokePublisher(path: string, id: string, reason: string | undefined, clock: Clock): Promise<Publisher> {
  return updateRegistry(path, (r) => {
    const p = findPublisher(r, id);
    if (!p) throw new AttestryError('E_NOT_FOUND', `publisher "${id}" is not in ${path}`);
    p.revoked = true;
    p.revokedAt = clock.now().toISOString();
    if (reason) p.revocationReason = reason;
    return p;
  });
}
