// Which transactions have begun but not ended, per site, kept current by
// reading only what the journal gained since the last look (a run over a
// thousand sites must not re-read the whole journal per site).
import type { Journal } from './journal.js';
import { foldTransactions, type BeginRecord, type JournalRecord, type Transaction } from './records.js';

export class OpenTransactions {
  /** Records of transactions not (yet) seen to end, by txid. */
  private readonly open = new Map<string, JournalRecord[]>();
  /** The open transactions' txids, by site (from their begin records): a site's question costs its own entries only. */
  private readonly openBySite = new Map<string, Set<string>>();
  /** Per site, the desired-state revision its last successful transaction applied. */
  private readonly lastRevision = new Map<string, string>();

  constructor(private readonly journal: Journal) {}

  async forSite(site: string): Promise<Transaction[]> {
    await this.catchUp();
    const txids = this.openBySite.get(site) ?? [];
    return foldTransactions([...txids].flatMap((txid) => this.open.get(txid) ?? []));
  }

  /** The revision (and its tags, space-separated) the site's last successful apply or rollback brought it to. */
  async lastAppliedRevision(site: string): Promise<string | undefined> {
    await this.catchUp();
    return this.lastRevision.get(site);
  }

  /** The journal read under way, if any. */
  private inFlight: Promise<void> | undefined;
  /** The read that starts when the one under way ends: every caller meanwhile waits for it and shares it. */
  private queued: Promise<void> | undefined;

  /**
   * Resolves once every record appended before the call is folded in,
   * each exactly once. Two thousand sites asking at once share a read or
   * two: a read already under way may have begun before a caller's
   * record was written, so latecomers share the next one rather than
   * each queueing a read of its own (one after another, that was most of
   * a 2,000-site submission's wall time).
   */
  private catchUp(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.inFlight) return this.readOnce();
    this.queued = this.inFlight
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.readOnce();
      });
    return this.queued;
  }

  private readOnce(): Promise<void> {
    const read: Promise<void> = this.readMore().finally(() => {
      if (this.inFlight === read) this.inFlight = undefined;
    });
    this.inFlight = read;
    return read;
  }

  private async readMore(): Promise<void> {
    const { records } = await this.journal.readNew();
    for (const r of records) {
      if (r.type !== 'end') {
        this.open.set(r.txid, [...(this.open.get(r.txid) ?? []), r]);
        if (r.type === 'begin') {
          let txids = this.openBySite.get(r.site);
          if (!txids) this.openBySite.set(r.site, (txids = new Set()));
          txids.add(r.txid);
        }
        continue;
      }
      const begin = this.open.get(r.txid)?.find((x) => x.type === 'begin');
      if (begin?.type === 'begin') {
        if (r.status === 'succeeded' && begin.kind !== 'probe') this.lastRevision.set(r.site, appliedRevision(begin));
        const txids = this.openBySite.get(begin.site);
        txids?.delete(r.txid);
        // No entry per site ever seen for a long-running serve: only sites with a transaction open have one.
        if (txids?.size === 0) this.openBySite.delete(begin.site);
      }
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
