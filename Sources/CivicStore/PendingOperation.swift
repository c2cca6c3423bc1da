/// A submitted operation with its type erased, so one queue can hold operations of any result type.
struct PendingOperation<Context>: Sendable {
    /// Runs the operation on the writer thread and keeps its value for `complete`.
    let perform: @Sendable (Context, Database) throws -> Void
    /// Delivers the outcome: `nil` means success (with the value kept by `perform`).
    let complete: @Sendable ((any Error)?) -> Void

    init<R: Sendable>(
        _ operation: @escaping @Sendable (Context, Database) throws -> R,
        completion: @escaping @Sendable (Result<R, any Error>) -> Void
    ) {
        let slot = ResultSlot<R>()
        perform = { context, database in slot.value = try operation(context, database) }
        complete = { failure in
            if let failure {
                completion(.failure(failure))
            } else if let value = slot.value {
                completion(.success(value))
            } else {
                completion(.failure(SQLiteError.misuse("operation reported success without running")))
            }
        }
    }
}

/// Holds an operation's value between its run and its completion (after COMMIT).
/// Invariant: written and read only on the writer thread, hence `@unchecked Sendable`.
private final class ResultSlot<R>: @unchecked Sendable {
    var value: R?
}

/// The `setAfterCommit` closure. Invariant: only ever called on the writer thread, which is
/// where its non-Sendable `Context` lives; the box only travels there through the queue lock.
final class AfterCommitHook<Context>: @unchecked Sendable {
    let body: (Context) -> Void

    init(_ body: @escaping (Context) -> Void) {
        self.body = body
    }
}
