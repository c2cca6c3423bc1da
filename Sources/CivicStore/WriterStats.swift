import CivicSupport

/// Counters of a `GroupCommitWriter`, read as one consistent snapshot.
public struct WriterStats: Sendable, Hashable {
    /// Operations per batch, and how long each batch's transaction took (its operations, COMMIT and fsync).
    public var batchSizes = Histogram(bounds: Histogram.batchSizes)
    public var batchSeconds = Histogram(bounds: Histogram.latencySeconds)
    /// Transactions attempted (one BEGIN … COMMIT per batch).
    public var batches: Int = 0
    /// Operations run by the writer, successful or not.
    public var operations: Int = 0
    /// Operations whose completion received `.failure` (own error, or their batch failed).
    public var failedOperations: Int = 0
    /// Most operations run in one batch.
    public var largestBatch: Int = 0
    /// Batches whose BEGIN or COMMIT failed, or that SQLite rolled back midway.
    public var failedBatches: Int = 0
    /// Why the context could not be rebuilt after the last failed batch, if it could not.
    public var lastRebuildError: String?
    /// Submits refused because the writer was closed (never run, not in `operations`).
    public var rejectedSubmits: Int = 0

    public init() {}
}

/// Errors of the writer itself (SQLite errors arrive as `SQLiteError`).
public enum GroupCommitWriterError: Error, CustomStringConvertible, Sendable, Equatable {
    /// `submit` after `close()`: the operation was not run.
    case closed(path: String)

    public var description: String {
        switch self {
        case .closed(let path): return "group-commit writer for \(path) is closed; operation not run"
        }
    }
}
