/**
 * The only package with threads: the node's runtime. {@link io.zab.runtime.LogWriter} is the
 * log-writer thread (group commit). Every queue between threads is bounded.
 */
package io.zab.runtime;
