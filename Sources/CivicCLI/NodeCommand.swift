import CivicNode
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `civicmesh node --config FILE`: run one node until SIGTERM or SIGINT, then stop cleanly.
enum NodeCommand {
    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, options: ["config"])
        let path = try a.required("config")
        let config = try NodeConfig.load(path: path)
        let node: MeshNode
        do {
            node = try MeshNode(config: config)
        } catch let error as ConfigError {
            throw error
        } catch {
            printError("civicmesh: node \(config.id) cannot start: \(error)")
            return 1
        }
        // Machine-readable line for supervisors (`civicmesh up`, tests).
        print("ready \(config.id) http=\(node.httpAddress)\(node.meshAddress.map { " mesh=\($0)" } ?? "")")
        fflush(nil)
        waitForTerminationSignal()
        node.stop()
        return 0
    }
}

/// Blocks until SIGTERM or SIGINT arrives (delivered through Dispatch, not an async-signal handler).
func waitForTerminationSignal() {
    let done = DispatchSemaphore(value: 0)
    let queue = DispatchQueue(label: "signals")
    var sources: [any DispatchSourceSignal] = []
    for sig in [SIGTERM, SIGINT] {
        signal(sig, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
        source.setEventHandler { done.signal() }
        source.resume()
        sources.append(source)
    }
    done.wait()
    for s in sources { s.cancel() }
}
