// Recent predictions, kept in this browser only (localStorage), newest first.

const KEY = "sentiment.history.v1";
const KEEP = 20;

export function load() {
  try {
    const items = JSON.parse(localStorage.getItem(KEY) || "[]");
    return Array.isArray(items) ? items : [];
  } catch {
    return [];
  }
}

export function add(review, result) {
  const items = [{ review: review.slice(0, 2000), label: result.label, score: result.score, at: Date.now() }, ...load()];
  try {
    localStorage.setItem(KEY, JSON.stringify(items.slice(0, KEEP)));
  } catch {
    // storage full or disabled: history is a nicety, never a failure
  }
}

export function clear() {
  try {
    localStorage.removeItem(KEY);
  } catch {
    // nothing to clear
  }
}
