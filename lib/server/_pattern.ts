/**
 * The pattern language of the router, compiled to regular expressions once per route.
 *
 * Paths: `:name` at the start of a segment is a parameter (one non-empty segment, up to the
 * next literal), `*` matches any characters (slashes included; a final `*` is captured as
 * the parameter `*`), `?` one character other than `/`, everything else itself.
 *
 * Hosts (compared in lower case): `*` any host, a first label `*` any subdomain at any
 * depth (`*.example.org` matches `a.b.example.org`, not `example.org`), a label `:name` one
 * label captured as a parameter, anything else itself.
 *
 * @module
 */

/** A compiled pattern: the expression and the names of its capture groups, in order. */
export interface CompiledPattern {
  re: RegExp;
  names: string[];
}

const PARAM = /^:[A-Za-z_][A-Za-z0-9_]*/;

function escapeRe(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\*]/g, "\\$&");
}

/**
 * Compiles a path pattern (see the module doc). Throws a `SyntaxError` for a pattern that
 * starts with neither `/` nor `*`.
 */
export function compilePath(pattern: string): CompiledPattern {
  if (!pattern.startsWith("/") && !pattern.startsWith("*")) {
    throw new SyntaxError(`Path pattern ${pattern} must start with / or *`);
  }
  const names: string[] = [];
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    const param = (i === 0 || pattern[i - 1] === "/") && PARAM.exec(pattern.slice(i));
    if (param) {
      names.push(param[0].slice(1));
      source += "([^/]+)";
      i += param[0].length - 1;
    } else if (c === "*" && i === pattern.length - 1) {
      names.push("*");
      source += "(.*)";
    } else if (c === "*") {
      source += ".*";
    } else if (c === "?") {
      source += "[^/]";
    } else {
      source += escapeRe(c);
    }
  }
  return { re: new RegExp(`^${source}$`, "s"), names };
}

/** Compiles a host pattern (see the module doc). */
export function compileHost(pattern: string): CompiledPattern {
  if (pattern === "*") return { re: /^.*$/s, names: [] };
  const names: string[] = [];
  const labels = pattern.toLowerCase().split(".").map((label, i) => {
    const param = PARAM.exec(label);
    if (param && param[0] === label) {
      names.push(label.slice(1));
      return "([^.]+)";
    }
    return label === "*" && i === 0 ? ".+" : escapeRe(label);
  });
  return { re: new RegExp(`^${labels.join("\\.")}$`), names };
}

/** Whether `text` matches; the captured parameters are added to `into`. */
export function matchPattern(
  compiled: CompiledPattern,
  text: string,
  into: Record<string, string>,
): boolean {
  const m = compiled.re.exec(text);
  if (!m) return false;
  compiled.names.forEach((name, i) => (into[name] = m[i + 1]));
  return true;
}
