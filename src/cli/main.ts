import { hideBin } from 'yargs/helpers';
import { runCli } from './build-cli.ts';

// SIGTERM/SIGINT ask long steps to finish the current batch, checkpoint and stop; a second one exits at once.
const controller = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  });
}

const code = await runCli(hideBin(process.argv), { env: process.env, out: process.stdout, err: process.stderr, signal: controller.signal });
process.exitCode = code;
