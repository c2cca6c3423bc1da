import Dispatch
import Glibc

/// The child side of the crash test: writes through a `GroupCommitWriter` forever and prints
/// `acked <id>` on stdout for each operation whose completion reported success. The parent
/// kills it with SIGKILL and checks that every printed id is in the database.
///
/// Kept in the library so any executable can host it: the hidden `civicmesh store-crash-drill` command runs it.
public enum StoreCrashDrill {
    public static let table = "crash_drill"

    /// Never returns: the process is expected to be killed. Exits 2 if the database fails.
    /// `workMicroseconds` keeps each operation busy after its insert, widening the gap between
    /// running an operation and committing it: an acknowledgement sent too early (before
    /// COMMIT) would then be caught by the kill instead of slipping through a tiny window.
    public static func run(
        path: String, submitters: Int = 2, window: Int = 64, workMicroseconds: UInt32 = 50
    ) -> Never {
        let writer: GroupCommitWriter<Void>
        do {
            writer = try GroupCommitWriter(path: path) { database in
                try database.execute(
                    "CREATE TABLE IF NOT EXISTS \(table)(id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
            }
        } catch {
            writeLine(to: 2, "crash drill: \(error)")
            exit(2)
        }
        writeLine(to: 1, "ready")
        for submitter in 0..<submitters {
            let thread = DispatchQueue(label: "crash-drill-\(submitter)")
            thread.async {
                submitForever(
                    writer: writer, first: submitter, step: submitters, window: window, work: workMicroseconds)
            }
        }
        while true { pause() }
    }

    private static func submitForever(
        writer: GroupCommitWriter<Void>, first: Int, step: Int, window: Int, work: UInt32
    ) {
        // At most `window` operations in flight per submitter, so the queue stays bounded.
        let slots = DispatchSemaphore(value: window)
        var id = first
        while true {
            slots.wait()
            let current = Int64(id)
            writer.submit({ _, database in
                try database.execute("INSERT INTO \(table)(id, payload) VALUES (?, ?)", [.integer(current), "drill"])
                if work > 0 { usleep(work) }
            }, completion: { result in
                if case .success = result { writeLine(to: 1, "acked \(current)") }
                slots.signal()
            })
            id += step
        }
    }

    /// One write(2) per line, unbuffered, so a line printed is a line the parent can read
    /// even when SIGKILL follows immediately.
    private static func writeLine(to descriptor: Int32, _ line: String) {
        let bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 { return }
            offset += written
        }
    }
}
