/** Loaded with `node --import` by the benchmark: reports the process's peak RSS (all threads) at exit. */
process.on('exit', () => {
  process.stderr.write(`maxrss_kib=${process.resourceUsage().maxRSS}\n`);
});
