import Glibc

/// An IPv4 address and port, the only family CivicMesh uses.
struct SocketAddress: Sendable, CustomStringConvertible {
    /// Network byte order, as stored in `sockaddr_in.sin_addr.s_addr`.
    var ipv4: in_addr_t
    var port: UInt16

    var description: String {
        var address = in_addr(s_addr: ipv4)
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        guard inet_ntop(AF_INET, &address, &text, socklen_t(text.count)) != nil else { return "?:\(port)" }
        return "\(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)):\(port)"
    }

    var sockaddr: sockaddr_in {
        var raw = sockaddr_in()
        raw.sin_family = sa_family_t(AF_INET)
        raw.sin_port = port.bigEndian
        raw.sin_addr = in_addr(s_addr: ipv4)
        return raw
    }

    init(ipv4: in_addr_t, port: UInt16) {
        self.ipv4 = ipv4
        self.port = port
    }

    init(_ raw: sockaddr_in) {
        self.init(ipv4: raw.sin_addr.s_addr, port: UInt16(bigEndian: raw.sin_port))
    }

    /// Parses "localhost" and IPv4 literals without touching the resolver; nil for anything else.
    static func literal(host: String, port: Int) throws(SocketError) -> SocketAddress? {
        let checkedPort = try validPort(port, host: host)
        if host == "localhost" { return SocketAddress(ipv4: inet_addr("127.0.0.1"), port: checkedPort) }
        var address = in_addr()
        guard inet_pton(AF_INET, host, &address) == 1 else { return nil }
        return SocketAddress(ipv4: address.s_addr, port: checkedPort)
    }

    /// Literal fast path, otherwise a blocking getaddrinfo (IPv4 only). Keep it off the loop thread
    /// for real names: a slow DNS server would stall every connection.
    static func resolve(host: String, port: Int) throws(SocketError) -> SocketAddress {
        if let literal = try literal(host: host, port: port) { return literal }
        let checkedPort = try validPort(port, host: host)
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let first = list else {
            let reason = status == 0 ? "no address" : String(cString: gai_strerror(status))
            throw SocketError(operation: "resolve \(host)", errno: EHOSTUNREACH, message: reason)
        }
        defer { freeaddrinfo(list) }
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if entry.pointee.ai_family == AF_INET, let raw = entry.pointee.ai_addr {
                let inet = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
                return SocketAddress(ipv4: inet.sin_addr.s_addr, port: checkedPort)
            }
            cursor = entry.pointee.ai_next
        }
        throw SocketError(operation: "resolve \(host)", errno: EHOSTUNREACH, message: "no IPv4 address")
    }

    private static func validPort(_ port: Int, host: String) throws(SocketError) -> UInt16 {
        guard (0...65535).contains(port) else {
            throw SocketError(operation: "address \(host):\(port)", errno: EINVAL, message: "port out of range")
        }
        return UInt16(port)
    }
}
