// Drawing a compiled vega spec into a container with vega's SVG renderer (SVG, not canvas: the
// marks stay in the DOM, selectable, printable, and countable by the browser tests).
/* global vega */

const views = new WeakMap(); // container → its vega view, finalized before a redraw

/** Draws `spec` into `container`, replacing what was there; `onClick(datum)` for clicked marks. */
export async function draw(container, spec, onClick) {
  views.get(container)?.finalize();
  const host = document.createElement("div");
  const view = new vega.View(vega.parse(spec), { renderer: "svg", container: host, hover: true });
  if (onClick) view.addEventListener("click", (_event, item) => item && item.datum && onClick(item.datum));
  await view.runAsync();
  // Swap only once the new picture is ready, so a live redraw never flashes an empty frame.
  container.replaceChildren(host);
  views.set(container, view);
  container.dataset.drawn = String(Number(container.dataset.drawn ?? 0) + 1);
  return view;
}

/** Stop a container's view (its timers and listeners) when the page goes away. */
export function release(container) {
  views.get(container)?.finalize();
  views.delete(container);
}
