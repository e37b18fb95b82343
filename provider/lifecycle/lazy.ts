/**
 * A module (or anything) loaded on first use, once: what a provider process does not need for its
 * first answers (a check needs the models, not the handlers, a twin or a Kubernetes client) costs it
 * nothing until it does.
 */
export function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= load());
}
