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
  private readonly origins = new Map<string, string>(); // kind → the plugin file it came from (built-ins have none)
  constructor(readonly type: ComponentType) {}

  /** Registers `c` (from plugin file `origin`, if any); a second component of the same kind replaces the first only if `replace`. */
  add(c: T, replace = false, origin?: string): T {
    if (c.type !== this.type) throw new TypeError(`register: expected a ${this.type}, got a ${c.type} (${c.kind})`);
    if (!/^[A-Za-z][\w.-]*$/.test(c.kind)) throw new TypeError(`register: a ${this.type} kind is letters, digits, _, . or -, got ${JSON.stringify(c.kind)}`);
    const had = this.items.get(c.kind);
    if (had && had !== c && !replace) throw specError(`${this.type} "${c.kind}" is already registered (a plugin cannot replace a built-in or another plugin's ${this.type})`);
    this.items.set(c.kind, c);
    if (origin) this.origins.set(c.kind, origin);
    return c;
  }

  /**
   * The components a spec may use: the built-ins and those of the plugins it names. A plugin
   * loaded for one spec is invisible to another spec run in the same process.
   */
  available(plugins: readonly string[] = []): T[] {
    return this.all().filter((c) => { const o = this.origins.get(c.kind); return o === undefined || plugins.includes(o); });
  }

  /** The plugin file a kind came from, if it came from one. */
  origin(kind: string): string | undefined {
    return this.origins.get(kind);
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
