/**
 * Message templates of the structured formats (GELF `short_message` and `full_message`): text
 * with placeholders, compiled once per configuration into a function of the event.
 *
 * Placeholders:
 * - `{event}`: the event id; `{level}`: the upper-case level name; `{line}`: the plain audit line
 *   ({@link plainLine}: event id and every attribute, escaped);
 * - `{attr:NAME}`: the value of the first attribute called `NAME` (any characters but `}`), `-`
 *   when the event has none or its value is null;
 * - `{{` and `}}`: a literal `{` and `}`.
 *
 * Anything else in braces, or a lone `{` or `}`, is refused when the template is compiled, so a
 * typo is a configuration error, not a message that silently says `{evnt}`.
 *
 * @module
 */
import { levelText, plainLine, type AuditEvent } from "./event.js";

/** A compiled template: its text (as configured) and the function that fills it in. */
export interface MessageTemplate {
  /** The template as written (the reload fingerprint compares it). */
  readonly text: string;
  /** The message of one event. */
  readonly render: (event: AuditEvent) => string;
}

type Part = string | ((event: AuditEvent) => string);

const BUILT_IN: Readonly<Record<string, (event: AuditEvent) => string>> = {
  event: (e) => e.eventId,
  level: (e) => levelText(e.level),
  line: (e) => plainLine(e),
};

function attribute(name: string): (event: AuditEvent) => string {
  return (event) => {
    for (const [n, v] of event.attributes) if (n === name) return v ?? "-";
    return "-";
  };
}

/**
 * Compiles a template, or says what is wrong with it (the `expected …` text of a configuration
 * problem).
 *
 * @example
 * ```ts
 * const t = compileTemplate("{event} by {attr:login}");
 * if (t.ok) t.template.render(event); // "ox.login by alice"
 * compileTemplate("{evnt}"); // { ok: false, expected: 'unknown placeholder {evnt} at character 1; expected {event}, {level}, {line}, {attr:NAME}, {{ or }}' }
 * ```
 */
export function compileTemplate(text: string): { readonly ok: true; readonly template: MessageTemplate } | { readonly ok: false; readonly expected: string } {
  const parts: Part[] = [];
  let literal = "";
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === "{" && text.charAt(i + 1) === "{") {
      literal += "{";
      i++;
    } else if (c === "}" && text.charAt(i + 1) === "}") {
      literal += "}";
      i++;
    } else if (c === "{") {
      const end = text.indexOf("}", i + 1);
      const inner = end < 0 ? "" : text.slice(i + 1, end);
      const wanted = "expected {event}, {level}, {line}, {attr:NAME}, {{ or }}";
      if (end < 0) return { ok: false, expected: `unclosed { at character ${i + 1}; ${wanted}` };
      const builtIn = Object.hasOwn(BUILT_IN, inner) ? BUILT_IN[inner] : undefined;
      let part: (event: AuditEvent) => string;
      if (builtIn !== undefined) part = builtIn;
      else if (inner.startsWith("attr:") && inner.length > 5) part = attribute(inner.slice(5));
      else return { ok: false, expected: `unknown placeholder {${inner}} at character ${i + 1}; ${wanted}` };
      if (literal !== "") parts.push(literal);
      literal = "";
      parts.push(part);
      i = end;
    } else if (c === "}") {
      return { ok: false, expected: `a lone } at character ${i + 1}; write }} for a literal }` };
    } else {
      literal += c;
    }
  }
  if (literal !== "") parts.push(literal);
  const render =
    parts.length === 1 && typeof parts[0] === "function"
      ? parts[0]
      : (event: AuditEvent): string => {
          let out = "";
          for (const part of parts) out += typeof part === "string" ? part : part(event);
          return out;
        };
  return { ok: true, template: { text, render } };
}
