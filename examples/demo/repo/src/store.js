// A tiny in-memory key-value store.
export function createStore() {
  const data = new Map();
  return {
    set(key, value) {
      data.set(key, value);
    },
    get(key) {
      return data.get(key);
    },
    delete(key) {
      return data.delete(key);
    },
    size() {
      return data.size;
    },
  };
}
