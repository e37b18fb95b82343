// A value quoted in a message. Messages echo what the user gave so they can find it, but a huge
// string (a pasted file, a generated value) must not flood the CLI: long strings are cut.

const MAX_QUOTED = 60;

/** JSON.stringify for messages, with strings longer than `max` characters cut and their length said. */
export function quoted(value: unknown, max = MAX_QUOTED): string {
  if (typeof value !== "string") return JSON.stringify(value) ?? String(value);
  if (value.length <= max) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, max))}… (${value.length} characters)`;
}

/** A whole message cut to `max` characters: the last guard before text reaches the engine. */
export function clipped(text: string, max = 600): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}
