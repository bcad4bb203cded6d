// SQLite reads a negative LIMIT as no limit at all, PostgreSQL refuses it: LIMIT NULL is its "all rows".
export function noLimitBelowZero(limit: number): number | null {
  return limit < 0 ? null : limit;
}
