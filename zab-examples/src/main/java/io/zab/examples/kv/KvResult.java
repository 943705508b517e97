package io.zab.examples.kv;

/**
 * What a command did, decided in {@code deliver} so every replica decides the same: whether it
 * applied (a compare-and-set may not) and the value the key held before.
 */
public record KvResult(boolean applied, String previous) {
}
