// Two or more runs on the same axes: one panel per chosen metric, one colour per run. Every metric
// some run has can be picked, named by its descriptor's title.
import { classBadge, getJson, h, runLink, statusText, table } from "./dom.js";
import { draw, release } from "./plot.js";

export async function comparePage(root, arg = "", query, stale) {
  const ids = arg.split(",").filter(Boolean);
  const keys = query.get("keys");
  const data = await getJson(`/api/compare?runs=${ids.map(encodeURIComponent).join(",")}${keys ? `&keys=${encodeURIComponent(keys)}` : ""}`);
  if (stale()) return;
  const go = (runs, chosen) => (location.hash = `#/compare/${runs.map(encodeURIComponent).join(",")}?keys=${encodeURIComponent(chosen.join(","))}`);
  const picker = h("div", { class: "keys" }, data.metrics.map((m) => h("label", { title: m.key },
    h("input", { type: "checkbox", checked: data.keys.includes(m.key), dataset: { key: m.key },
      onchange: () => go(ids, [...picker.querySelectorAll("input:checked")].map((el) => el.dataset.key)) }), " ", m.title)));
  const box = h("div", { class: "plot" });
  root.append(
    h("h1", {}, `Compare ${data.runs.length} runs`),
    table(["run", "label", "status", "class", ""], data.runs.map((r) => [runLink(r.id), r.label, statusText(r.status), classBadge(r.class),
      data.runs.length > 1 ? h("a", { href: "#", onclick: (e) => { e.preventDefault(); go(ids.filter((x) => x !== r.id), data.keys); } }, "remove") : ""])),
    h("h2", {}, "Metrics"), picker,
    data.figure ? h("figure", { dataset: { figure: "compare" } }, h("figcaption", {}, "mean over each run's seeds, band = ± 1 sd"), box) : h("p", { class: "note" }, "tick a metric to draw it"),
  );
  if (data.figure) await draw(box, data.figure);
  return () => release(box);
}
