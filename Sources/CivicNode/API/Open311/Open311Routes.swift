import CivicCases
import CivicHTTP
import CivicStore
import CivicWire
import Foundation

/// Open311 GeoReport v2 at the city (`/open311/v2/…`, `.json` or `.xml`): the catalogue's categories as
/// services, new requests from any 311 client (form-encoded, `api_key` an `intake` token), and the public view of
/// requests — no personal data (no name, phone or street address: the place is the unit it belongs to; the
/// description is the subject). Errors are the spec's `[{"code", "description"}]` with 400, 403 or 404.
enum Open311Routes {
    static let prefix = "/open311/v2"
    static let maxDescription = 4_000
    static let defaultLimit = 1_000
    static let window: TimeInterval = 90 * 86_400

    enum Format: String { case json, xml }

    static func add(to router: HTTPRouter, _ services: NodeServices) {
        for format in [Format.json, .xml] {
            let ext = "." + format.rawValue
            router.on("GET", prefix + "/discovery" + ext, name: Endpoint.open311Read.rawValue) { _, _, r in
                guard atCity(services, r, format) else { return }
                send(r, format, 200, discovery(services))
            }
            router.on("GET", prefix + "/services" + ext, name: Endpoint.open311Read.rawValue) { _, _, r in
                guard atCity(services, r, format) else { return }
                send(r, format, 200, Open311Document(root: "services", item: "service", records: catalogue(services).map(\.record)))
            }
            router.on("GET", prefix + "/requests" + ext, name: Endpoint.open311Read.rawValue) { request, _, r in
                guard atCity(services, r, format) else { return }
                list(request, r, format, services)
            }
            router.on("POST", prefix + "/requests" + ext, name: Endpoint.open311Create.rawValue) { request, _, r in
                guard atCity(services, r, format) else { return }
                create(request, r, format, services)
            }
        }
        // `services/{code}.json` and `requests/{id}.xml`: the format is the file's extension.
        router.on("GET", prefix + "/services/:file", name: Endpoint.open311Read.rawValue) { _, context, r in
            guard let (code, format) = split(context[parameter: "file"] ?? "", r), atCity(services, r, format) else { return }
            guard let service = catalogue(services).first(where: { $0.code == code }) else {
                return fail(r, format, 404, "no service \(Logger.clip(code, 40)); see services.\(format.rawValue)")
            }
            send(r, format, 200, Open311Document(root: "service_definition", item: nil, records: [[
                ("service_code", .text(service.code)), ("attributes", .list("attribute", [])),
            ]]))
        }
        router.on("GET", prefix + "/requests/:file", name: Endpoint.open311Read.rawValue) { _, context, r in
            guard let (id, format) = split(context[parameter: "file"] ?? "", r), atCity(services, r, format) else { return }
            let unit = services.unit
            services.reader.read({ queries in try queries.caseWithHistory(id) }) { result in
                switch result {
                case .success(let found?):
                    let reply = found.history.last { $0.action == .resolved }.flatMap { $0[.reply] }
                    send(r, format, 200, Open311Document(root: "service_requests", item: "request", records: [record(found.case, unit: unit, reply: reply, services)]))
                case .success(nil): fail(r, format, 404, "no service request \(Logger.clip(id, 40))")
                case .failure(let error): fail(r, format, 500, "\(error)")
                }
            }
        }
    }

    // MARK: - Answers

    static func send(_ r: HTTPResponder, _ format: Format, _ status: Int, _ doc: Open311Document) {
        r.send(format == .json ? .json(status, doc.json())
                               : HTTPResponse(status: status, headers: [("Content-Type", "text/xml; charset=utf-8")], body: doc.xml()))
    }

    static func fail(_ r: HTTPResponder, _ format: Format, _ code: Int, _ description: String) {
        send(r, format, code, Open311Document(root: "errors", item: "error", records: [[("code", .number(code)), ("description", .text(description))]]))
    }

