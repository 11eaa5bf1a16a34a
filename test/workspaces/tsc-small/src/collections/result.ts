export type Result<T, E = Error> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });

export function tryCatch<T>(f: () => T): Result<T, Error> {
  try {
    return ok(f());
  } catch (e) {
    return err(e instanceof Error ? e : new Error(String(e)));
  }
}

export function mapResult<T, U, E>(r: Result<T, E>, f: (value: T) => U): Result<U, E> {
  return r.ok ? ok(f(r.value)) : r;
}

export function andThen<T, U, E>(r: Result<T, E>, f: (value: T) => Result<U, E>): Result<U, E> {
  return r.ok ? f(r.value) : r;
}

export function collect<T, E>(results: Iterable<Result<T, E>>): Result<T[], E> {
  const values: T[] = [];
  for (const r of results) {
    if (!r.ok) return r;
    values.push(r.value);
  }
  return ok(values);
}

type Awaitable<T> = T | PromiseLike<T>;

export async function settle<T extends readonly unknown[]>(tasks: { [K in keyof T]: () => Awaitable<T[K]> }): Promise<{ [K in keyof T]: Result<T[K]> }> {
  const out = await Promise.all(
    (tasks as readonly (() => Awaitable<unknown>)[]).map(async (t) => {
      try {
        return ok(await t());
      } catch (e) {
        return err(e instanceof Error ? e : new Error(String(e)));
      }
    }),
  );
  return out as { [K in keyof T]: Result<T[K]> };
}
