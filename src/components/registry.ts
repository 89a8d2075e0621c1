// One registry per kind of component (world, objective, model, metric). A component is a plain
// object made by its define* factory; built-ins register in their folder's index.ts, plugins
// (spec `plugins:`) when they are loaded. A component is found by its kind, and a wrong kind is
// an error naming the nearest registered one.
import { nearest, specError } from "../util/errors.ts";

export type ComponentType = "world" | "objective" | "model" | "metric";

/** What every component carries: which registry it goes to and its name there. */
export interface Component {
  readonly type: ComponentType;
  readonly kind: string; // the spec's `kind:` (worlds, objectives, models) or the metric's name
}

export class Registry<T extends Component> {
  private readonly items = new Map<string, T>();
  constructor(readonly type: ComponentType) {}

  /** Registers `c`; a second component of the same kind replaces the first only if `replace`. */
  add(c: T, replace = false): T {
    if (c.type !== this.type) throw new TypeError(`register: expected a ${this.type}, got a ${c.type} (${c.kind})`);
    if (!/^[A-Za-z][\w.-]*$/.test(c.kind)) throw new TypeError(`register: a ${this.type} kind is letters, digits, _, . or -, got ${JSON.stringify(c.kind)}`);
    const had = this.items.get(c.kind);
    if (had && had !== c && !replace) throw specError(`${this.type} "${c.kind}" is already registered (a plugin cannot replace a built-in or another plugin's ${this.type})`);
    this.items.set(c.kind, c);
    return c;
  }

  has(kind: string): boolean {
    return this.items.has(kind);
  }

  get(kind: string): T {
    const c = this.items.get(kind);
    if (c) return c;
    const near = nearest(kind, this.kinds());
    throw specError(`unknown ${this.type} kind: ${JSON.stringify(kind)} (expected ${this.kinds().map((k) => JSON.stringify(k)).join(" | ")})` + (near ? ` (did you mean "${near}"?)` : ""));
  }

  kinds(): string[] {
    return [...this.items.keys()];
  }

  all(): T[] {
    return [...this.items.values()];
  }
}
