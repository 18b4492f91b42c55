// `reconcile status`: the fleet report as text, JSON or a self-contained HTML page.
import writeFileAtomic from 'write-file-atomic';
import { gatherStatus } from '../../report/gather-status.js';
import { renderStatusHtml } from '../../report/render-html.js';
import { renderStatusText } from '../../report/render-text.js';
import { formatOpt, noPositionals, stringOpt, type ParsedArgs } from '../args.js';
import { desiredFromArgs, stateDirFromArgs, withState } from '../common.js';
import { outboxState } from '../../notify/outbox.js';
import { outboxJson, outboxLines } from '../../notify/render.js';
import type { CommandResult, Io } from '../io.js';
import type { DesiredState } from '../../desired/types.js';
import type { FleetStatus } from '../../report/fleet-status.js';
import { siteGate } from '../../windows/gate.js';
import { runGate } from '../gate.js';
import { redactUrl } from '../../state/redact-url.js';

export async function statusCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  noPositionals(args);
  const format = formatOpt(args);
  const desired = await desiredFromArgs(args, io);
  const { status, journalProblems } = await withState(args, (state) =>
    gatherStatus(desired, state, stringOpt(args, 'catalog')),
  );
  for (const p of journalProblems) io.err(p);
  await withWindows(status, desired, io, stateDirFromArgs(args));
  // Webhook events the deliverer gave up on stay listed until their files are removed.
  const outbox = await outboxState(stateDirFromArgs(args));
  const notifications =
    outbox.waiting > 0 || outbox.undelivered.length > 0 ? { notifications: outboxJson(outbox) } : {};
  const text =
    format === 'json'
      ? `${JSON.stringify({ ...status, ...notifications })}\n`
      : format === 'html'
        ? renderStatusHtml(status)
        : `${[...renderStatusText(status), ...outboxLines(outbox)].join('\n')}\n`;
  const output = stringOpt(args, 'output');
  if (output) {
    await writeFileAtomic(output, text);
    io.out(`wrote ${output}`);
  } else {
    io.out(text.replace(/\n$/, ''));
  }
  return { exitCode: 0 };
}

/** Each site's windows and downtimes now, and where the downtimes came from (windows.yaml only). */
async function withWindows(status: FleetStatus, desired: DesiredState, io: Io, stateDir: string): Promise<void> {
  const now = Date.now();
  const gate = await runGate(desired, io, { stateDir, dryRun: false, now });
  if (!gate) return;
  const byName = new Map(desired.sites.map((s) => [s.name, s]));
  for (const site of status.sites) {
    const s = byName.get(site.name);
    if (s) site.window = siteGate(gate.gate, s, now);
  }
  if (gate.downtimes) {
    const { source, from, readAt } = gate.downtimes;
    const shown = /^https?:\/\//i.test(source) ? redactUrl(source) : source;
    status.downtimes = { source: shown, from, ...(readAt ? { readAt } : {}) };
  }
}
