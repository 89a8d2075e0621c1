// The order names are listed in everywhere (legends, tables, filter facets): natural, so "env2"
// comes before "env10", and in a fixed locale, so every machine lists them alike.

const collator = new Intl.Collator("en", { numeric: true });

export const naturalCompare = (a: string, b: string): number => collator.compare(a, b);
