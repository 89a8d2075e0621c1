// DOM and fetch helpers. Every string from the store goes in as text (textContent), never as
// HTML: run names and spec values are user data.

/** h("a", { href, class, dataset: {...}, onclick }, ...children): an element. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** GET a JSON API route; a non-2xx reply throws its `error` message. */
export async function getJson(path) {
  const res = await fetch(path, { headers: { Accept: "application/json" } });
  const body = await res.json().catch(() => ({ error: res.statusText }));
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

/** A number with `d` decimals, or an en dash. */
export const fmt = (v, d = 3) => (v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(d));

/** "0.770 ± 0.067" from a { mean, sd } stat. */
export const meanSd = (s, d = 3) => (s && s.mean !== null && s.mean !== undefined ? `${fmt(s.mean, d)} ± ${fmt(s.sd, d)}` : "–");

/** The class vocabulary from /api/classes: `classes` scored, every `labels` a run can get, `colors` per label as in the plots. */
export const vocabulary = { classes: [], labels: [], colors: {} };

/** Loads the vocabulary; the router waits for it before the first page. */
export async function loadVocabulary() {
  Object.assign(vocabulary, await getJson("/api/classes"));
}

export const classBadge = (label) =>
  label ? h("span", { class: "badge", style: `background:${vocabulary.colors[label] ?? "#eee"}`, dataset: { class: label } }, label) : h("span", { class: "note" }, "–");

export const statusText = (status) => h("span", { class: `status-${status}` }, status);

export const table = (head, rows) =>
  h("table", {}, h("thead", {}, h("tr", {}, head.map((c) => h("th", {}, c)))), h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c))))));

export const runLink = (id, text = id) => h("a", { href: `#/run/${encodeURIComponent(id)}` }, h("code", {}, text));
