// The grid clients run through one shared /bin/sh: each call still gets its
// own arguments (quotes, newlines intact), output, exit code and errors.
import { describe, expect, it } from 'vitest';
import { runTool } from '../../src/backends/client-tool.js';

describe('client calls through the launcher', () => {
  it('pass arguments exactly, and keep output and exit codes apart, 50 at once', async () => {
    const odd = `it's "quoted"\nand $HOME \`x\` \\ ;|&`;
    const rs = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        runTool('sh', [
          '-c',
          'printf "%s|%s" "$1" "$2"; printf "e%s" "$2" >&2; exit $(($2 % 7))',
          'sh',
          odd,
          String(i),
        ]),
      ),
    );
    rs.forEach((r, i) => {
      expect(r).toEqual({ exitCode: i % 7, stdout: `${odd}|${i}`, stderr: `e${i}` });
    });
  });

  it('a program not in PATH is a setup error naming it', async () => {
    await expect(runTool('no-such-grid-client', [])).rejects.toThrow(
      "'no-such-grid-client' was not found in PATH: install its client tools on this host",
    );
  });

  it('a client started after PATH changed is looked up in the new PATH', async () => {
    const saved = process.env.PATH;
    try {
      process.env.PATH = '/nonexistent';
      await expect(runTool('sh', ['-c', 'true'])).rejects.toThrow('not found in PATH');
    } finally {
      process.env.PATH = saved;
    }
    await expect(runTool('sh', ['-c', 'echo ok'])).resolves.toMatchObject({ exitCode: 0, stdout: 'ok\n' });
  });
});
