// The EGI GOCDB get_downtime answer (XML) → downtimes. One DOWNTIME element
// per affected service endpoint, with attributes ID, PRIMARY_KEY and
// CLASSIFICATION, and children HOSTNAME, SERVICE_TYPE, ENDPOINT, HOSTED_BY
// (or SITENAME for a site-level downtime), SEVERITY (OUTAGE | WARNING),
// DESCRIPTION, START_DATE / END_DATE (unix seconds) and their
// FORMATED_* forms. Parsed with fast-xml-parser, never with patterns; an
// element this cannot use is skipped with the reason, not fatal to the rest.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Downtime, Severity } from './types.js';

export type ParsedDowntimes = { ok: true; downtimes: Downtime[]; skipped: string[] } | { ok: false; error: string };

type Element = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (name) => name === 'DOWNTIME',
});

export function parseGocdbDowntimes(xml: string): ParsedDowntimes {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) return { ok: false, error: `not XML: ${valid.err.msg} (line ${valid.err.line})` };
  const doc = parser.parse(xml) as Element;
  const root = Object.entries(doc).find(([k]) => k !== '?xml');
  if (!root) return { ok: false, error: 'no root element; expected the <results> of a GOCDB get_downtime query' };
  // An answer with no downtime is an empty <results/>.
  const body = (typeof root[1] === 'object' && root[1] !== null ? root[1] : {}) as Element;
  if (body.error !== undefined) return { ok: false, error: `GOCDB answered with an error: ${text(body.error)}` };
  const downtimes: Downtime[] = [];
  const skipped: string[] = [];
  ((body.DOWNTIME as Element[] | undefined) ?? []).forEach((el, i) => {
    const d = toDowntime(el);
    if (typeof d === 'string') skipped.push(`DOWNTIME #${i + 1}: ${d}`);
    else downtimes.push(d);
  });
  return { ok: true, downtimes, skipped };
}

function toDowntime(el: Element): Downtime | string {
  const id = text(el['@ID']);
  if (!id) return 'no ID attribute';
  const severity = text(el.SEVERITY).toUpperCase();
  if (severity !== 'OUTAGE' && severity !== 'WARNING')
    return `downtime ${id}: SEVERITY '${severity}' is neither OUTAGE nor WARNING`;
  const start = seconds(el.START_DATE);
  const end = seconds(el.END_DATE);
  if (start === undefined || end === undefined) return `downtime ${id}: START_DATE and END_DATE must be unix seconds`;
  const site = text(el.SITENAME) || text(el.HOSTED_BY);
  const hostname = text(el.HOSTNAME).toLowerCase();
  if (!site && !hostname) return `downtime ${id}: neither SITENAME, HOSTED_BY nor HOSTNAME says where it is`;
  const optional = {
    ...(site ? { site } : {}),
    ...(hostname ? { hostname } : {}),
    ...(text(el.SERVICE_TYPE) ? { serviceType: text(el.SERVICE_TYPE) } : {}),
    ...(text(el.ENDPOINT) ? { endpoint: text(el.ENDPOINT) } : {}),
  };
  return {
    id,
    primaryKey: text(el['@PRIMARY_KEY']) || text(el.PRIMARY_KEY),
    classification: text(el['@CLASSIFICATION']),
    severity: severity as Severity,
    description: text(el.DESCRIPTION).replace(/\s+/g, ' '),
    start: start * 1000,
    end: end * 1000,
    ...optional,
  };
}

function text(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return text((v as Element)['#text']);
  return String(v).trim();
}

function seconds(v: unknown): number | undefined {
  const s = text(v);
  return /^[0-9]{1,12}$/.test(s) ? Number(s) : undefined;
}
