/** Building a WHERE clause filter by filter: a term is added, with its named parameter, only when the filter is set. */
export type SqlParams = Record<string, unknown>;

/** Push `term` and set `params[name] = value` when `value` is defined; leave both alone otherwise. */
export function addTerm(where: string[], params: SqlParams, term: string, name: string, value: unknown): void {
  if (value === undefined) return;
  where.push(term);
  params[name] = value;
}
