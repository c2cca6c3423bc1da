import CivicIO
import Synchronization

/// Sends the response to one request. Callable from any thread; the first `send` wins, later ones are
/// ignored. The delivery itself always happens on the connection's loop thread.
public struct HTTPResponder: Sendable {
    private final class Once: Sendable {
        let sent = Atomic<Bool>(false)
    }

    private let once = Once()
    private let deliver: @Sendable (HTTPResponse) -> Void

    /// `deliver` receives the response at most once, on whatever thread called `send`
    /// (a public seam so handlers can be tested without a server).
    public init(_ deliver: @escaping @Sendable (HTTPResponse) -> Void) {
        self.deliver = deliver
    }

    /// Hops to `loop` unless already on it.
    init(loop: EventLoop, _ deliverOnLoop: @escaping @Sendable (HTTPResponse) -> Void) {
        self.init { response in
            if loop.isInLoopThread {
                deliverOnLoop(response)
            } else {
                loop.execute { deliverOnLoop(response) }
            }
        }
    }

    public var hasSent: Bool { once.sent.load(ordering: .acquiring) }

    public func send(_ response: HTTPResponse) {
        guard !once.sent.exchange(true, ordering: .acquiringAndReleasing) else { return }
        deliver(response)
    }
}
