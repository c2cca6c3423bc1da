import CivicIO
import CivicStore
import Foundation

/// A second, read-only connection for GET requests and /status. WAL lets it read the last commit while
/// the writer is busy, so an operator's page never waits behind a burst of writes. One serial queue owns it.
final class NodeReader: @unchecked Sendable {
    // Invariant: `queries` (and its connection) is touched only on `queue`.
    private let queries: CaseQueries
    private let queue: DispatchQueue
    private let loop: EventLoop

    /// Open after the writer has created the database: a read-only connection cannot create it.
    init(path: String, nodeId: String, loop: EventLoop) throws {
        queries = CaseQueries(db: try Database(path: path, readOnly: true), nodeId: nodeId)
        queue = DispatchQueue(label: "civicmesh.reader.\(nodeId)")
        self.loop = loop
    }

    /// Runs `op` in one read transaction (one consistent snapshot); `done` runs on the loop.
    func read<R: Sendable>(_ op: @escaping @Sendable (CaseQueries) throws -> R, done: @escaping @Sendable (Result<R, any Error>) -> Void) {
        queue.async { [self] in
            let result = Result { () throws -> R in
                try queries.db.execute("BEGIN")
                defer { try? queries.db.execute("COMMIT") }
                return try op(queries)
            }
            loop.execute { done(result) }
        }
    }

    func close() { queue.sync { queries.db.close() } }
}
