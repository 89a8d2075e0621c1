// One run: facts, the class with its confidence interval, performance and headline tables, and
// the figures. While the run trains, a live stream announces each new checkpoint and the page
// redraws from the store: curves fill in as the run goes.
import { classBadge, fmt, getJson, h, meanSd, statusText, table, vocabulary } from "./dom.js";
import { draw, release } from "./plot.js";

function classCard(c) {
  if (!c) return h("p", { class: "note" }, "no class yet: it is measured from the first checkpoint with a late window");
  return h("div", { dataset: { classification: c.label } },
    h("p", {}, classBadge(c.label), c.source === "checkpoint" ? h("span", { class: "note" }, " at the last checkpoint so far") : ""),
    table(["class", "score", "95% bootstrap CI"], vocabulary.classes.map((k) => [
      k === c.label ? h("b", {}, k) : k, fmt(c.scores[k]), c.ci[k] ? `[${fmt(c.ci[k].lo)}, ${fmt(c.ci[k].hi)}]` : "–",
    ])));
}

// The class and performance go above the figures; the long headline table below them, titled by
// the metrics' descriptors.
function cards(ov, envs) {
  const perf = table(["environment", "accuracy", "expected reward", "n"],
    ov.performance.map((p) => [envs.includes(p.env) ? p.env : `${p.env} (novel)`, meanSd(p.acc), meanSd(p.reward), String(p.acc.n)]));
  return h("div", { class: "cards" },
    h("div", {}, h("h2", {}, "Class"), classCard(ov.classification)),
    h("div", {}, h("h2", {}, "Performance at the last checkpoint"), perf));
}

const headline = (ov) => ov.headline.some((m) => m.stat.n > 0)
  ? table(["metric", "key", "mean ± sd over seeds"], ov.headline.filter((m) => m.stat.n > 0).map((m) => [m.title, h("code", {}, m.key), meanSd(m.stat)]))
  : h("p", { class: "note" }, "none yet");

export async function runPage(root, id, _query, stale) {
  const { run } = await getJson(`/api/runs/${encodeURIComponent(id)}`);
  if (stale()) return;
  const progress = h("b", {});
  const status = h("b", {}, statusText(run.status));
  const live = h("span", { class: "live", hidden: run.status !== "running" }, "live");
  root.append(
    h("h1", {}, run.name, " ", live), h("p", { class: "sub" }, h("code", {}, run.id), run.sweepId ? [" of sweep ", h("a", { href: `#/sweep/${encodeURIComponent(run.sweepId)}` }, h("code", {}, run.sweepId))] : ""),
    h("div", { class: "facts" },
      h("span", {}, "status", status), h("span", {}, "checkpoint", progress), h("span", {}, "seeds", h("b", {}, run.seeds)),
      h("span", {}, "environments", h("b", {}, run.envs.join(", "))), h("span", {}, "schedule", h("b", {}, run.schedule ?? "–")),
      h("span", {}, "volatility", h("b", {}, `${fmt(run.volatility, 4)} switches/step`)),
      h("span", {}, "distinguishability", h("b", {}, fmt(run.distinguishability, 2))), h("span", {}, "similarity", h("b", {}, fmt(run.similarity, 2)))));
  // Stale: the store says running, but the process that trained it is gone (killed).
  if (run.status === "stale") root.append(h("p", { class: "note" }, "the process training this run is gone; continue it with ", h("code", {}, `ecotone run --resume ${run.id}`)));
  const numbers = h("div", {});
  const figures = h("div", { class: "figures" });
  const metrics = h("div", {});
  root.append(numbers, h("h2", {}, "Figures"), figures, h("h2", {}, "Headline metrics at the last checkpoint"), metrics, h("h2", {}, "Spec"), h("details", {}, h("summary", {}, "as run"), h("pre", {}, JSON.stringify(run.spec, null, 2))));
  const boxes = new Map(); // figure id → its container, kept across live redraws

  // One refresh at a time; checkpoints that arrive meanwhile are folded into one more refresh.
  let busy = null, again = false;
  async function refresh() {
    if (busy) { again = true; return busy; }
    busy = (async () => {
      do {
        again = false;
        const f = await getJson(`/api/runs/${encodeURIComponent(run.id)}/figures`);
        progress.textContent = f.lastStep === null ? `none yet / ${f.steps}` : `${f.lastStep} / ${f.steps}`;
        status.replaceChildren(statusText(f.status));
        numbers.replaceChildren(cards(f.overview, run.envs));
        metrics.replaceChildren(headline(f.overview));
        if (f.figures.length === 0) figures.replaceChildren(h("p", { class: "note" }, "waiting for the first checkpoint…"));
        else if (!boxes.size) figures.replaceChildren();
        for (const fig of f.figures) {
          let box = boxes.get(fig.id);
          if (!box) {
            box = h("div", { class: "plot" });
            boxes.set(fig.id, box);
            figures.append(h("figure", { dataset: { figure: fig.id } }, h("figcaption", {}, fig.title), box));
          }
          await draw(box, fig.spec);
        }
        root.dataset.lastStep = f.lastStep ?? "";
        root.dataset.status = f.status;
      } while (again);
    })().finally(() => (busy = null));
    return busy;
  }
  await refresh();

  let stream = null;
  if (run.status === "running") {
    stream = new EventSource(`/api/runs/${encodeURIComponent(run.id)}/live`);
    stream.addEventListener("checkpoint", (e) => {
      const ev = JSON.parse(e.data);
      if (String(ev.step ?? "") !== root.dataset.lastStep || ev.status !== root.dataset.status) refresh().catch(showError);
    });
    stream.addEventListener("end", () => { stream.close(); live.hidden = true; refresh().catch(showError); });
    stream.addEventListener("gone", () => stream.close());
  }
  function showError(e) { numbers.prepend(h("p", { class: "error" }, e.message)); }
  return () => {
    stream?.close();
    for (const box of boxes.values()) release(box);
  };
}
