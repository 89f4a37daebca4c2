import type { SyncProgress } from '../run/sync.ts';
import type { Logger } from '../util/logger.ts';

/** Terminal progress for sending: records sent / total, rate and ETA (silent in JSON mode or off a TTY). */
export function sendProgress(log: Logger): (p: SyncProgress) => void {
  const started = Date.now();
  return (p) => {
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    const rate = p.sent / seconds;
    const eta = rate > 0 ? Math.ceil((p.total - p.sent) / rate) : 0;
    log.progress(`${p.sync}: ${p.sent}/${p.total} sent, ${p.failed} failed, ${rate.toFixed(0)}/s, ETA ${eta}s`);
  };
}
