import type { Comparator, Keyed } from './types';
import { defaultCompare } from './compare';

export function topK<T>(items: readonly T[], k: number, compare: Comparator<T> = defaultCompare): T[] {
  if (k <= 0) {
    return [];
  }
  const copy = items.slice();
  copy.sort(compare);
  return copy.slice(0, k);
}

export function byKey<T extends Keyed>(items: readonly T[]): Map<string, T> {
  const out = new Map<string, T>();
  for (const item of items) {
    out.set(item.key, item);
  }
  return out;
}
