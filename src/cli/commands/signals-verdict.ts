import { Command } from 'commander';

// STUB (coordinator): replaced by the verify-verdict helper.
/** `attestry signals verify-verdict FILE`. */
export function signalsVerifyVerdictCommand(): Command {
  return new Command('verify-verdict').description('re-derive a reachability verdict from the evidence it cites, offline');
}

/** `attestry signals export-verdict ID --out DIR`. */
export function signalsExportVerdictCommand(): Command {
  return new Command('export-verdict').description('write a verdict and every record it cites to a directory');
}
