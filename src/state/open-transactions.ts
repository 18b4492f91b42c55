// Which transactions have begun but not ended, per site, kept current by
// reading only what the journal gained since the last look (a run over a
// thousand sites must not re-read the whole journal per site).
import type { Journal } from './journal.js';
import { foldTransactions, type BeginRecord, type JournalRecord, type Transaction } from './records.js';

export class OpenTransactions {
  /** Records of transactions not (yet) seen to end, by txid. */
  private readonly open = new Map<string, JournalRecord[]>();
  /** Per site, the desired-state revision its last successful transaction applied. */
  private readonly lastRevision = new Map<string, string>();

  constructor(private readonly journal: Journal) {}

  async forSite(site: string): Promise<Transaction[]> {
    await this.catchUp();
    const mine = [...this.open.values()].filter((rs) => rs.some((r) => r.type === 'begin' && r.site === site));
    return foldTransactions(mine.flat());
  }

  /** The revision (and its tags, space-separated) the site's last successful apply or rollback brought it to. */
  async lastAppliedRevision(site: string): Promise<string | undefined> {
    await this.catchUp();
    return this.lastRevision.get(site);
  }

  /** The catch-up in progress: sites ask at once, and each record must be folded in exactly once. */
  private reading: Promise<void> = Promise.resolve();

  private catchUp(): Promise<void> {
    this.reading = this.reading.then(() => this.readMore());
    return this.reading;
  }

  private async readMore(): Promise<void> {
    const { records } = await this.journal.readNew();
    for (const r of records) {
      if (r.type !== 'end') {
        this.open.set(r.txid, [...(this.open.get(r.txid) ?? []), r]);
        continue;
      }
      const begin = this.open.get(r.txid)?.find((x) => x.type === 'begin');
      if (begin?.type === 'begin' && r.status === 'succeeded' && begin.kind !== 'probe')
        this.lastRevision.set(r.site, appliedRevision(begin));
      this.open.delete(r.txid);
    }
  }
}

/** What a succeeded apply or rollback brought its site to: the revision (or rollback:<commit>) and its tags. */
export function appliedRevision(begin: BeginRecord): string {
  // Tags are part of what was applied: a tag added later to the same commit must be journalled too.
  const rev = begin.kind === 'rollback' ? `rollback:${begin.rollback?.commit}` : begin.revision;
  return `${rev}${begin.tags.length ? ` ${[...begin.tags].sort().join(',')}` : ''}`;
}
