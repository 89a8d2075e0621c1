// The runs list with filters (spec fields, class, status), checkboxes to compare runs, and the sweeps list.
import { classBadge, fmt, getJson, h, runLink, statusText, table } from "./dom.js";

const FILTERS = ["status", "class", "schedule", "distinguishability"];

export async function runsPage(root, _arg, query) {
  const params = new URLSearchParams([...query].filter(([k, v]) => v !== "" && (k === "name" || FILTERS.includes(k))));
  const data = await getJson(`/api/runs?${params}`);
  const apply = () => {
    const q = new URLSearchParams();
    for (const el of form.querySelectorAll("[name]")) if (el.value) q.set(el.name, el.value);
    location.hash = `#/runs?${q}`;
  };
  const select = (name) => {
    const el = h("select", { name, onchange: apply }, h("option", { value: "" }, "any"), data.facets[name].map((v) => h("option", { value: v }, v)));
    el.value = query.get(name) ?? "";
    return h("label", {}, name, el);
  };
  const name = h("input", { name: "name", type: "search", placeholder: "name contains", value: query.get("name") ?? "", onchange: apply });
  const form = h("form", { class: "filters", onsubmit: (e) => { e.preventDefault(); apply(); } }, h("label", {}, "name", name), FILTERS.map(select));
  const picked = new Set();
  const compare = h("button", { disabled: true, onclick: () => (location.hash = `#/compare/${[...picked].map(encodeURIComponent).join(",")}`) }, "compare selected");
  const pick = (id) => h("input", {
    type: "checkbox", "aria-label": `select ${id}`, dataset: { run: id },
    onchange: (e) => { e.target.checked ? picked.add(id) : picked.delete(id); compare.disabled = picked.size < 2; },
  });
  const rows = data.runs.map((r) => [
    pick(r.id), runLink(r.id), r.name, statusText(r.status), classBadge(r.class), r.schedule ?? "–",
    fmt(r.distinguishability, 2), fmt(r.volatility, 4), String(r.seeds), String(r.steps), r.envs.join(", "),
    r.sweepId ? h("a", { href: `#/sweep/${encodeURIComponent(r.sweepId)}` }, h("code", {}, r.sweepId)) : "", r.createdAt.slice(0, 19).replace("T", " "),
  ]);
  root.append(
    h("h1", {}, "Runs"), h("p", { class: "sub" }, `${data.runs.length} of ${data.total} runs`), form,
    h("p", {}, compare, " tick two or more runs to draw them on the same axes"),
    data.runs.length ? table(["", "run", "name", "status", "class", "schedule", "distinguishability", "volatility", "seeds", "steps", "environments", "sweep", "created"], rows)
      : h("p", { class: "note" }, data.total ? "no run matches these filters" : "no runs yet: train one with `ecotone run examples/quickstart.yaml`"),
  );
  const sweeps = await getJson("/api/sweeps");
  if (sweeps.sweeps.length) root.append(h("h2", {}, "Sweeps"), sweepsTable(sweeps.sweeps));
}

const sweepsTable = (sweeps) => table(["sweep", "name", "status", "cells", "created"], sweeps.map((s) => [
  h("a", { href: `#/sweep/${encodeURIComponent(s.id)}` }, h("code", {}, s.id)), s.name, statusText(s.status), `${s.completed} / ${s.cells}`, s.createdAt.slice(0, 19).replace("T", " "),
]));

export async function sweepsPage(root) {
  const data = await getJson("/api/sweeps");
  root.append(h("h1", {}, "Sweeps"), data.sweeps.length ? sweepsTable(data.sweeps) : h("p", { class: "note" }, "no sweeps yet: `ecotone sweep examples/phase-diagram.yaml --quick`"));
}
