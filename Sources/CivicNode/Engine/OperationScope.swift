/// The in-memory state an operation changes besides the database — counters, link sequence numbers, the
/// event counter, the duplicate index — registers how to undo each change here as it makes it. If the
/// operation throws, its savepoint rolls the database back and `rollback()` undoes every registered change,
/// newest first, so no mirror keeps what the database no longer has. A new mirror registers its own undo;
/// nobody keeps a list of mirrors by hand. (A batch that fails to commit as a whole rebuilds the engine from
/// the database instead: see `BatchExecutor.rebuildContext`.) Writer thread only.
final class OperationScope {
    private var undo: [() -> Void] = []
    private var depth = 0
    /// Counts the outermost operations begun: a mirror that registers one undo for all it changes in an
    /// operation (not one per change) knows from it when a new operation has started.
    private(set) var generation = 0

    /// Starts an operation (nested calls join the outer one).
    func begin() {
        if depth == 0 {
            undo.removeAll(keepingCapacity: true)
            generation += 1
        }
        depth += 1
    }

    /// Records how to undo a change just made; outside an operation there is nothing to undo into.
    func onRollback(_ body: @escaping () -> Void) {
        guard depth > 0 else { return }
        undo.append(body)
    }

    func commit() {
        depth = max(0, depth - 1)
        if depth == 0 { undo.removeAll(keepingCapacity: true) }
    }

    func rollback() {
        depth = 0
        while let body = undo.popLast() { body() }
    }
}
