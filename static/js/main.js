// The page: one review with its explanation, examples, history, tabs, theme and API status.

import { API_URL, LIMITS, explain, health, predictOne, utf8Bytes } from "./api.js";
import { setUpBatch } from "./batch.js";
import * as history from "./history.js";
import { el, setBusy, showMessage, showResult } from "./render.js";

const $ = (id) => document.getElementById(id);

const EXAMPLES = [
  ["Loved it", "A wonderful, moving film. The cast is superb and the final scene stayed with me for days."],
  ["Hated it", "Dull, predictable and far too long. The dialogue is awful and I nearly walked out."],
  ["Negation", "This is not a bad movie at all. I was not bored for a single minute."],
  ["Mixed", "The photography is gorgeous and the score is lovely, but the script is lazy and the ending falls flat."],
  ["Sarcasm", "Oh great, another two hours of my life I will never get back. Truly a masterpiece of boredom."],
  ["Faint praise", "It's fine, I guess. Some decent moments, nothing memorable, forgotten by the time I got home."],
];

function updateCount() {
  const text = $("review").value;
  const bytes = utf8Bytes(text);
  const over = bytes > LIMITS.maxReviewBytes;
  const count = $("review-count");
  count.textContent = `${text.length.toLocaleString()} characters · ${over ? `${bytes.toLocaleString()} bytes, over the ` : ""}limit ${LIMITS.maxReviewBytes.toLocaleString()} bytes`;
  count.classList.toggle("over", over);
  $("review").setAttribute("aria-invalid", over ? "true" : "false");
  return over;
}

function drawHistory() {
  const items = history.load();
  $("history-empty").hidden = items.length > 0;
  $("history-clear").disabled = items.length === 0;
  $("history").replaceChildren(...items.map((item) => {
    const again = el("button", { className: "snippet", text: item.review, attrs: { type: "button", title: "Put this review back in the box" } });
    again.addEventListener("click", () => {
      $("review").value = item.review;
      updateCount();
      $("review").focus();
    });
    return el("li", {},
      el("span", { className: `tag ${item.label.toLowerCase()}`, text: item.label }),
      again,
      el("span", { className: "muted", text: item.score.toFixed(2) }));
  }));
}

async function submit(event) {
  event?.preventDefault();
  const review = $("review").value;
  if (!review.trim()) {
    showMessage("message", "Write a review first.");
    $("review").focus();
    return;
  }
  if (updateCount()) {
    showMessage("message", "That review is too long: the limit is 20,000 bytes. Trim it and try again.");
    return;
  }
  const button = $("submit");
  setBusy(button, true);
  $("result").setAttribute("aria-busy", "true");
  try {
    const result = await predictOne(review);
    showMessage("message", "");
    showResult(review, result);
    history.add(review, result);
    drawHistory();
    setStatus(true);
  } catch (error) {
    showMessage("message", explain(error));
    if (!error.status || error.status >= 502) setStatus(false, error);
  } finally {
    setBusy(button, false);
    $("result").setAttribute("aria-busy", "false");
  }
}

function setStatus(up, error) {
  const pill = $("api-status");
  pill.className = `pill ${up ? "ok" : "down"}`;
  pill.textContent = up ? "Model ready" : (error && error.status ? "Model unavailable" : "API unreachable");
}

async function checkHealth() {
  try {
    await health();
    setStatus(true);
    updateCount();
  } catch (error) {
    setStatus(false, error);
  }
}

function setUpTabs() {
  const tabs = [$("tab-single"), $("tab-batch")];
  const select = (tab) => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      $(t.getAttribute("aria-controls")).hidden = !on;
    }
    tab.focus();
  };
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => select(tab));
    tab.addEventListener("keydown", (event) => {
      if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        select(tabs[(i + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length]);
      }
    });
  });
}

function setUpTheme() {
  const root = document.documentElement;
  const stored = localStorage.getItem("sentiment.theme");
  const dark = stored ? stored === "dark" : window.matchMedia("(prefers-color-scheme: dark)").matches;
  const apply = (isDark) => {
    root.dataset.theme = isDark ? "dark" : "light";
    $("theme-toggle").setAttribute("aria-pressed", String(isDark));
    $("theme-toggle").querySelector(".theme-label").textContent = isDark ? "Light" : "Dark";
  };
  apply(dark);
  $("theme-toggle").addEventListener("click", () => {
    const isDark = root.dataset.theme !== "dark";
    localStorage.setItem("sentiment.theme", isDark ? "dark" : "light");
    apply(isDark);
  });
}

function setUp() {
  setUpTheme();
  setUpTabs();
  setUpBatch();
  $("review-form").addEventListener("submit", submit);
  $("review").addEventListener("input", updateCount);
  $("review").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) submit(event);
  });
  $("clear").addEventListener("click", () => {
    $("review").value = "";
    updateCount();
    showMessage("message", "");
    $("review").focus();
  });
  $("examples").replaceChildren(...EXAMPLES.map(([name, text]) => {
    const button = el("button", { text: name, attrs: { type: "button", title: text } });
    button.addEventListener("click", () => {
      $("review").value = text;
      updateCount();
      submit();
    });
    return el("li", {}, button);
  }));
  $("history-clear").addEventListener("click", () => {
    history.clear();
    drawHistory();
  });
  drawHistory();
  updateCount();
  checkHealth();
  document.documentElement.dataset.api = API_URL;
}

setUp();
