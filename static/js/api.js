// The prediction API: where it is (config.js), how to call it, and what to tell people when it fails.

const config = window.SENTIMENT_CONFIG || {};
export const API_URL = (config.apiUrl || "").replace(/\/$/, "");

export const LIMITS = { maxReviewBytes: 20000, maxBatchReviews: 100 };

const FRIENDLY = {
  review_too_long: "That review is too long: the limit is 20,000 bytes. Trim it and try again.",
  body_too_large: "That is more text than one request may carry. Send fewer or shorter reviews.",
  too_many_reviews: "Too many reviews in one request.",
  empty_review: "Write a review first.",
  empty_body: "Write a review first.",
  throttled: "Lots of people are asking right now. Wait a moment and try again.",
  model_unavailable: "The model is unavailable right now. Try again in a minute.",
  model_mismatch: "The model is unavailable right now (it is being updated). Try again in a minute.",
  model_timeout: "The model took too long to answer. Try again.",
  model_error: "The model could not score this review. Try again.",
  bad_model_response: "The model is unavailable right now. Try again in a minute.",
};

export class ApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** A message for people from an ApiError (or anything thrown while calling the API). */
export function explain(error) {
  if (error instanceof ApiError && error.code !== "unreachable") {
    return FRIENDLY[error.code] || error.message || "Something went wrong. Try again.";
  }
  const why = error instanceof ApiError && error.message === "timed out" ? " (no answer in time)" : "";
  return `Cannot reach the API at ${API_URL || window.location.origin}${why}. Check your connection, or start the local stack with "make run".`;
}

async function request(path, options = {}, timeoutMs = 30000) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let response;
  try {
    response = await fetch(`${API_URL}${path}`, { ...options, signal: controller.signal });
  } catch (cause) {
    throw new ApiError("unreachable", cause.name === "AbortError" ? "timed out" : "unreachable", 0);
  } finally {
    clearTimeout(timer);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const error = (body && body.error) || {};
    const fallback = { 429: "throttled", 502: "model_unavailable", 503: "model_unavailable", 504: "model_timeout" };
    throw new ApiError(error.code || fallback[response.status] || "http_" + response.status,
      error.message || response.statusText, response.status);
  }
  return body;
}

export function predictOne(review) {
  return request("/predict", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ review }),
  });
}

export function predictMany(reviews) {
  return request("/predict", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ reviews }),
  }, 60000);
}

export async function health() {
  const body = await request("/health", {}, 5000);
  if (body && body.limits) {
    LIMITS.maxReviewBytes = body.limits.max_review_bytes;
    LIMITS.maxBatchReviews = body.limits.max_batch_reviews;
  }
  return body;
}

export const utf8Bytes = (text) => new TextEncoder().encode(text).length;
