import Foundation

/// The project's real public test data lives beside the clone in `../shared/data` and is never committed.
/// On a user's clone it is absent: tests that need it are skipped with one line naming the missing file.
/// CI sets `CIVICMESH_REQUIRE_SHARED_DATA=1`, which turns a missing file into a failure instead of a skip.
public enum SharedData {
    /// `CIVICMESH_SHARED_DATA` when set, else `<package root>/../shared/data`.
    public static var directory: URL {
        if let dir = ProcessInfo.processInfo.environment["CIVICMESH_SHARED_DATA"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        return URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent()  // SharedTestData
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // package root
            .deletingLastPathComponent()
            .appendingPathComponent("shared/data")
    }

    public static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
    public static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// Whether a missing file must fail the run (CI) rather than skip the test (a user's clone).
    public static var required: Bool { ProcessInfo.processInfo.environment["CIVICMESH_REQUIRE_SHARED_DATA"] == "1" }

    /// For `.enabled(if:)`: true when every file is there, or when CI requires them (the test then runs and
    /// fails on the missing file, naming it).
    public static func available(_ names: String...) -> Bool {
        required || names.allSatisfy { FileManager.default.fileExists(atPath: path($0)) }
    }

    /// The one line a skipped test prints.
    public static func missing(_ names: String...) -> String {
        "needs ../shared/data/\(names.joined(separator: ", ../shared/data/")) (not in this clone; set CIVICMESH_SHARED_DATA to its folder)"
    }
}
