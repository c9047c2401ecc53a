import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStore } from '../src/store.js';

test('stores and reads back a value', () => {
  const store = createStore();
  store.set('a', 1);
  assert.equal(store.get('a'), 1);
  assert.equal(store.size(), 1);
});

test('deletes a key', () => {
  const store = createStore();
  store.set('a', 1);
  assert.equal(store.delete('a'), true);
  assert.equal(store.get('a'), undefined);
});
