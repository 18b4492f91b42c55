// The reviewed plan file (`reconcile plan --out FILE`, schemas/planfile.schema.json):
// the plan of each site together with what it was made from, so that
// `reconcile apply FILE` can carry out exactly that plan or refuse it as
// stale. Written atomically; read back with every problem located.
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import writeFileAtomic from 'write-file-atomic';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { parseDocument } from 'yaml';
import { InputError, type Problem } from '../errors.js';
import type { PlanSummary, SitePlan } from '../plan/types.js';

export const PLAN_FILE_FORMAT = 'vo-reconcile-planfile/1';

/** One site of a reviewed plan and what it was made from. */
export interface PlanFileSite {
  site: string;
  /** siteDigest of the site's resolved desired state. */
  desired: string;
  /** The observation planned from (observationDigest), or null when the site had none. */
  observation: { digest: string; at: string; source: string } | null;
  /** The pkg_summary planned against; digest null when it could not be read. */
  catalog: { location: string; digest: string | null };
  /** Held when planned: apply leaves a held site alone, and a change of hold makes the plan stale. */
  held: boolean;
  /** The plan as `plan --json` shows it (keptCounts, no kept list). */
  plan: Omit<SitePlan, 'kept'>;
}

export interface PlanFile {
  format: typeof PLAN_FILE_FORMAT;
  createdAt: string;
  /** The desired-state commit. */
  revision: string;
  /** The revision as given (--rev, default HEAD), resolved again by apply. */
  rev: string;
  tags?: string[];
  catalogOverride?: string;
  plannerVersion: number;
  sites: PlanFileSite[];
  summary: PlanSummary;
}

export async function writePlanFile(file: string, plan: PlanFile): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(plan, null, 1)}\n`, { fsync: true });
}

/** A plan file as written by writePlanFile; an InputError naming every problem otherwise. */
export async function readPlanFile(file: string): Promise<PlanFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new InputError({ location: { file }, message: `cannot read the plan file: ${(e as Error).message}` });
  }
  return parsePlanFile(file, text);
}

export function parsePlanFile(file: string, text: string): PlanFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new InputError({
      location: { file, ...jsonErrorAt(text) },
      message: `not JSON: ${(e as Error).message}; expected a file written by 'reconcile plan --out'`,
    });
  }
  const format = (value as { format?: unknown } | null)?.format;
  if (format !== PLAN_FILE_FORMAT)
    throw new InputError({
      location: { file, line: 1 },
      message: `not a reviewed plan (format ${JSON.stringify(format ?? null)}); expected ${PLAN_FILE_FORMAT}, written by 'reconcile plan --out'`,
    });
  const validate = validator();
  if (!validate(value)) throw new InputError((validate.errors ?? []).slice(0, 20).map((e) => toProblem(file, e)));
  return value as PlanFile;
}

function toProblem(file: string, e: ErrorObject): Problem {
  const where =
    e.instancePath === ''
      ? 'document'
      : e.instancePath
          .slice(1)
          .replace(/\/(\d+)/g, '[$1]')
          .replace(/\//g, '.');
  const extra =
    e.keyword === 'additionalProperties' ? ` '${(e.params as { additionalProperty: string }).additionalProperty}'` : '';
  return {
    location: { file },
    message: `${where}: ${e.message ?? 'invalid'}${extra}; the file was not written by 'reconcile plan --out' or was edited`,
  };
}

/** Line and column of a JSON syntax error: JSON is YAML, and the YAML parser says where (JSON.parse does not always). */
function jsonErrorAt(text: string): { line?: number; column?: number } {
  const at = parseDocument(text).errors[0]?.linePos?.[0];
  return at ? { line: at.line, column: at.col } : {};
}

let compiled: ReturnType<Ajv2020['compile']> | undefined;
function validator(): ReturnType<Ajv2020['compile']> {
  if (!compiled) {
    const load = (name: string) =>
      JSON.parse(
        readFileSync(fileURLToPath(new URL(`../../schemas/${name}.schema.json`, import.meta.url)), 'utf8'),
      ) as object;
    const ajv = new Ajv2020({ allErrors: true, strict: true, validateSchema: false });
    ajv.addKeyword({ keyword: 'x-expected', schemaType: 'string' });
    ajv.addSchema(load('plan'));
    compiled = ajv.compile(load('planfile'));
  }
  return compiled;
}
