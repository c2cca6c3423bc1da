#include <sqlite3.h>

/// Turns off SQLite's memory statistics, which take a global mutex on every allocation and free (about a
/// thousand lock and unlock pairs a case on the hot path). Must run before SQLite initializes, i.e. before the
/// first connection is opened; returns SQLITE_MISUSE if it came too late. A function here because
/// `sqlite3_config` is variadic, which Swift cannot call.
static inline int civic_sqlite_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
