import { Command } from 'commander';

// STUB (coordinator): replaced by the HTTP/CLI helper.
/** `attestry signals reachability`. */
export function signalsReachabilityCommand(): Command {
  return new Command('reachability').description('is a symbol reachable in a component, and was it seen running?');
}
