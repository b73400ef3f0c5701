// Many reviews: lines or a file in, chunks of the API's batch limit out, a sortable table, a summary, CSV.

import { LIMITS, explain, predictMany } from "./api.js";
import { reviewsFromCsv, reviewsFromLines, toCsv } from "./csv.js";
import { el, setBusy, showMessage } from "./render.js";

let rows = []; // {index, review, label, score, rating, error}
let sort = { key: "index", direction: 1 };

const $ = (id) => document.getElementById(id);

function pending() {
  return reviewsFromLines($("batch-text").value);
}

function updateCount() {
  const n = pending().length;
  $("batch-count").textContent = `${n.toLocaleString()} review${n === 1 ? "" : "s"}`;
}

async function loadFile(file) {
  const text = await file.text();
  const reviews = /\.csv$/i.test(file.name) || file.type === "text/csv" ? reviewsFromCsv(text) : reviewsFromLines(text);
  $("batch-text").value = reviews.map((r) => r.replace(/\s*[\r\n]+\s*/g, " ")).join("\n");
  updateCount();
  showMessage("batch-message", `${file.name}: ${reviews.length.toLocaleString()} reviews ready to score.`, "info");
}

async function scoreAll() {
  const reviews = pending();
  if (!reviews.length) {
    showMessage("batch-message", "Paste some reviews (one per line) or upload a file first.");
    return;
  }
  const button = $("batch-submit");
  setBusy(button, true);
  showMessage("batch-message", "");
  rows = [];
  const progress = $("batch-progress");
  $("batch-progress-wrap").hidden = false;
  const size = LIMITS.maxBatchReviews;
  try {
    for (let start = 0; start < reviews.length; start += size) {
      const chunk = reviews.slice(start, start + size);
      const answer = await predictMany(chunk);
      for (const r of answer.results) {
        rows.push({ index: start + r.index + 1, review: chunk[r.index], label: r.label, score: r.score,
          rating: typeof r.rating === "number" ? r.rating : null, error: "" });
      }
      for (const e of answer.errors) {
        rows.push({ index: start + e.index + 1, review: chunk[e.index], label: "", score: null, rating: null,
          error: e.message });
      }
      const done = Math.min(start + size, reviews.length);
      progress.value = (100 * done) / reviews.length;
      $("batch-progress-text").textContent = `${done.toLocaleString()} of ${reviews.length.toLocaleString()}`;
    }
  } catch (error) {
    showMessage("batch-message", `${explain(error)} ${rows.length ? `(${rows.length} scored before it stopped)` : ""}`);
  } finally {
    setBusy(button, false);
  }
  if (rows.length) draw();
}

function sorted() {
  const { key, direction } = sort;
  return [...rows].sort((a, b) => {
    const x = a[key] ?? -1;
    const y = b[key] ?? -1;
    return (x < y ? -1 : x > y ? 1 : 0) * direction || a.index - b.index;
  });
}

function drawTable() {
  const body = $("batch-table").tBodies[0];
  body.replaceChildren(...sorted().map((r) => el("tr", {},
    el("td", { className: "num", text: String(r.index) }),
    el("td", { className: "review-cell", text: r.review.length > 300 ? r.review.slice(0, 300) + "…" : r.review }),
    r.error
      ? el("td", { className: "muted", text: `not scored: ${r.error}` })
      : el("td", {}, el("span", { className: `tag ${r.label.toLowerCase()}`, text: r.label })),
    el("td", { className: "num", text: r.score === null ? "" : r.score.toFixed(3) }),
    el("td", { className: "num", text: r.rating === null ? "" : r.rating.toFixed(1) }),
  )));
  for (const th of $("batch-table").tHead.rows[0].cells) {
    const key = th.querySelector("button").dataset.sort;
    th.setAttribute("aria-sort", key === sort.key ? (sort.direction > 0 ? "ascending" : "descending") : "none");
  }
}

function drawSummary() {
  const scored = rows.filter((r) => !r.error);
  const positive = scored.filter((r) => r.label === "POSITIVE").length;
  $("summary-positive").textContent = scored.length ? `${Math.round((100 * positive) / scored.length)}%` : "–";
  $("summary-count").textContent = scored.length.toLocaleString();
  $("summary-errors").textContent = (rows.length - scored.length).toLocaleString();
  const bins = new Array(10).fill(0);
  for (const r of scored) bins[Math.min(9, Math.floor(r.score * 10))] += 1;
  const top = Math.max(1, ...bins);
  const histogram = $("histogram");
  histogram.setAttribute("aria-label", `Score histogram: ${bins.map((n, i) => `${i / 10}–${(i + 1) / 10}: ${n}`).join(", ")}`);
  histogram.replaceChildren(...bins.map((n, i) => {
    const bar = el("div", { className: "bin", attrs: { title: `${(i / 10).toFixed(1)}–${((i + 1) / 10).toFixed(1)}: ${n}` } });
    bar.style.height = `${(100 * n) / top}%`;
    bar.style.backgroundColor = `rgba(var(${i < 5 ? "--neg-rgb" : "--pos-rgb"}), ${0.35 + 0.6 * Math.abs(i - 4.5) / 4.5})`;
    return bar;
  }));
}

function draw() {
  $("batch-results").hidden = false;
  $("batch-download").disabled = false;
  drawSummary();
  drawTable();
}

function download() {
  const csv = toCsv(["index", "review", "label", "score", "stars", "error"],
    [...rows].sort((a, b) => a.index - b.index)
      .map((r) => [r.index, r.review, r.label, r.score ?? "", r.rating ?? "", r.error]));
  const link = el("a", { attrs: { href: URL.createObjectURL(new Blob([csv], { type: "text/csv" })), download: "sentiment-results.csv" } });
  document.body.append(link);
  link.click();
  link.remove();
}

export function setUpBatch() {
  $("batch-text").addEventListener("input", updateCount);
  $("batch-file").addEventListener("change", (event) => {
    const file = event.target.files[0];
    if (file) loadFile(file).catch(() => showMessage("batch-message", `Could not read ${file.name}.`));
  });
  $("batch-submit").addEventListener("click", scoreAll);
  $("batch-download").addEventListener("click", download);
  for (const button of $("batch-table").querySelectorAll("th button")) {
    button.addEventListener("click", () => {
      const key = button.dataset.sort;
      sort = { key, direction: sort.key === key ? -sort.direction : 1 };
      drawTable();
    });
  }
}
