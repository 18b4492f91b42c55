// The deliverer: a detached process a run starts when it queued events, so
// that no receiver, down or slow, holds up or fails the run. It claims
// everything pending under <localDir>/notify, sends each with retries, and
// exits when nothing it claimed is left. Usage: deliver-main.js LOCAL_DIR
import { claimAll, markDelivered, markUndelivered } from './outbox.js';
import { deliverWithRetries } from './deliver.js';

const localDir = process.argv[2];
if (!localDir) process.exit(2);
const backoff = Number(process.env.RECONCILE_NOTIFY_BACKOFF_MS) || 2000;

for (;;) {
  const claimed = await claimAll(localDir);
  if (claimed.length === 0) break;
  await Promise.all(
    claimed.map(async ({ file, item }) => {
      const done = await deliverWithRetries(item, backoff);
      const { delivered, ...rest } = done;
      if (delivered) await markDelivered(localDir, file, rest, new Date().toISOString());
      else await markUndelivered(localDir, file, { ...rest, gaveUpAt: new Date().toISOString() });
    }),
  );
}
