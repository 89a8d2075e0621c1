// The dashboard's router: one page per hash route, so the server only ever serves index.html.
//   #/                      runs (with filters)        #/sweeps        sweeps
//   #/run/<id>              one run, live while it trains
//   #/sweep/<id>            the phase diagram; a click on a cell opens its run
//   #/compare/<id>,<id>?keys=a,b   runs on the same axes
import { h, loadVocabulary } from "./dom.js";
import { runsPage, sweepsPage } from "./runs.js";
import { runPage } from "./run.js";
import { sweepPage } from "./sweep.js";
import { comparePage } from "./compare.js";

const view = document.getElementById("view");
let leave = null; // the current page's cleanup (closes live streams, releases views)
let generation = 0; // a slow page load must not draw over the page that replaced it
const vocabulary = loadVocabulary(); // class names and colours, once

function parse(hash) {
  const [path, query = ""] = hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { parts, query: new URLSearchParams(query) };
}

async function route() {
  const mine = ++generation;
  if (leave) leave();
  leave = null;
  const { parts, query } = parse(location.hash);
  const [page = "runs", arg] = parts;
  const pages = { runs: runsPage, sweeps: sweepsPage, run: runPage, sweep: sweepPage, compare: comparePage };
  const show = Object.hasOwn(pages, page) ? pages[page] : undefined;
  // data-route and data-ready tell an observer (a test, a screenshot script) which route is drawn.
  const root = h("section", { dataset: { page: show ? page : "missing", route: location.hash || "#/" } });
  view.replaceChildren(root);
  if (!show) return root.append(h("p", { class: "error" }, `no such page: ${page}`));
  try {
    await vocabulary;
    const cleanup = await show(root, arg, query, () => mine !== generation);
    if (mine !== generation) return cleanup?.();
    leave = cleanup ?? null;
    root.dataset.ready = "1";
  } catch (e) {
    if (mine === generation) root.append(h("p", { class: "error" }, e.message));
  }
}

addEventListener("hashchange", route);
route();
