package io.fairlane.engine.tokenizer;

import java.util.Arrays;

/** A growable list of primitive ints: token ids are collected without boxing. Not thread-safe. */
final class IntList {

    private int[] items;
    private int size;

    IntList(int capacity) {
        items = new int[Math.max(4, capacity)];
    }

    void add(int value) {
        if (size == items.length) {
            items = Arrays.copyOf(items, items.length * 2);
        }
        items[size++] = value;
    }

    void addAll(int[] values) {
        ensure(size + values.length);
        System.arraycopy(values, 0, items, size, values.length);
        size += values.length;
    }

    int get(int index) {
        return items[index];
    }

    int size() {
        return size;
    }

    void clear() {
        size = 0;
    }

    int[] toArray() {
        return Arrays.copyOf(items, size);
    }

    private void ensure(int capacity) {
        if (capacity > items.length) {
            items = Arrays.copyOf(items, Math.max(capacity, items.length * 2));
        }
    }
}
