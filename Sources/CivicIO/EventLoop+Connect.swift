import CLinuxShims
import Dispatch
import Glibc

extension EventLoop {
    /// Non-blocking connect. The completion always runs later on the loop thread, exactly once:
    /// with the connection, or with a SocketError (refused, unreachable, ETIMEDOUT, ECANCELED if the
    /// loop stops). Names other than literals and "localhost" are resolved off the loop thread.
    public func connect(host: String, port: Int, timeout: Double,
                        completion: @escaping (Result<TCPConnection, SocketError>) -> Void) {
        assertInLoop()
        let deadline = MonotonicClock.now() + MonotonicClock.nanoseconds(timeout)
        let literal: SocketAddress?
        do {
            literal = try SocketAddress.literal(host: host, port: port)
        } catch {
            runSoon { completion(.failure(error)) }
            return
        }
        if let literal {
            Connector.start(loop: self, address: literal, deadline: deadline, completion: completion)
            return
        }
        // The completion is loop-confined; this box only carries it through the resolver thread and back.
        let box = UncheckedBox(completion)
        DispatchQueue.global().async { [self] in
            let resolved = Result { () throws(SocketError) in try SocketAddress.resolve(host: host, port: port) }
            execute { [self] in
                switch resolved {
                case .success(let address):
                    Connector.start(loop: self, address: address, deadline: deadline, completion: box.value)
                case .failure(let error):
                    box.value(.failure(error))
                }
            }
        }
    }
}

/// Carries a loop-confined value across threads when the code guarantees it is only used on the loop.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// One connect in flight: registered for EPOLLOUT, finished by writability, error or timeout.
/// Loop thread only.
final class Connector: LoopRegistrant {
    private let loop: EventLoop
    private let address: SocketAddress
    private let fd: Int32
    private var token: UInt64 = 0
    private var timer: TimerHandle?
    private var completion: ((Result<TCPConnection, SocketError>) -> Void)?

    static func start(loop: EventLoop, address: SocketAddress, deadline: UInt64,
                      completion: @escaping (Result<TCPConnection, SocketError>) -> Void) {
        let fd: Int32
        do {
            fd = try RawSocket.makeTCP(nonblocking: true)
        } catch {
            loop.runSoon { completion(.failure(error)) }
            return
        }
        if case .failed(let error) = RawSocket.connect(fd, address) {
            RawSocket.close(fd)
            loop.runSoon { completion(.failure(error)) }
            return
        }
        // Even an immediate success goes through EPOLLOUT, so the completion is never re-entrant.
        let connector = Connector(loop: loop, address: address, fd: fd, completion: completion)
        do {
            connector.token = try loop.register(fd, events: civic_EPOLLOUT | civic_EPOLLET, connector)
        } catch {
            RawSocket.close(fd)
            loop.runSoon { completion(.failure(error)) }
            return
        }
        let now = MonotonicClock.now()
        let seconds = deadline > now ? Double(deadline - now) / 1e9 : 0
        connector.timer = loop.scheduleTimer(after: seconds) { [weak connector] in
            connector?.finish(.failure(.timedOut("connect \(address)")))
        }
    }

    private init(loop: EventLoop, address: SocketAddress, fd: Int32,
                 completion: @escaping (Result<TCPConnection, SocketError>) -> Void) {
        self.loop = loop
        self.address = address
        self.fd = fd
        self.completion = completion
    }

    func handle(events: UInt32) {
        let code = RawSocket.pendingError(fd)
        if code != 0 {
            finish(.failure(SocketError(operation: "connect \(address)", errno: code)))
        } else if events & (civic_EPOLLERR | civic_EPOLLHUP) != 0 {
            finish(.failure(SocketError(operation: "connect \(address)", errno: ECONNREFUSED)))
        } else if events & civic_EPOLLOUT != 0 {
            finish(nil)
        }
    }

    func loopDidStop() {
        finish(.failure(.loopStopped("connect \(address)")))
    }

    /// nil = connected: hand the fd over to a TCPConnection (new registration, same fd).
    private func finish(_ failure: Result<TCPConnection, SocketError>?) {
        guard let completion else { return }
        self.completion = nil
        if let timer { loop.cancelTimer(timer) }
        _ = civic_epoll_delete(loop.epollFD, fd)
        loop.forget(token: token)
        if let failure {
            RawSocket.close(fd)
            completion(failure)
            return
        }
        do {
            completion(.success(try TCPConnection(loop: loop, fd: fd, peer: address)))
        } catch {
            completion(.failure(error))
        }
    }
}
