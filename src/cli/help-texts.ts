/**
 * Examples and exit codes shown by `--help` of every command, keyed by the
 * command path after `attestry`. main.ts adds them to each command; the
 * README's exit-code table and test/cli/exit-codes.test.ts follow this table.
 * A command without an entry fails that test, so new commands get one.
 */
import { EXIT_DATA_DIR, EXIT_SERVER, type ExitRow } from './help.js';
import { REVIEW_HELP } from './review-help-texts.js';

export interface HelpText {
  examples: readonly string[];
  exits: readonly ExitRow[];
}

const D = '--data-dir .attestry/data';

export const COMMAND_HELP: Readonly<Record<string, HelpText>> = {
  'advisory explain': {
    examples: [
      'npm run --silent tiny-model -- /tmp/tiny.gguf',
      'attestry advisory explain finding-123 --finding finding.json --model /tmp/tiny.gguf --attest --sign --data-dir ./data --json',
      'attestry advisory explain finding-123 --finding finding.json --type vex_draft --context sbom.json --endpoint http://127.0.0.1:8081/v1 --data-dir ./data',
      'ATTESTRY_TOKEN=… attestry advisory explain finding-123 --finding finding.json --server http://127.0.0.1:8080 --json',
    ],
    exits: [
      [0, 'generated, attested (signed unless --no-sign), stored in the locker and logged; the files written in the seed layout'],
      [
        1,
        'usage error, a finding or context file that is missing or invalid, no model, settings that break determinism (E_NONDETERMINISTIC), or the model failed to load or generate',
      ],
    ],
  },
  'advisory replay': {
    examples: [
      'attestry advisory replay --manifest evidence/ai-attestations/2026/12/02/replay-20261202-01J….json --model /tmp/tiny.gguf --detect-divergence --json',
      'attestry advisory replay --manifest replay.json --model other.gguf --threads 1 --detect-divergence',
      'ATTESTRY_TOKEN=… attestry advisory replay --manifest replay.json --detect-divergence --server http://127.0.0.1:8080',
    ],
    exits: [
      [0, 'reproduced byte for byte (status identical); pins that differ are still listed as causes'],
      [1, 'usage error, a manifest file that is missing or invalid, or generation could not run (model missing, backend error)'],
      [
        2,
        'not reproduced: status semantically-equivalent or divergent, or refused as nondeterministic; each cause named (weights, temperature, seed, template-version, context, threads, …)',
      ],
    ],
  },
  'attest verify': {
    examples: [
      'attestry attest verify evidence/ai-attestations/2026/12/02/ai-artifact-20261202-01J….dsse.json --data-dir ./data',
      'attestry attest verify artifact.dsse.json --manifest replay.json --key ai-signer.pub --replay --model /tmp/tiny.gguf --data-dir ./data --json',
      'attestry attest verify --chain vex.dsse.json --data-dir ./data   # the review chain: draft, transitions, published VEX',
    ],
    exits: [
      [
        0,
        'valid: signature, predicate schema, manifest hash and binding (prompts, context, output), log inclusion (and replay when asked); with --chain every link from generation to published VEX',
      ],
      [1, 'usage error, or an attestation, manifest or key file that is missing or not parseable'],
      [
        2,
        'invalid: the failed check is named (signature, predicate-schema, manifest-hash, manifest-binding, prompt-hashes, context-hashes, output-hash, log-inclusion, replay; with --chain vex-signature, vex-published, vex-log-inclusion, draft-attestation, transition-chain, transition-signatures, transition-log-inclusion, authority, publication-binding)',
      ],
    ],
  },
  'audit list': {
    examples: [
      'attestry audit list --data-dir ./data',
      'attestry audit list --artifact ai-artifact-20261202-01J… --since 2026-12-01T00:00:00Z --data-dir ./data --json',
    ],
    exits: [
      [0, 'records listed'],
      [1, 'usage error, or the data directory cannot be opened'],
    ],
  },
  'audit verify': {
    examples: [
      'attestry audit verify --data-dir ./data',
      'attestry audit verify --tenant acme --data-dir ./data --json',
      'ATTESTRY_TOKEN=… attestry audit verify --server http://127.0.0.1:8080',
    ],
    exits: [
      [0, 'every record hashes to its digest and links to the one before, every signature verifies, the head is in the log'],
      [1, 'usage error, or the data directory cannot be opened'],
      [2, 'the chain is broken: each problem named by record number'],
    ],
  },
  'model keygen': {
    examples: [
      'attestry model keygen --output keys',
      'SIGNING_PASS=... attestry model keygen --output keys --algorithm ecdsa-p256 --passphrase-env SIGNING_PASS --json',
    ],
    exits: [
      [0, 'key pair written'],
      [1, 'usage error, a key pair already there (use --force), passphrase variable unset, or the directory cannot be written'],
    ],
  },
  'model sign': {
    examples: [
      'attestry model sign ./my-model --key keys/private.pem --signer-id ci@example.com',
      'attestry model sign --model-dir ./my-model --signature my-model.sig --signer-id ci@example.com --model-name m --model-version 1.0',
      'attestry model sign ./llama-70b --key keys/private.pem --signer-id ci@example.com --shards',
      'attestry model sign ./llama-70b --key keys/private.pem --signer-id ci@example.com --reuse-digests old.sig',
      'sha256sum layer/* | attestry model sign --from-digests /dev/stdin --signature oci-model.sig --signer-id ci@example.com',
    ],
    exits: [
      [0, 'signature written'],
      [
        1,
        'usage error, the signature file exists (use --force), or a model, key or digest list that cannot be loaded (missing file, bad key, wrong passphrase, symlink, empty model)',
      ],
      [2, '--reuse-digests OLD.sig does not verify with the signing key (nothing is written)'],
    ],
  },
  'model verify': {
    examples: [
      'attestry model verify ./my-model --key keys/public.pem',
      'attestry model verify --model-dir ./my-model --signature my-model.sig --registry trust.json --json',
      'attestry model verify ./model --identity user@example.com --issuer https://accounts.google.com',
      'attestry model verify ./model --certificate-chain ca-cert.pem',
    ],
    exits: [
      [0, 'the signature is valid and every file matches it'],
      [1, 'usage error, or a signature, key, registry or trusted root that cannot be loaded (missing file, bad format)'],
      [2, 'verification ran and failed: bad signature, wrong key or identity, untrusted publisher, or modified/missing/unsigned files'],
    ],
  },
  'model inspect': {
    examples: ['attestry model inspect --signature ./my-model/model.sig', 'attestry model inspect --signature ./my-model/model.sig --json'],
    exits: [
      [0, 'the signature file was read (nothing was verified)'],
      [1, 'usage error, or the signature file is missing or not an OMS bundle'],
    ],
  },
  'model digest': {
    examples: ['attestry model digest ./my-model', 'attestry model digest --model-dir ./my-model --shards --json'],
    exits: [
      [0, 'root digest printed'],
      [1, 'usage error, or the model is missing or cannot be read (symlink, special file, no files)'],
    ],
  },
  'publisher add': {
    examples: [
      'attestry publisher add --registry trust.json --id releases@example.com --name "ML Platform" --public-key keys/public.pem --expires 2027-12-31',
    ],
    exits: [
      [0, 'publisher added (the registry file is created if needed)'],
      [1, 'usage error, unreadable public key or registry, or the id is already there'],
    ],
  },
  'publisher list': {
    examples: ['attestry publisher list --registry trust.json', 'attestry publisher list --registry trust.json --json'],
    exits: [
      [0, 'listed (a registry file that does not exist lists nothing)'],
      [1, 'usage error, or the registry file is malformed'],
    ],
  },
  'publisher show': {
    examples: ['attestry publisher show releases@example.com --registry trust.json'],
    exits: [
      [0, 'shown'],
      [1, 'usage error, malformed registry, or no such publisher'],
    ],
  },
  'publisher remove': {
    examples: ['attestry publisher remove releases@example.com --registry trust.json'],
    exits: [
      [0, 'removed'],
      [1, 'usage error, malformed registry, or no such publisher'],
    ],
  },
  'publisher revoke': {
    examples: ['attestry publisher revoke releases@example.com --registry trust.json --reason "key leaked"'],
    exits: [
      [0, 'revoked'],
      [1, 'usage error, malformed registry, or no such publisher'],
    ],
  },
  serve: {
    examples: [
      'npm start                                   # = attestry serve --config etc/attestry.yaml (data in .attestry/data)',
      'attestry serve --data-dir ./data --port 8080',
      'attestry serve --config etc/attestry.yaml --port 0 --json   # port 0 picks a free one',
    ],
    exits: [
      [0, 'stopped by SIGTERM or SIGINT after in-flight requests finished'],
      [1, 'usage or configuration error, the port is taken, or the shutdown failed or timed out'],
    ],
  },
  'db migrate': {
    examples: [`attestry db migrate ${D}`, `attestry db migrate ${D} --json`],
    exits: [
      [0, 'the index is up to date (created if there was none)'],
      [1, 'usage or configuration error, or the database cannot be opened'],
    ],
  },
  'tenant add': {
    examples: [`attestry tenant add acme --name "Acme Corp" ${D}`],
    exits: [[0, 'tenant added'], EXIT_DATA_DIR],
  },
  'tenant list': {
    examples: [`attestry tenant list ${D} --json`],
    exits: [[0, 'listed'], EXIT_DATA_DIR],
  },
  'token create': {
    examples: [
      `attestry token create --role ai-service --tenant acme ${D} --json`,
      `attestry token create --role admin --tenant '*' --expires 2027-01-01 --label ops ${D}`,
    ],
    exits: [
      [0, 'token created and printed (once)'],
      [1, 'usage error (unknown role, no tenant), unknown tenant, or no data directory or index'],
    ],
  },
  'token list': {
    examples: [`attestry token list ${D}`],
    exits: [[0, 'listed (never the secrets)'], EXIT_DATA_DIR],
  },
  'token revoke': {
    examples: [`attestry token revoke 01JC0000000000000000000000 ${D}`],
    exits: [[0, 'revoked'], EXIT_DATA_DIR],
  },
  'key trust': {
    examples: [`attestry key trust --key-id release-key --public-key keys/public.pem --tenant acme ${D}`],
    exits: [[0, 'the tenant trusts the key'], EXIT_DATA_DIR],
  },
  'key list': {
    examples: [`attestry key list --tenant acme ${D} --json`],
    exits: [[0, 'listed'], EXIT_DATA_DIR],
  },
  'key revoke': {
    examples: [`attestry key revoke --key-id release-key --tenant acme ${D}`],
    exits: [[0, 'the tenant no longer trusts the key'], EXIT_DATA_DIR],
  },
  'key export': {
    examples: [`attestry key export ${D}`, `attestry key export --key-id signals-signer-2025-001 ${D} --json`],
    exits: [
      [0, 'public key printed'],
      [1, 'usage error, no data directory, or no such signing key'],
    ],
  },
  'evidence put': {
    examples: [
      'ATTESTRY_TOKEN=$(cat .attestry/data/admin-token) attestry evidence put ./my-model/model.sig --tenant default',
      'attestry evidence put envelope.json --server http://127.0.0.1:8080 --json',
    ],
    exits: [
      [0, 'stored (or already stored)'],
      EXIT_SERVER,
      [2, 'the service verified the upload and it failed: bad signature, or no key the tenant trusts signed it'],
    ],
  },
  'evidence get': {
    examples: [
      'attestry evidence get 01JC0000000000000000000000',
      'attestry evidence get 01JC0000000000000000000000 --raw > envelope.json',
    ],
    exits: [
      [0, 'printed'],
      [1, 'usage error, service unreachable, token missing or rejected, not allowed, or no such attestation'],
      [2, 'the service re-checked the stored blob and it is damaged or missing (E_INTEGRITY)'],
    ],
  },
  'evidence find': {
    examples: [
      'attestry evidence find --model-dir ./my-model',
      'attestry evidence find --subject sha256:<hex> --kind model-signatures --json',
    ],
    exits: [[0, 'found (possibly nothing)'], EXIT_SERVER],
  },
  gc: {
    examples: [`attestry gc ${D} --dry-run`, `attestry gc ${D} --min-age 86400 --json`],
    exits: [[0, 'done (or, with --dry-run, listed)'], EXIT_DATA_DIR],
  },
  'log checkpoint': {
    examples: [
      'curl -s http://127.0.0.1:8080/api/v1/log/key | jq -r .verifierKey > log.vkey',
      'attestry log checkpoint --server http://127.0.0.1:8080 --log-key @log.vkey',
    ],
    exits: [
      [0, 'the checkpoint is signed by the log key'],
      [1, 'usage error, bad --log-key, or the log is unreachable'],
      [2, 'the checkpoint does not verify with the log key'],
    ],
  },
  'log prove': {
    examples: ['attestry log prove --leaf <rekorUuid> --log-key @log.vkey', 'attestry log prove --index 42 --log-key @log.vkey --json'],
    exits: [
      [0, 'the entry is included in the signed checkpoint'],
      [1, 'usage error, bad --log-key, no such entry, or the log is unreachable'],
      [2, 'the checkpoint signature or the inclusion proof does not verify'],
    ],
  },
  'log verify': {
    examples: [
      'attestry log verify --bundle evidence.bundle.json --log-key @log.vkey --key keys/public.pem',
      'attestry log verify --bundle b.json --log-key @log.vkey --witness @w1.vkey --min-cosigners 1 --json',
    ],
    exits: [
      [0, 'envelope signature, log inclusion and checkpoint signature verified'],
      [1, 'usage error, or an unreadable bundle, key or --log-key'],
      [2, 'verification ran and failed (signature, inclusion proof, checkpoint, key or cosigners)'],
    ],
  },
  'log monitor': {
    examples: [
      'attestry log monitor --server http://127.0.0.1:8080 --state mon.json --log-key @log.vkey --once',
      'attestry log monitor --state w.json --log-key @log.vkey --cosign-key witness.pem --witness-name witness.example/w1',
    ],
    exits: [
      [0, 'with --once: the log is consistent with the last checkpoint seen'],
      [1, 'usage error, unreadable state or key, the log is unreachable (with --once), or the log refused our cosignature'],
      [2, 'a checkpoint does not verify, or the log forked or rolled back'],
    ],
  },
  'log witness-key': {
    examples: [
      'attestry log witness-key --key witness.pem --name witness.example/w1',
      'attestry log witness-key --key witness.pub.pem --name witness.example/w1 --json',
    ],
    exits: [
      [0, 'verifier key printed'],
      [1, 'usage error, or the key file is missing or not an Ed25519 key'],
    ],
  },
  'verify-bundle': {
    examples: [
      'attestry verify-bundle --bundle a.txt.sigstore.json --artifact a.txt \\',
      '  --identity https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main \\',
      '  --issuer https://token.actions.githubusercontent.com',
      'attestry verify-bundle --bundle b.json --digest sha256:<hex> --key cosign.pub',
      'attestry verify-bundle --bundle att.json --digest sha256:<hex> --key signer.pub --trusted-root attestry-trusted-root.json',
      'attestry verify-bundle --bundle model.sig --digest sha256:<hex> --key signer.pub --offline-key-only',
      "attestry verify-bundle --bundle att.json --artifact pkg.tgz --identity-regexp '^https://github.com/org/' --identity-provider https://token.actions.githubusercontent.com --json",
    ],
    exits: [
      [0, 'verified: signature, certificate, log entry and timestamps check out for this artifact and signer'],
      [1, 'usage error (no artifact, none or two signer policies), or an unreadable bundle, artifact, key or trusted root'],
      [2, 'verification ran and failed; the failed check is named (details.check with --json)'],
    ],
  },
  'sign-blob': {
    examples: [
      'attestry sign-blob release.tar.gz --key keys/private.pem --bundle release.tar.gz.sigstore.json',
      "attestry sign-blob sbom.json --key 'pkcs11:token=ci;object=release?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/secrets/pin' --json",
      'attestry verify-bundle --bundle release.tar.gz.sigstore.json --artifact release.tar.gz --key keys/public.pem --offline-key-only',
      'attestry sign-blob release.tar.gz --key keys/ecdsa.pem --bundle release.logged.sigstore.json --upload --server http://127.0.0.1:8080 --token "$ATTESTRY_TOKEN"',
    ],
    exits: [
      [0, 'bundle written (with --upload: stored, logged, and the service bundle written)'],
      [
        1,
        'usage error, a file or key that cannot be loaded, an Ed25519 key with --upload (use ECDSA or attest), or with --upload: service unreachable, token missing, rejected (401), not allowed (403) or bad input',
      ],
    ],
  },
  attest: {
    examples: [
      'attestry attest --predicate provenance.json --type https://slsa.dev/provenance/v1 --subject dist/app.tgz --key keys/private.pem --bundle app.tgz.intoto.sigstore.json',
      'attestry attest --predicate scan.json --type https://cosign.sigstore.dev/attestation/vuln/v1 --digest sha256:<hex> --key keys/private.pem --bundle scan.sigstore.json --upload --server http://127.0.0.1:8080 --token "$ATTESTRY_TOKEN"',
      'attestry verify-bundle --bundle app.tgz.intoto.sigstore.json --artifact dist/app.tgz --key keys/public.pem --offline-key-only',
    ],
    exits: [[0, 'bundle written (with --upload: stored, logged, and the service bundle written)'], EXIT_SERVER],
  },
  'trust refresh': {
    examples: ['attestry trust refresh', 'attestry trust refresh --mirror https://tuf.example.com --initial-root root.json --json'],
    exits: [
      [0, 'trusted root updated through TUF'],
      [1, 'usage error, the TUF repository is unreachable, or its metadata does not verify'],
    ],
  },
  'trust show': {
    examples: ['attestry trust show', 'attestry trust show --trusted-root trusted_root.json --json'],
    exits: [
      [0, 'shown'],
      [1, 'usage error, or the --trusted-root file is missing or not a trusted root'],
    ],
  },
  'signals callgraph upload': {
    examples: [
      'attestry signals callgraph upload graph.ndjson --tenant default --language java --source scanner --purl pkg:maven/org.example/lib@2.0',
      'attestry signals callgraph upload scan.json --format json --language javascript --source stella-callgraph-node --purl "pkg:npm/%40acme/backend@1.2.3" --graph-id 01JEXAMPLEGRAPH00000000001 --json',
    ],
    exits: [[0, 'stored (or already stored with this --graph-id): the manifest is printed'], EXIT_SERVER],
  },
  'signals callgraph get': {
    examples: [
      'attestry signals callgraph get 01JEXAMPLEGRAPH00000000001 > graph.ndjson',
      'attestry signals callgraph get 01JEXAMPLEGRAPH00000000001 --out graph.ndjson --json',
    ],
    exits: [[0, 'the normalised graph was written'], EXIT_SERVER],
  },
  'signals callgraph manifest': {
    examples: ['attestry signals callgraph manifest 01JEXAMPLEGRAPH00000000001 --json'],
    exits: [[0, 'the manifest is printed'], EXIT_SERVER],
  },
  'signals callgraph find': {
    examples: [
      'attestry signals callgraph find "pkg:npm/%40acme/backend@1.2.3"',
      'attestry signals callgraph find pkg:maven/org.example/lib --tenant default --limit 10 --json',
    ],
    exits: [[0, 'the matching manifests are printed (none is not an error)'], EXIT_SERVER],
  },
  'signals facts upload': {
    examples: [
      'attestry signals facts upload facts.ndjson --callgraph 01JEXAMPLEGRAPH00000000001 --source host-1 --pipeline-version "$GIT_SHA"',
      'attestry signals facts upload facts.ndjson --callgraph 01JEXAMPLEGRAPH00000000001 --source host-1 --pipeline-version 1.4.0 --zstd --batch-id 01JEXAMPLEBATCH00000000001 --json',
    ],
    exits: [[0, 'stored (or already stored with this --batch-id): the provenance record is printed'], EXIT_SERVER],
  },
  'signals facts get': {
    examples: ['attestry signals facts get 01JEXAMPLEBATCH00000000001 --out facts.ndjson'],
    exits: [[0, 'the batch was written exactly as received'], EXIT_SERVER],
  },
  'signals facts stream': {
    examples: [
      'attestry signals facts stream --callgraph 01JEXAMPLEGRAPH00000000001 --include-provenance > facts.ndjson',
      'attestry signals facts stream --since 2025-12-19T00:00:00Z --limit 10000 --out facts.ndjson --json',
    ],
    exits: [[0, 'every page was written'], EXIT_SERVER],
  },
  'signals export': {
    examples: ['attestry signals export --batch 01JEXAMPLEBATCH00000000001 --out audit/batch-1'],
    exits: [[0, 'the export directory was written'], EXIT_SERVER],
  },
  'signals verify': {
    examples: [
      'attestry signals verify --batch 01JEXAMPLEBATCH00000000001 --dir audit/batch-1 --log-key log.vkey',
      'attestry signals verify --batch 01JEXAMPLEBATCH00000000001 --server https://attestry.example --log-key @log.vkey --json',
    ],
    exits: [
      [
        0,
        'verified: blob hash, provenance, attestation signature, log inclusion and manifest signature (checks that do not apply are named as skipped)',
      ],
      [
        1,
        'usage error, an export file that is missing or not parseable, no --log-key for a logged record, or (with --server) service unreachable, token missing, rejected or not allowed',
      ],
      [
        2,
        'a check ran and failed; the message starts with its name (blob-hash, provenance-record, attestation-signature, attestation-log-inclusion, manifest-signature, manifest-log-inclusion)',
      ],
    ],
  },
  'signals reachability': {
    examples: [
      'attestry signals reachability --callgraph 01JEXAMPLEGRAPH00000000001 --symbol "org.lib.Parser.parse(java.lang.String)"',
      'attestry signals reachability --purl pkg:maven/com.acme/app@1.0.0 --osv GHSA-xxxx.json --since 2025-12-01T00:00:00Z --json',
      'attestry signals reachability --callgraph 01JEXAMPLEGRAPH00000000001 --symbol a.b() --symbol c.d() --attest',
      'attestry signals reachability --callgraph 01JEXAMPLEGRAPH00000000001 --symbol a.b() --format openvex --out vex.json',
    ],
    exits: [[0, 'answered (every state, Unknown too, is an answer): printed, or the OpenVEX document written'], EXIT_SERVER],
  },
  'signals reachability history': {
    examples: [
      'attestry signals reachability history --callgraph 01JEXAMPLEGRAPH00000000001 --symbol "org.lib.Parser.parse(java.lang.String)"',
      'attestry signals reachability history --callgraph 01JEXAMPLEGRAPH00000000001 --symbol a.b() --json',
    ],
    exits: [[0, 'the verdicts are printed (none is not an error; chainOk says whether the links hold)'], EXIT_SERVER],
  },
  // Reachability verdicts (verify-verdict helper): export and offline re-derivation.
  'signals export-verdict': {
    examples: [
      'attestry signals export-verdict 01JEXAMPLEVERDICT000000001 --out audit/verdict-1',
      'attestry signals export-verdict 01JEXAMPLEVERDICT000000001 --out audit/verdict-1 --server https://attestry.example --json',
    ],
    exits: [[0, 'the verdict and every record it cites were written'], EXIT_SERVER],
  },
  'signals verify-verdict': {
    examples: [
      'attestry signals verify-verdict audit/verdict-1/verdict.dsse.json --dir audit/verdict-1 --log-key log.vkey',
      'attestry signals verify-verdict verdict.dsse.json --server https://attestry.example --log-key @log.vkey --json',
    ],
    exits: [
      [
        0,
        're-derived: signatures, log inclusion, callgraph and batch digests, static path, runtime hits and the state agree with the verdict',
      ],
      [
        1,
        'usage error, a verdict or export file that is missing, too large or not parseable, no --log-key for a logged record, or (with --server) service unreachable, token missing, rejected or not allowed',
      ],
      [
        2,
        'a check ran and failed; the message starts with its name (verdict-signature, verdict-log-inclusion, callgraph-digest, manifest, static-evidence, batch-provenance, batch-attestation, runtime-evidence, state)',
      ],
    ],
  },
  ...REVIEW_HELP,
};
