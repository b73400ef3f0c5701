// Drawing results. User text only ever becomes text nodes or textContent, never HTML.

export function el(tag, options = {}, ...children) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined) node.textContent = options.text;
  for (const [name, value] of Object.entries(options.attrs || {})) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

/**
 * The review with each explained word tinted by its pull (green positive, red negative).
 * The API's offsets count Unicode code points, so the review is sliced as an array of code points
 * (a JavaScript string indexes UTF-16 units: an emoji would count twice and split).
 */
export function highlight(container, review, explanation) {
  container.replaceChildren();
  const points = Array.from(review);
  const slice = (start, end) => points.slice(start, end).join("");
  const words = [...explanation].sort((a, b) => a.start - b.start);
  const strongest = Math.max(1e-6, ...words.map((w) => Math.abs(w.weight)));
  let at = 0;
  for (const word of words) {
    if (word.start < at || word.end > points.length) continue;
    container.append(document.createTextNode(slice(at, word.start)));
    const share = Math.abs(word.weight) / strongest;
    const span = el("mark", {
      className: "word",
      text: slice(word.start, word.end),
      attrs: {
        title: `${word.weight >= 0 ? "+" : ""}${word.weight.toFixed(3)} (${word.weight >= 0 ? "positive" : "negative"})`,
        "data-weight": String(word.weight),
      },
    });
    const rgb = word.weight >= 0 ? "var(--pos-rgb)" : "var(--neg-rgb)";
    span.style.backgroundColor = `rgba(${rgb}, ${(0.06 + 0.64 * share).toFixed(3)})`;
    span.style.color = "inherit";
    container.append(span);
    at = word.end;
  }
  container.append(document.createTextNode(slice(at, points.length)));
}

/** The expected star rating (1-10), when the model gives one. */
function showRating(rating) {
  const line = document.getElementById("rating-line");
  line.hidden = typeof rating !== "number";
  if (line.hidden) return;
  const stars = document.getElementById("rating-stars");
  const fill = el("span", { className: "stars-fill" });
  fill.style.width = `${Math.max(0, Math.min(10, rating)) * 10}%`;
  stars.replaceChildren(fill);
  document.getElementById("rating-text").textContent = `about ${rating.toFixed(1)} stars out of 10`;
}

export function showResult(review, result) {
  const positive = result.label === "POSITIVE";
  const tone = positive ? "positive" : "negative";
  const label = document.getElementById("verdict-label");
  label.textContent = result.label;
  label.className = `badge ${tone}`;
  const percent = Math.round(result.confidence * 1000) / 10;
  document.getElementById("confidence-value").textContent = `${percent}%`;
  const meter = document.getElementById("confidence-meter");
  meter.setAttribute("aria-valuenow", String(percent));
  meter.setAttribute("aria-valuetext", `${percent}% confident it is ${tone}`);
  const fill = document.getElementById("confidence-fill");
  fill.className = `meter-fill ${tone}`;
  fill.style.width = `${Math.max(0, (result.confidence - 0.5) * 200)}%`;
  document.getElementById("score-value").textContent = result.score.toFixed(3);
  const notice = document.getElementById("truncated-notice");
  notice.hidden = !result.truncated;
  notice.textContent = result.truncated
    ? "This review is longer than the model reads: only its first words were scored."
    : "";
  showRating(result.rating);
  highlight(document.getElementById("highlighted"), review, result.explanation || []);
  const model = result.model || {};
  document.getElementById("model-line").textContent =
    `Model ${model.name || "?"} · version ${model.version || "?"}${model.variant ? ` · variant ${model.variant}` : ""}`;
  document.getElementById("result-empty").hidden = true;
  document.getElementById("result-body").hidden = false;
}

export function showMessage(id, text, kind = "error") {
  const box = document.getElementById(id);
  box.textContent = text;
  box.className = kind === "error" ? "message" : "message info";
  box.hidden = !text;
}

export function setBusy(button, busy) {
  button.setAttribute("aria-busy", busy ? "true" : "false");
  button.disabled = busy;
}
