import { round, clamp } from './math.js';

/**
 * Count how often each word occurs, most frequent first.
 */
export function topWords(text, limit = 10) {
  const words = text.toLowerCase().split(/\W+/).filter((w) => w.length > 0);
  const counts = [];
  for (const word of words) {
    const entry = counts.find((c) => c.word === word);
    if (entry) {
      entry.count += 1;
    } else {
      counts.push({ word, count: 1 });
    }
  }
  counts.sort((a, b) => b.count - a.count || a.word.localeCompare(b.word));
  return counts.slice(0, clamp(limit, 0, counts.length)).map((c) => ({ ...c, share: round(c.count / words.length, 3) }));
}
