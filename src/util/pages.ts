import type { Row } from '../../connectors/warehouse.ts';

/**
 * Pages of exactly `size` rows (the last may be shorter), read one page ahead so the
 * warehouse reads while HubSpot answers. A warehouse hands over what it likes (DuckDB whole
 * 2,048-row chunks): regrouping keeps every batch full, and a stop lands between pages.
 */
export async function* pages(stream: AsyncIterable<Row[]>, size: number): AsyncIterable<Row[]> {
  const regrouped = (async function* () {
    // Never changes an array the stream yielded (it may still be reading it): pages are copies.
    let carry: Row[] = [];
    for await (const page of stream) {
      carry = carry.length === 0 ? page : carry.concat(page);
      let start = 0;
      for (; carry.length - start >= size; start += size) yield carry.slice(start, start + size);
      carry = carry.slice(start);
    }
    if (carry.length > 0) yield carry;
  })();
  let next = regrouped.next();
  try {
    for (;;) {
      const current = await next;
      if (current.done) return;
      next = regrouped.next();
      yield current.value;
    }
  } finally {
    await next.catch(() => undefined);
    await regrouped.return(undefined);
  }
}
