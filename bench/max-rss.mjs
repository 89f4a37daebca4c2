// Loaded with `node --import` into a process the bench measures: as the process exits, writes its
// maxRSS (getrusage, KB) to the file PQLSYNC_BENCH_MAXRSS_FILE names.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  const file = process.env.PQLSYNC_BENCH_MAXRSS_FILE;
  if (file) writeFileSync(file, String(process.resourceUsage().maxRSS));
});
