/// Routes requests by method and path pattern ("/api/cases/:id/:action") through a middleware chain to a
/// handler. 404 and 405 (with `Allow`) come from the table itself, so a new route file is all a new endpoint
/// needs. Sans-IO: `handle(_:_:)` takes a request and a responder, so routes are tested without sockets.
///
/// Threading: build the table before serving; afterwards `handle` only reads it (on the server's loop).
public final class HTTPRouter: @unchecked Sendable {
    public typealias Handler = (HTTPRequest, RequestContext, HTTPResponder) -> Void

    struct Route {
        let method: String
        let template: String
        /// The endpoint's name for middleware (the access table's key); nil for none.
        let name: String?
        let segments: [Segment]
        let handler: Handler
    }

    enum Segment: Equatable {
        case literal(String)
        case parameter(String)
    }

    public enum Match {
        case found(handler: Handler, parameters: [String: String], template: String, name: String?)
        /// The path exists with other methods.
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    private var routes: [Route] = []
    private var middleware: [any HTTPMiddleware] = []
    /// How a 404 or 405 from the table is answered (the application's own error body).
    private let reject: (_ status: Int, _ request: HTTPRequest, _ allowed: [String]) -> HTTPResponse
    private var nextRequestNumber = 0

    public init(reject: @escaping (_ status: Int, _ request: HTTPRequest, _ allowed: [String]) -> HTTPResponse) {
        self.reject = reject
    }

    /// Adds a route; `pattern` segments starting with ":" are parameters ("/api/cases/:id").
    /// `name` is what middleware knows the endpoint by (the access table's key).
    public func on(_ method: String, _ pattern: String, name: String? = nil, _ handler: @escaping Handler) {
        let segments = Self.split(pattern).map { $0.hasPrefix(":") ? Segment.parameter(String($0.dropFirst())) : .literal($0) }
        routes.append(Route(method: method, template: pattern, name: name, segments: segments, handler: handler))
    }

    /// Every route as (method, template, name), in the order added: for tests that walk the table.
    public var table: [(method: String, template: String, name: String?)] { routes.map { ($0.method, $0.template, $0.name) } }

    /// Routes under a common prefix, for one resource's route file.
    public func group(_ prefix: String) -> RouteGroup { RouteGroup(router: self, prefix: prefix) }

    /// Middleware run in the order added, around every routed request (404/405 included).
    public func use(_ m: any HTTPMiddleware) { middleware.append(m) }

    public func match(method: String, path: String) -> Match {
        let parts = Self.split(path)
        var allowed: [String] = []
        for route in routes where route.segments.count == parts.count {
            var parameters: [String: String] = [:]
            var matches = true
            for (segment, part) in zip(route.segments, parts) {
                switch segment {
                case .literal(let text): if text != part { matches = false }
                case .parameter(let name): parameters[name] = part
                }
                if !matches { break }
            }
            guard matches else { continue }
            if route.method == method || (method == "HEAD" && route.method == "GET") {
                return .found(handler: route.handler, parameters: parameters, template: route.template, name: route.name)
            }
            if !allowed.contains(route.method) { allowed.append(route.method) }
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }

    /// Routes one request: middleware first, then the matched handler or the table's 404/405.
    public func handle(_ request: HTTPRequest, _ responder: HTTPResponder) {
        nextRequestNumber += 1
        let context = RequestContext(requestNumber: nextRequestNumber)
        let endpoint: Handler
        switch match(method: request.method, path: request.path) {
        case .found(let handler, let parameters, let template, let name):
            context.parameters = parameters
            context.route = template
            context.endpoint = name
            endpoint = handler
        case .methodNotAllowed(let allowed):
            context.route = "(method not allowed)"
            endpoint = { [reject] request, _, responder in
                var response = reject(405, request, allowed)
                response.headers.append(("Allow", allowed.joined(separator: ", ")))
                responder.send(response)
            }
        case .notFound:
            context.route = "(not found)"
            endpoint = { [reject] request, _, responder in responder.send(reject(404, request, [])) }
        }
        run(0, request, context, responder, endpoint)
    }

    private func run(_ index: Int, _ request: HTTPRequest, _ context: RequestContext, _ responder: HTTPResponder, _ endpoint: @escaping Handler) {
        guard index < middleware.count else { return endpoint(request, context, responder) }
        middleware[index].handle(request, context, responder) { request, context, responder in
            self.run(index + 1, request, context, responder, endpoint)
        }
    }

    static func split(_ path: String) -> [String] { path.split(separator: "/", omittingEmptySubsequences: true).map(String.init) }
}

/// Routes sharing a prefix ("/api/cases"): one resource's file adds its routes here.
public struct RouteGroup {
    let router: HTTPRouter
    let prefix: String
    public func on(_ method: String, _ pattern: String, name: String? = nil, _ handler: @escaping HTTPRouter.Handler) {
        router.on(method, prefix + pattern, name: name, handler)
    }
}

/// What a request carries through the middleware to its handler: the route's parameters and template, a
/// request id, and (later) the authenticated principal. One per request, used on the loop thread.
public final class RequestContext: @unchecked Sendable {
    public let requestNumber: Int
    /// "/api/cases/:id/:action" — the route template, for logs and metrics keyed by route, not by raw path.
    public internal(set) var route = ""
    public internal(set) var parameters: [String: String] = [:]
    /// The matched route's name (nil for a 404/405 or an unnamed route).
    public internal(set) var endpoint: String?
    /// Middleware may leave values for handlers.
    public var values: [String: String] = [:]
    /// Who is calling, as the authentication middleware established it (the application's own type).
    public var identity: (any Sendable)?

    public init(requestNumber: Int) { self.requestNumber = requestNumber }

    public subscript(parameter name: String) -> String? { parameters[name] }
}

/// Cross-cutting work around every request: call `next` to go on (possibly with a changed request or a
/// wrapped responder), or answer through `responder` to stop the chain.
public protocol HTTPMiddleware: Sendable {
    func handle(_ request: HTTPRequest, _ context: RequestContext, _ responder: HTTPResponder,
                next: @escaping (HTTPRequest, RequestContext, HTTPResponder) -> Void)
}