    static func atCity(_ services: NodeServices, _ r: HTTPResponder, _ format: Format) -> Bool {
        guard services.config.tier == .city else {
            fail(r, format, 404, "Open311 is served by the city node, not by \(services.config.id)")
            return false
        }
        return true
    }

    static func split(_ file: String, _ r: HTTPResponder) -> (String, Format)? {
        for format in [Format.json, .xml] where file.hasSuffix("." + format.rawValue) {
            return (String(file.dropLast(format.rawValue.count + 1)), format)
        }
        fail(r, .json, 404, "add .json or .xml to \(Logger.clip(file, 60))")
        return nil
    }

    // MARK: - Services

    struct Service {
        var code: String, name: String, group: String?
        var record: [(String, Open311Document.Value)] {
            [("service_code", .text(code)), ("service_name", .text(name)), ("description", .text("\(name) (12345)")), ("metadata", .bool(false)),
             ("type", .text("realtime")), ("keywords", .text(name)), ("group", .text(group))]
        }
    }

    /// A category's code: stable (a hash of its name, not its position), ASCII, short.
    static func code(of category: String) -> String { "c" + Hex.encode(Array(SHA256.hash(category).prefix(4))) }

    static func catalogue(_ services: NodeServices) -> [Service] {
        services.config.topology.catalogue.keys.sorted().map { name in
            Service(code: code(of: name), name: name, group: services.config.topology.catalogue[name]?["city"])
        }
    }

    static func discovery(_ services: NodeServices) -> Open311Document {
        let base = "http://\(services.config.httpListen)\(prefix)/"
        let formats: [[(String, Open311Document.Value)]] = [[("format", .text("application/json"))], [("format", .text("text/xml"))]]
        return Open311Document(root: "discovery", item: nil, records: [[
            ("changeset", .text(WireDate.format(Date(timeIntervalSince1970: 1_796_000_400)))),
            ("contact", .text("12345 \(services.config.name)")),
            ("key_service", .text("an intake token from the city's operator (civicmesh token create --role intake)")),
            ("endpoints", .list("endpoint", [[("specification", .text("http://wiki.open311.org/GeoReport_v2")), ("url", .text(base)),
                                              ("changeset", .text("2026-12-03T00:00:00Z")), ("type", .text("production")),
                                              ("formats", .list("format", formats.map { [("format", $0[0].1)] }))]])),
        ]])
    }

    // MARK: - Requests

    static func record(_ c: Case, unit: TopologyNode, reply: String?, _ services: NodeServices) -> [(String, Open311Document.Value)] {
        func name(_ id: String) -> String { services.config.topology.find(id)?.name ?? id }
        let agency = name(c.holder) + (c.holdingDepartment.map { " " + $0 } ?? "")
        let expected = c.state.isOpen ? (c.attributes["handling_due"] ?? c.attributes["response_due"]) : nil
        return [
            ("service_request_id", .text(c.id)),
            ("status", .text(c.state.isOpen ? "open" : "closed")),
            ("status_notes", .text(reply ?? PublicCaseView.stateText(c.state))),
            ("service_name", .text(c.category)),
            ("service_code", .text(c.category.map(code(of:)))),
            ("description", .text(c.subject)),
            ("agency_responsible", .text(agency)),
            ("service_notice", .text(nil)),
            ("requested_datetime", .text(WireDate.format(c.createdAt))),
            ("updated_datetime", .text(WireDate.format(c.updatedAt))),
            ("expected_datetime", .text(expected)),
            ("address", .text(c.attributes["place"].map(name))),
            ("address_id", .text(nil)), ("zipcode", .text(nil)), ("lat", .text(nil)), ("long", .text(nil)), ("media_url", .text(nil)),
        ]
    }

