// Internal: defaults under caller options, where an option given as `undefined` (a CLI flag not
// passed) keeps its default instead of erasing it, as a plain object spread would.
export function withDefaults<D extends object>(defaults: D, o: object = {}): D {
  const out = { ...defaults } as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as D;
}
