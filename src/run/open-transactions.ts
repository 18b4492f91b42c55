// Which transactions have begun but not ended, per site, kept current by
// reading only what the journal gained since the last look (a run over a
// thousand sites must not re-read the whole journal per site).
import type { Journal } from '../state/journal.js';
import { foldTransactions, type JournalRecord, type Transaction } from '../state/records.js';

export class OpenTransactions {
  /** Records of transactions not (yet) seen to end, by txid. */
  private readonly open = new Map<string, JournalRecord[]>();

  constructor(private readonly journal: Journal) {}

  async forSite(site: string): Promise<Transaction[]> {
    const { records } = await this.journal.readNew();
    for (const r of records) {
      if (r.type === 'end') this.open.delete(r.txid);
      else this.open.set(r.txid, [...(this.open.get(r.txid) ?? []), r]);
    }
    const mine = [...this.open.values()].filter((rs) => rs.some((r) => r.type === 'begin' && r.site === site));
    return foldTransactions(mine.flat());
  }
}
