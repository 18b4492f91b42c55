// Why a fetch() failed, in the words of the system call: undici says only
// "fetch failed" and keeps the reason (ECONNREFUSED 127.0.0.1:1234, a
// name that does not resolve, a bad certificate) in `cause`, for a host
// with several addresses as an AggregateError of one error per address.
export function fetchFailureCause(e: unknown): string {
  const err = e as Error & { cause?: unknown };
  if (err?.name === 'TimeoutError') return err.message;
  const cause = err?.cause as (Error & { errors?: Error[]; code?: string }) | undefined;
  if (!cause) return err?.message ?? String(e);
  if (Array.isArray(cause.errors) && cause.errors.length > 0)
    return [...new Set(cause.errors.map((x) => x.message))].join('; ');
  return cause.message || cause.code || err.message;
}
