// swift-tools-version:6.0
import PackageDescription

// No package dependencies: Foundation, Dispatch, Glibc and the system SQLite only.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "civicmesh",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "civicmesh", targets: ["civicmesh"]),
    ],
    dependencies: [],
    targets: [
        // C bridges
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "CLinuxShims", path: "Sources/CLinuxShims"),

        // Small shared pieces with no dependencies: a generic min-heap, a seeded generator
        .target(name: "CivicSupport", path: "Sources/CivicSupport", swiftSettings: swiftSettings),
        // Wire protocol: framing, messages, SHA-256/HMAC handshake proofs
        .target(name: "CivicWire", dependencies: ["CivicCases"], path: "Sources/CivicWire", swiftSettings: swiftSettings),
        // Storage: sqlite3 wrapper and the single group-commit writer
        .target(name: "CivicStore", dependencies: ["CSQLite", "CLinuxShims", "CivicSupport"], path: "Sources/CivicStore", swiftSettings: swiftSettings),
        // Transport: epoll event loop, TCP connections, timers
        .target(name: "CivicIO", dependencies: ["CLinuxShims", "CivicSupport"], path: "Sources/CivicIO", swiftSettings: swiftSettings),
        // HTTP/1.1: sans-IO parser and encoder, server on the event loop, tiny client
        .target(name: "CivicHTTP", dependencies: ["CivicIO"], path: "Sources/CivicHTTP", swiftSettings: swiftSettings),
        // Case domain: cases, events, state machine, topology, ids
        .target(name: "CivicCases", dependencies: ["CLinuxShims"], path: "Sources/CivicCases", swiftSettings: swiftSettings),
        // Topic classifier (character n-grams, linear model)
        .target(name: "CivicTopic", dependencies: ["CivicSupport"], path: "Sources/CivicTopic", swiftSettings: swiftSettings),
        // Automatic dispatch decisions: place, request type, duplicates, topic
        .target(name: "CivicTriage", dependencies: ["CivicCases", "CivicTopic", "CivicSupport", "CLinuxShims"], path: "Sources/CivicTriage", swiftSettings: swiftSettings),
        // Node wiring: config, engine (domain on the store), mesh links, HTTP API, status
        .target(
            name: "CivicNode",
            dependencies: ["CivicWire", "CivicStore", "CivicIO", "CivicHTTP", "CivicCases", "CivicTriage", "CivicSupport"],
            path: "Sources/CivicNode", swiftSettings: swiftSettings),
        // Command line: node, up, status, submit, topology, classify, bench
        .target(name: "CivicCLI", dependencies: ["CivicNode", "CivicStore", "CivicHTTP", "CivicTopic", "CivicTriage", "CivicCases", "CivicWire"], path: "Sources/CivicCLI", swiftSettings: swiftSettings),
        .executableTarget(name: "civicmesh", dependencies: ["CivicCLI"], path: "Sources/civicmesh", swiftSettings: swiftSettings),

        // Tests
        .target(name: "SharedTestData", path: "Tests/SharedTestData", swiftSettings: swiftSettings),
        .target(name: "TestSupport", dependencies: ["CivicNode", "CivicHTTP", "CivicSupport", "CivicWire", "CivicIO"], path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "CivicSupportTests", dependencies: ["CivicSupport"], path: "Tests/CivicSupportTests", swiftSettings: swiftSettings),
        .testTarget(name: "CivicWireTests", dependencies: ["CivicWire", "CivicCases", "CivicSupport", "TestSupport"], path: "Tests/CivicWireTests", swiftSettings: swiftSettings),
        .testTarget(name: "CivicStoreTests", dependencies: ["CivicStore"], path: "Tests/CivicStoreTests", swiftSettings: swiftSettings),
        .testTarget(name: "CivicIOTests", dependencies: ["CivicIO", "CivicHTTP"], path: "Tests/CivicIOTests", swiftSettings: swiftSettings),
        .testTarget(name: "CivicHTTPTests", dependencies: ["CivicHTTP"], path: "Tests/CivicHTTPTests", swiftSettings: swiftSettings),
        .testTarget(name: "CivicCasesTests", dependencies: ["CivicCases"], path: "Tests/CivicCasesTests", swiftSettings: swiftSettings),
        .testTarget(name: "CivicTopicTests", dependencies: ["CivicTopic", "CivicSupport", "SharedTestData"], path: "Tests/CivicTopicTests", swiftSettings: swiftSettings),
        .testTarget(name: "CivicTriageTests", dependencies: ["CivicTriage", "CivicTopic", "CivicSupport", "SharedTestData"], path: "Tests/CivicTriageTests", swiftSettings: swiftSettings),
        .testTarget(
            name: "CivicNodeTests", dependencies: ["CivicNode", "CivicCLI", "TestSupport", "SharedTestData"],
            path: "Tests/CivicNodeTests", swiftSettings: swiftSettings),
    ]
)
