// Secrets as the engine sends them to a provider that accepts secrets: a value wrapped in
// { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value }. The handlers see
// plain values; what leaves the plugin is wrapped again, and a kubeconfig is a secret even when the
// program forgot to say so. Messages (errors, progress) never carry a kubeconfig's contents.

export const SIGNATURE_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270";

export interface Secret {
  [SIGNATURE_KEY]: typeof SECRET_SIGNATURE;
  value: unknown;
}

export function isSecret(value: unknown): value is Secret {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIGNATURE_KEY] === SECRET_SIGNATURE;
}

export function secret(value: unknown): Secret {
  return isSecret(value) ? value : { [SIGNATURE_KEY]: SECRET_SIGNATURE, value };
}

/** `value` with every secret inside it unwrapped. */
export function reveal(value: unknown): unknown {
  if (isSecret(value)) return reveal(value.value);
  if (Array.isArray(value)) return value.map(reveal);
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, reveal(item)]));
  return value;
}

/** The top-level keys of a property bag that hold a secret anywhere inside. */
export function secretKeys(bag: Record<string, unknown>): Set<string> {
  const holds = (value: unknown): boolean =>
    isSecret(value) || (Array.isArray(value) ? value.some(holds) : typeof value === "object" && value !== null && Object.values(value).some(holds));
  return new Set(Object.keys(bag).filter((key) => holds(bag[key])));
}

/** A `cluster` that carries kubeconfig contents. */
export function holdsKubeconfig(cluster: unknown): boolean {
  return typeof cluster === "object" && cluster !== null && typeof (cluster as { kubeconfig?: unknown }).kubeconfig === "string";
}

/** Wrap the keys that were secret in the inputs, and `cluster` whenever it carries a kubeconfig. */
export function conceal(bag: Record<string, unknown>, keys: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(bag)) {
    out[key] = keys.has(key) || (key === "cluster" && holdsKubeconfig(reveal(value))) ? secret(reveal(value)) : value;
  }
  return out;
}

/**
 * A message with every secret string taken out: the whole value, and each of its lines long enough to
 * identify it (a kubeconfig's token or certificate line quoted in a parse error).
 */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  const pieces = [...secrets].flatMap((s) => [s, ...s.split("\n").map((line) => line.trim())]).filter((piece) => piece.length >= 16);
  for (const piece of pieces.sort((a, b) => b.length - a.length)) out = out.split(piece).join("[secret]");
  return out;
}
