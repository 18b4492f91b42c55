// `reconcile status`: the fleet report as text, JSON or a self-contained HTML page.
import writeFileAtomic from 'write-file-atomic';
import { gatherStatus } from '../../report/gather-status.js';
import { renderStatusHtml } from '../../report/render-html.js';
import { renderStatusText } from '../../report/render-text.js';
import { formatOpt, noPositionals, stringOpt, type ParsedArgs } from '../args.js';
import { desiredFromArgs, withState } from '../common.js';
import type { CommandResult, Io } from '../io.js';

export async function statusCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  noPositionals(args);
  const format = formatOpt(args);
  const desired = await desiredFromArgs(args, io);
  const { status, journalProblems } = await withState(args, (state) =>
    gatherStatus(desired, state, stringOpt(args, 'catalog')),
  );
  for (const p of journalProblems) io.err(p);
  const text =
    format === 'json'
      ? `${JSON.stringify(status)}\n`
      : format === 'html'
        ? renderStatusHtml(status)
        : `${renderStatusText(status).join('\n')}\n`;
  const output = stringOpt(args, 'output');
  if (output) {
    await writeFileAtomic(output, text);
    io.out(`wrote ${output}`);
  } else {
    io.out(text.replace(/\n$/, ''));
  }
  return { exitCode: 0 };
}
