// clusterctl's variable syntax in templates: ${VAR}, ${VAR:=default} and ${VAR:-default} (the
// default when VAR is unset or empty), ${VAR=default} and ${VAR-default} (only when unset).
// Only the braced form is substituted: "$1" or "$signal" in a script a template embeds stays.

/** Substitutes the variables; throws naming every variable that has neither value nor default. */
export function envsubst(text: string, vars: Readonly<Record<string, string>>): string {
  const missing = new Set<string>();
  const out = text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[=-])([^}]*))?\}/g,
    (_m, name: string, op: string | undefined, fallback: string | undefined) => {
      const value = vars[name];
      if (op === undefined) {
        if (value === undefined) missing.add(name);
        return value ?? '';
      }
      const emptyCounts = op.startsWith(':');
      return value === undefined || (emptyCounts && value === '') ? (fallback ?? '') : value;
    },
  );
  if (missing.size > 0) throw new Error(`value for variables [${[...missing].join(', ')}] is not set`);
  return out;
}