    static func list(_ request: HTTPRequest, _ r: HTTPResponder, _ format: Format, _ services: NodeServices) {
        let q = request.query
        if let ids = q["service_request_id"], !ids.isEmpty {
            let wanted = Array(ids.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.prefix(defaultLimit))
            let unit = services.unit
            services.reader.read({ queries in try wanted.compactMap { try queries.loadCase($0) } }) { result in
                switch result {
                case .success(let cases): send(r, format, 200, Open311Document(root: "service_requests", item: "request", records: cases.map { record($0, unit: unit, reply: nil, services) }))
                case .failure(let error): fail(r, format, 500, "\(error)")
                }
            }
            return
        }
        func time(_ key: String) -> Date?? {
            guard let raw = q[key], !raw.isEmpty else { return .some(nil) }
            return WireDate.parse(raw).map { .some($0) } ?? nil
        }
        guard let start = time("start_date"), let end = time("end_date") else {
            return fail(r, format, 400, "start_date and end_date are W3C times, e.g. 2026-12-01T00:00:00Z")
        }
        let to = end ?? Date(), from = start ?? to.addingTimeInterval(-window)
        guard from <= to, to.timeIntervalSince(from) <= window else { return fail(r, format, 400, "start_date to end_date may span at most 90 days") }
        var statuses: Set<String>?
        if let raw = q["status"], !raw.isEmpty {
            let given = Set(raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
            guard given.isSubset(of: ["open", "closed"]) else { return fail(r, format, 400, "status is open, closed or both, comma-separated") }
            statuses = given
        }
        let codes = q["service_code"].flatMap { $0.isEmpty ? nil : Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
        // Codes name catalogue categories; an unknown code matches nothing.
        let categories = codes.map { codes in catalogue(services).filter { codes.contains($0.code) }.map(\.name) }
        let filter = CaseQueries.CreatedFilter(from: from, to: to, open: statuses.map { $0.count == 2 ? nil : $0.contains("open") } ?? nil, categories: categories)
        let unit = services.unit
        services.reader.read({ queries in try queries.casesCreated(filter, limit: defaultLimit) }) { result in
            switch result {
            case .success(let cases):
                send(r, format, 200, Open311Document(root: "service_requests", item: "request", records: cases.map { record($0, unit: unit, reply: nil, services) }))
            case .failure(let error): fail(r, format, 500, "\(error)")
            }
        }
    }

    static func create(_ request: HTTPRequest, _ r: HTTPResponder, _ format: Format, _ services: NodeServices) {
        let form = HTTPForm.parse(request.body)
        guard let key = form["api_key"], !key.isEmpty else { return fail(r, format, 403, "api_key is required to create a request (an intake token)") }
        let principal: Principal
        switch services.authenticator.authenticate("Bearer " + key, now: Date()) {
        case .success(let p): principal = p
        case .failure(let why):
            services.gate.unauthorized += 1
            return fail(r, format, 403, "api_key refused: \(why.code)")
        }
        guard case .allowed = AccessRules.decide(.intake, role: principal.role) else {
            services.gate.forbidden += 1
            return fail(r, format, 403, "api_key \(principal.name) is a \(principal.role.rawValue) token; creating requests needs an intake token")
        }
        if let (wait, why) = services.gate.intakeWait(token: principal.name, source: request.source, now: Date().timeIntervalSince1970) {
            services.gate.rateLimited += 1
            return fail(r, format, 429, "\(why); retry after \(Int(wait.rounded(.up))) s")
        }
        guard let code = form["service_code"], !code.isEmpty else { return fail(r, format, 400, "service_code is required") }
        guard let service = catalogue(services).first(where: { $0.code == code }) else { return fail(r, format, 404, "no service \(Logger.clip(code, 40))") }
        let address = form["address_string"].flatMap { $0.isEmpty ? nil : $0 }
        let lat = form["lat"].flatMap(Double.init), long = form["long"].flatMap(Double.init)
        guard address != nil || (lat != nil && long != nil) || (form["address_id"].map { !$0.isEmpty } ?? false) else {
            return fail(r, format, 400, "a location is required: address_string, or lat and long")
        }
        let description = (form["description"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard description.count <= maxDescription else { return fail(r, format, 400, "description is at most 4,000 characters, got \(description.count)") }
        let subject = description.isEmpty ? service.name : String(description.prefix(120))
        let name = [form["last_name"], form["first_name"]].compactMap { $0 }.joined()
        let place = address ?? "\(lat.map { String($0) } ?? "?"),\(long.map { String($0) } ?? "?")"
        let draft = CaseDraft(channel: .app, citizen: Citizen(name: name.isEmpty ? nil : name, phone: form["phone"].flatMap { $0.isEmpty ? nil : $0 }),
                              subject: subject, detail: description, location: Location(address: place), category: service.name, actor: principal.name)
        do { try draft.checkLimits() } catch { return fail(r, format, 400, "\(error)") }
        let log = services.log
        services.intakes.submit(draft) { result in
            switch result {
            case .success(let receipt):
                log.info("case \(receipt.case.id) via Open311 by \(principal.name)", ["case": receipt.case.id, "event": "created"])
                let notice = receipt.linkedTo == nil ? "received; handled by the unit for the place" : "a repeat of an open request"
                send(r, format, 201, Open311Document(root: "service_requests", item: "request", records: [[
                    ("service_request_id", .text(receipt.case.id)), ("service_notice", .text(notice)), ("account_id", .text(nil)),
                ]]))
            case .failure(let error):
                fail(r, format, 400, "\(error)")
            }
        }
    }
}

extension CaseQueries {
    struct CreatedFilter: Sendable {
        var from: Date
        var to: Date
        /// true: open cases only, false: closed only (resolved, checking, closed), nil: both.
        var open: Bool?
        /// nil: any category.
        var categories: [String]?
    }

    /// The newest `limit` cases created in [from, to] that pass the filter, newest first: pages walked down the rowid
    /// (cases are stored as they arrive, so the window's rows are together), the filter in SQL so only matches are
    /// decoded. The walk ends at `limit` matches, after a whole page older than the window (a case stored late with an
    /// earlier creation time is still found within a page's reach), or after `maxScan` rows.
    func casesCreated(_ filter: CreatedFilter, limit: Int, page: Int = 2_000, maxScan: Int = 500_000) throws -> [Case] {
        if let categories = filter.categories, categories.isEmpty { return [] }
        let (lo, hi) = (WireDate.format(filter.from), WireDate.format(filter.to))
        let closed = CaseState.notOpen.map(\.rawValue)
        var sql = "SELECT ord, created_at, body, (created_at BETWEEN ? AND ?"
        var matchArgs: [SQLValue] = [.text(lo), .text(hi)]
        if let open = filter.open {
            sql += " AND state \(open ? "NOT IN" : "IN") (\(closed.map { _ in "?" }.joined(separator: ", ")))"
            matchArgs += closed.map { .text($0) }
        }
        if let categories = filter.categories {
            sql += " AND json_extract(body, '$.category') IN (\(categories.map { _ in "?" }.joined(separator: ", ")))"
            matchArgs += categories.map { .text($0) }
        }
        sql += ") AS hit FROM cases WHERE ord < ? ORDER BY ord DESC LIMIT ?"
        var out: [Case] = []
        var below = Int64.max, scanned = 0
        while out.count < limit, scanned < maxScan {
            let rows = try db.query(sql, matchArgs + [.integer(below), .integer(Int64(page))])
            guard let last = rows.last else { break }
            scanned += rows.count
            below = Int64(last.int("ord") ?? 0)
            var allOlder = true
            for row in rows {
                if (row.string("created_at") ?? "") >= lo { allOlder = false }
                guard row.int("hit") == 1, out.count < limit else { continue }
                out.append(try WireJSON.decodeCase((row.string("body") ?? "").utf8))
            }
            if allOlder || rows.count < page { break }
        }
        return out
    }
}
