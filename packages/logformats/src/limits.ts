// Default bounds shared by the decoders, chosen to match what Loki itself accepts.

/** Longest accepted line, in UTF-8 bytes: Loki's default max_line_size. */
export const DEFAULT_MAX_LINE_BYTES = 256 * 1024;

/** Largest snappy body, once decompressed; checked from the snappy header before decompressing. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;
