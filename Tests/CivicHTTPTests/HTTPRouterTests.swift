import CivicHTTP
import Foundation
import Testing

/// The route table in process: no sockets, a responder that records what it is sent.
@Suite("HTTPRouter")
struct HTTPRouterTests {
    final class Sent: @unchecked Sendable {
        private let lock = NSLock()
        private var responses: [HTTPResponse] = []
        var last: HTTPResponse? { lock.withLock { responses.last } }
        var responder: HTTPResponder { HTTPResponder { r in self.lock.withLock { self.responses.append(r) } } }
    }

    func router(log: Sent? = nil) -> HTTPRouter {
        let router = HTTPRouter { status, request, allowed in .text(status, "\(status) \(request.method) \(request.path) allow=\(allowed.joined(separator: ","))") }
        router.on("GET", "/healthz") { _, _, r in r.send(.text(200, "ok")) }
        let cases = router.group("/api/cases")
        cases.on("GET", "") { _, c, r in r.send(.text(200, "list \(c.route)")) }
        cases.on("POST", "") { _, _, r in r.send(.text(201, "created")) }
        cases.on("GET", "/:id") { _, c, r in r.send(.text(200, "show \(c[parameter: "id"] ?? "-")")) }
        cases.on("POST", "/:id/:action") { _, c, r in r.send(.text(200, "\(c[parameter: "action"] ?? "-") \(c[parameter: "id"] ?? "-") via \(c.route)")) }
        return router
    }

    func call(_ router: HTTPRouter, _ method: String, _ target: String) -> HTTPResponse? {
        let sent = Sent()
        router.handle(HTTPRequest(method: method, target: target), sent.responder)
        return sent.last
    }

    @Test("patterns with parameters, prefixes from groups, the route template in the context")
    func routes() {
        let r = router()
        #expect(call(r, "GET", "/healthz")?.body == Array("ok".utf8))
        #expect(String(decoding: call(r, "GET", "/api/cases?limit=2")?.body ?? [], as: UTF8.self) == "list /api/cases")
        #expect(call(r, "POST", "/api/cases")?.status == 201)
        #expect(String(decoding: call(r, "GET", "/api/cases/JC-1")?.body ?? [], as: UTF8.self) == "show JC-1")
        #expect(String(decoding: call(r, "POST", "/api/cases/JC-1/accept")?.body ?? [], as: UTF8.self) == "accept JC-1 via /api/cases/:id/:action")
        #expect(call(r, "HEAD", "/healthz")?.status == 200, "HEAD is served by the GET route")
    }

    @Test("404 for a path no route has, 405 with Allow for a known path and another method")
    func notFoundAndMethodNotAllowed() throws {
        let r = router()
        #expect(call(r, "GET", "/api/nothing")?.status == 404)
        #expect(call(r, "GET", "/api/cases/a/b/c")?.status == 404)
        let wrong = try #require(call(r, "DELETE", "/api/cases"))
        #expect(wrong.status == 405)
        #expect(wrong.headers.contains { $0.0 == "Allow" && $0.1 == "GET, POST" }, "\(wrong.headers)")
        #expect(call(r, "GET", "/api/cases/JC-1/accept")?.status == 405)
    }

    struct Tag: HTTPMiddleware {
        let name: String
        let order: Sent
        func handle(_ request: HTTPRequest, _ context: RequestContext, _ responder: HTTPResponder,
                    next: @escaping (HTTPRequest, RequestContext, HTTPResponder) -> Void) {
            context.values["seen", default: ""] += name
            next(request, context, HTTPResponder { response in
                var tagged = response
                tagged.headers.append(("X-Tag", name))
                responder.send(tagged)
            })
        }
    }

    struct Refuse: HTTPMiddleware {
        func handle(_ request: HTTPRequest, _ context: RequestContext, _ responder: HTTPResponder,
                    next: @escaping (HTTPRequest, RequestContext, HTTPResponder) -> Void) {
            if request.header("authorization") == nil { responder.send(.text(401, "no token")) } else { next(request, context, responder) }
        }
    }

    @Test("middleware runs in order around every request, may stop the chain, and leaves values for handlers")
    func middleware() throws {
        let sent = Sent()
        let r = HTTPRouter { status, _, _ in .text(status, "rejected") }
        r.use(Tag(name: "a", order: sent))
        r.use(Tag(name: "b", order: sent))
        r.on("GET", "/x") { _, c, responder in responder.send(.text(200, c.values["seen"] ?? "")) }
        let response = try #require(call(r, "GET", "/x"))
        #expect(String(decoding: response.body, as: UTF8.self) == "ab", "a runs before b")
        #expect(response.headers.filter { $0.0 == "X-Tag" }.map(\.1) == ["b", "a"], "responses unwind in reverse")
        #expect(call(r, "GET", "/nowhere")?.headers.contains { $0.0 == "X-Tag" } == true, "404s pass the middleware too")

        let guarded = HTTPRouter { status, _, _ in .text(status, "rejected") }
        guarded.use(Refuse())
        guarded.on("GET", "/x") { _, _, responder in responder.send(.text(200, "in")) }
        #expect(call(guarded, "GET", "/x")?.status == 401)
        let withToken = Sent()
        guarded.handle(HTTPRequest(method: "GET", target: "/x", headers: [("Authorization", "Bearer t")]), withToken.responder)
        #expect(withToken.last?.status == 200)
    }
}
