// A database URL as it may be shown: in messages, logs, hook scripts and
// crontab lines. The password (in the URL's user part or a `password`
// parameter) never leaves the process.

/** The URL without its password; something unparseable is shown only as its scheme. */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `${/^[a-z]+:/i.exec(url)?.[0] ?? ''}//(unparseable URL)`;
  }
  u.password = '';
  for (const k of [...u.searchParams.keys()]) if (/pass/i.test(k)) u.searchParams.delete(k);
  return u.toString();
}

/** The URL's password (user part or `password` parameter), to scrub it from a message that echoes it. */
export function urlPassword(url: string): string | undefined {
  try {
    const u = new URL(url);
    const pw = u.password ? decodeURIComponent(u.password) : (u.searchParams.get('password') ?? '');
    return pw || undefined;
  } catch {
    return undefined;
  }
}

/** A message with every appearance of the password (raw or URL-encoded) replaced. */
export function scrub(message: string, password: string | undefined): string {
  if (!password) return message;
  let out = message;
  for (const p of new Set([password, encodeURIComponent(password)])) out = out.split(p).join('***');
  return out;
}
