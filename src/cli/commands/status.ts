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

export async function statusCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  noPositionals(args);
  const format = formatOpt(args);
  const desired = await desiredFromArgs(args, io);
  const { status, journalProblems } = await withState(args, (state) =>
    gatherStatus(desired, state, stringOpt(args, 'catalog')),
  );
  for (const p of journalProblems) io.err(p);
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
