/**
 * One promise per key, shared by every caller. A failure is not remembered: the user may fix
 * the key or the file and retry in the same process.
 */
export function remembered<T>(map: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let pending = map.get(key);
  if (!pending) {
    pending = make();
    map.set(key, pending);
    pending.catch(() => map.delete(key));
  }
  return pending;
}
