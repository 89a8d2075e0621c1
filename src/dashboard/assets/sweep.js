// A sweep: its phase diagram (colour = class, opacity = sureness, "score [CI]" written in each
// cell); a click on a cell opens the run behind it. Below, every cell with its class and run.
import { classBadge, fmt, getJson, h, runLink, statusText, table } from "./dom.js";
import { draw, release } from "./plot.js";

export async function sweepPage(root, id, _query, stale) {
  const { sweep, diagram } = await getJson(`/api/sweeps/${encodeURIComponent(id)}`);
  if (stale()) return;
  const params = [...sweep.grid, ...sweep.zip];
  const chosen = h("div", { class: "chosen" });
  // The clicked mark's datum holds the cell's values as drawn; the placements say whose runs they are.
  const open = (datum) => {
    const cell = diagram.placements.find((p) => p.x === datum.x && p.y === datum.y && p.facet === (datum.facet ?? ""));
    if (!cell) return;
    if (cell.runIds.length === 1) location.hash = `#/run/${encodeURIComponent(cell.runIds[0])}`;
    else chosen.replaceChildren(h("p", {}, `cell ${cell.index}: `, cell.runIds.map((r) => [runLink(r), " "])));
  };
  const box = h("div", { class: "plot" });
  const done = sweep.cells.filter((c) => c.runIds.length > 0).flatMap((c) => c.runIds);
  const queued = sweep.cells.some((c) => c.worker);
  root.append(
    h("h1", {}, sweep.name), h("p", { class: "sub" }, h("code", {}, sweep.sweepId)),
    h("div", { class: "facts" }, h("span", {}, "status", h("b", {}, statusText(sweep.status))), h("span", {}, "cells", h("b", {}, sweep.cells.length)),
      h("span", {}, "completed", h("b", {}, sweep.completed)), h("span", {}, "failed", h("b", {}, sweep.failed)), h("span", {}, "swept", h("b", {}, params.join(", ")))),
    h("h2", {}, "Phase diagram"),
    diagram.spec ? h("figure", { class: "clickable", dataset: { figure: "diagram" } }, h("figcaption", {}, "class per cell; colour = class, opacity = the winning score, score [95% CI] over seeds. Click a cell to open its run."), box)
      : h("p", { class: "note" }, diagram.note),
    chosen,
    h("h2", {}, "Cells"),
    done.length > 1 ? h("p", {}, h("a", { href: `#/compare/${done.slice(0, 12).map(encodeURIComponent).join(",")}` }, "compare these runs on the same axes")) : "",
    // Which machine ran each cell: shown for sweeps spread over queue workers (`ecotone worker`).
    table(["cell", ...params, "status", "class", "score [95% CI]", "run", ...(queued ? ["worker"] : []), "error"], sweep.cells.map((c) => [
      String(c.index), ...params.map((p) => JSON.stringify(c.params[p])), statusText(c.status), classBadge(c.label),
      score(c), c.runIds.map((r) => runLink(r)), ...(queued ? [c.worker ?? ""] : []), c.error ?? ""])),
  );
  if (diagram.spec) await draw(box, diagram.spec, open);
  return () => release(box);
}

/** The label's score and CI, as the diagram writes them; an unresolved cell shows its best class's. */
function score(c) {
  const finite = Object.entries(c.scores).filter(([, v]) => Number.isFinite(v));
  if (!finite.length) return "–";
  const own = c.scores[c.label] !== undefined;
  const [name, s] = own ? [c.label, c.scores[c.label]] : finite.reduce((a, b) => (b[1] > a[1] ? b : a));
  const ci = c.ci[name];
  return `${own ? "" : `best ${name}: `}${fmt(s, 2)}${ci ? ` [${fmt(ci.lo, 2)}, ${fmt(ci.hi, 2)}]` : ""}`;
}
