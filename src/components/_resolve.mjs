// Internal: a module-resolution hook for plugin files that live outside the ecotone checkout (a
// researcher's own project folder). Their bare imports of ecotone and of the engine and schema
// libraries it shares with them ("ecotone/extend", "@jax-js/jax", "zod") fall back to ecotone's own
// copies, so a plugin and the lab always share one registry and one engine.
let root; // ecotone's package.json URL: resolving from it finds ecotone (self-reference) and its dependencies
const shared = /^(ecotone(\/.*)?|zod(\/.*)?|@jax-js\/jax(\/.*)?)$/;

export async function initialize(data) {
  root = data.root;
}

export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (e) {
    if (!shared.test(specifier) || e?.code !== "ERR_MODULE_NOT_FOUND") throw e;
    return next(specifier, { ...context, parentURL: root });
  }
}
