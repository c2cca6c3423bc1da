/// A part of a running node with a start and a stop: the writer, the reader, the event loop, the network
/// side (mesh links and HTTP), and later timer-driven sweeps such as the deadline ticker.
struct NodeComponent {
    let name: String
    let start: () throws -> Void
    let stop: () -> Void
}

/// A start-up step failed; names the component.
struct ComponentStartError: Error, CustomStringConvertible {
    let component: String
    let underlying: any Error
    var description: String { "\(underlying)" }
}

/// Components started in order and stopped in reverse (the ServiceGroup habit): a component may rely on
/// every one before it, and a failed start stops the ones already running, newest first.
final class ComponentGroup {
    private var running: [NodeComponent] = []

    func start(_ components: [NodeComponent]) throws {
        for component in components {
            do {
                try component.start()
                running.append(component)
            } catch {
                stopAll()
                throw ComponentStartError(component: component.name, underlying: error)
            }
        }
    }

    /// Names of the running components, in start order.
    var names: [String] { running.map(\.name) }

    func stopAll() {
        while let component = running.popLast() { component.stop() }
    }
}
