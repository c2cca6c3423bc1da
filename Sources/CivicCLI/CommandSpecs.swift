/// Every command, its options and what they do: the one source for `--help`, the overview and parsing
/// (`Arguments(args, command:)` accepts exactly the options listed here, so help never drifts from the code).
struct CommandSpec {
    struct Option {
        var name: String
        /// The value's placeholder (`FILE`, `N`…), nil for a flag.
        var value: String?
        var help: String
    }

    var key: String
    var synopsis: String
    var summary: String
    var options: [Option]

    var optionNames: Set<String> { Set(options.filter { $0.value != nil }.map(\.name)) }
    var flagNames: Set<String> { Set(options.filter { $0.value == nil }.map(\.name)) }

    var help: String {
        var lines = ["usage: civicmesh \(synopsis)", "", summary]
        if !options.isEmpty {
            lines.append("")
            lines.append("options:")
            let labels = options.map { "  --\($0.name)" + ($0.value.map { " \($0)" } ?? "") }
            let width = labels.map(\.count).max() ?? 0
            for (label, option) in zip(labels, options) {
                lines.append(label + String(repeating: " ", count: width - label.count + 2) + option.help)
            }
        }
        return lines.joined(separator: "\n")
    }
}

extension CommandSpec {
    static let url = Option(name: "url", value: "URL", help: "the node's HTTP address (default http://127.0.0.1:7400, the city of `up`)")
    static let token = Option(name: "token", value: "T", help: "bearer token (else $CIVICMESH_TOKEN, else the node's admin token from a local `up`'s tokens.json)")
    static let data = Option(name: "data", value: "DIR", help: "where a local `up` keeps tokens.json (default ./civicmesh-data)")

    static let all: [CommandSpec] = [
        CommandSpec(key: "up", synopsis: "up [--topology FILE] [--data DIR] [--base-port N] [--timeout S] [--restart-delay S] [--topic-model FILE] [--speed N]",
                    summary: "Runs every node of a topology as its own process on loopback and supervises them until Ctrl-C: a node that dies is restarted with backoff, its last log lines shown; one whose config is invalid (exit 2) stops up.", options: [
                        Option(name: "topology", value: "FILE", help: "topology JSON (default: the built-in sample city)"),
                        Option(name: "data", value: "DIR", help: "configs, databases and logs (default ./civicmesh-data); a second run resumes it"),
                        Option(name: "base-port", value: "N", help: "node i gets HTTP on N+2i and mesh on N+2i+1 (default 7400)"),
                        Option(name: "timeout", value: "S", help: "seconds to wait for every link to come up (default 60)"),
                        Option(name: "restart-delay", value: "S", help: "first wait before restarting a node that died, doubling to 30 s (default 1)"),
                        Option(name: "topic-model", value: "FILE", help: "a model from `classify train` for every intake node"),
                        Option(name: "speed", value: "N", help: "case time runs N× faster (watch time limits run out); kept by later runs on the same --data"),
                    ]),
        CommandSpec(key: "node", synopsis: "node --config FILE", summary: "Runs one node until SIGTERM or SIGINT.", options: [
            Option(name: "config", value: "FILE", help: "the node's config (see README, Node configuration)"),
        ]),
        CommandSpec(key: "status", synopsis: "status [--url URL] [--token T] [--json] [--depth N] [--under ID]",
                    summary: "A node's status as a tree table: links, counters, children, grandchildren, manual queue.", options: [
                        url, token, data, Option(name: "json", value: nil, help: "print the raw /status JSON"),
                        Option(name: "depth", value: "N", help: "tree levels below the node to show: 1 children, 2 grandchildren (default 2)"),
                        Option(name: "under", value: "ID", help: "show only this child and what is below it"),
                    ]),
        CommandSpec(key: "submit", synopsis: "submit --subject TEXT [--detail T] [--address A] [--division CODE] [--channel C] [--name N] [--phone P] [--category C] [--url URL] [--token T]",
                    summary: "Creates a case at the node (the city, or a street for a grid report).", options: [
                        Option(name: "subject", value: "TEXT", help: "what the request is about (required)"),
                        Option(name: "detail", value: "TEXT", help: "the full text"),
                        Option(name: "address", value: "TEXT", help: "where; district and street names place the case"),
                        Option(name: "division", value: "CODE", help: "an official division code, when known"),
                        Option(name: "channel", value: "C", help: "hotline, web, wechat, app, sms or grid"),
                        Option(name: "name", value: "N", help: "the citizen's name"),
                        Option(name: "phone", value: "P", help: "the citizen's phone"),
                        Option(name: "category", value: "C", help: "the topic, when the caller knows it (else the classifier decides)"),
                        url, token, data,
                    ]),
        CommandSpec(key: "assign", synopsis: "assign CASE_ID --target NODE_ID [--department D] [--category C] [--reason R] [--ruling] [--url URL] [--token T]",
                    summary: "Manual dispatch to a unit below the node, or to a department of it or of this node; at a node above the holder (with --reason) a recall.", options: [
                        Option(name: "target", value: "NODE_ID", help: "the unit that gets the case (required)"),
                        Option(name: "department", value: "D", help: "one of the target's departments, which then holds the case (the target may be this node)"),
                        Option(name: "category", value: "C", help: "settles the topic and names the catalogue's department"),
                        Option(name: "reason", value: "R", help: "why; required for a recall"),
                        Option(name: "ruling", value: nil, help: "a ruling (裁定) on a case that was returned: the target may not return it again until allowed"),
                        url, token, data,
                    ]),
        CommandSpec(key: "case", synopsis: "case show|accept|progress|resolve|return|allow-return|extend|approve|refuse|supervise|answer|verdict|unreachable|check|check-finding|co-handle|summon|part-accept|part-answer|part-release CASE_ID [--note T] [--reply T] [--reason T] [--until TIME] [--answer-by TIME] [--satisfaction S] [--solved yes|no] [--comment T] [--then reopen|check] [--upheld yes|no] [--finding T] [--units U,U] [--part P] [--url URL] [--token T]",
                    summary: "Shows or acts on a case: the holder's actions at its node, approve/refuse/supervise at a node above it, the verdict steps at the city, co-handling parts and summonses.", options: [
                        Option(name: "note", value: "T", help: "for progress, supervise (the order) and answer (the answer to an order)"),
                        Option(name: "reply", value: "T", help: "for resolve: the answer to the citizen"),
                        Option(name: "reason", value: "T", help: "for return, allow-return, extend (why more time), approve and refuse"),
                        Option(name: "until", value: "TIME", help: "for extend (the due time asked for) and approve (the due time granted, required)"),
                        Option(name: "answer-by", value: "TIME", help: "for supervise: when the order must be answered (default: the policy's answer_within)"),
                        Option(name: "satisfaction", value: "S", help: "for verdict (a return visit, 回访): satisfied, basically_satisfied or unsatisfied"),
                        Option(name: "solved", value: "yes|no", help: "for verdict: was the problem solved"),
                        Option(name: "comment", value: "T", help: "for verdict: the citizen's words"),
                        Option(name: "then", value: "reopen|check", help: "for an unsatisfied verdict: reopen at the unit or send to the third-party check (default: the policy's reopen_limit decides)"),
                        Option(name: "upheld", value: "yes|no", help: "for check-finding: whether the check upholds the handling (yes closes, no reopens)"),
                        Option(name: "finding", value: "T", help: "for check-finding: what the check found"),
                        Option(name: "units", value: "U,U", help: "for co-handle and summon: units or departments, comma-separated (s990101002,d990101/区水务局)"),
                        Option(name: "part", value: "P", help: "for part-accept, part-answer (an answer or a summons report, with --note) and part-release (with --reason): the part's id"),
                        url, token, data,
                    ]),
        CommandSpec(key: "cases", synopsis: "cases [--state S] [--node ID] [--limit N] [--after CURSOR] [--overdue | --due-before TIME | --supervised | --parts] [--url URL] [--token T]",
                    summary: "Lists the cases a node stores, a page at a time.", options: [
                        Option(name: "state", value: "S", help: "pending, dispatched, accepted, resolved (waiting for the verdict), returned, checking or closed"),
                        Option(name: "node", value: "ID", help: "only cases held by this unit"),
                        Option(name: "limit", value: "N", help: "page size, 1 to 1000 (default 50)"),
                        Option(name: "after", value: "CURSOR", help: "the `next` of the previous page"),
                        Option(name: "overdue", value: nil, help: "open cases past their due time, soonest due first"),
                        Option(name: "due-before", value: "TIME", help: "open cases due before TIME (RFC 3339, e.g. 2026-12-04T08:00:00Z)"),
                        Option(name: "supervised", value: nil, help: "the supervision list: escalated, under a supervision order, or waiting for an extension answer"),
                        Option(name: "parts", value: nil, help: "cases held elsewhere in which the caller's unit has an open co-handling part or summons"),
                        url, token, data,
                    ]),
        CommandSpec(key: "token create", synopsis: "token create --config FILE --role R [--unit U] [--department D] [--name N] [--expires 90d]",
                    summary: "Creates a bearer token at the node and prints it on its own line, once: only its SHA-256 hash is kept. Works whether the node runs or not.", options: [
                        Option(name: "config", value: "FILE", help: "the node's config (required)"),
                        Option(name: "role", value: "R", help: "admin, dispatcher, handler, intake, viewer or revisit (required)"),
                        Option(name: "unit", value: "U", help: "the unit the role is bound to: the node (default) or one below it"),
                        Option(name: "department", value: "D", help: "for a handler: one department of that unit (区水务局); it reaches only the cases that department holds"),
                        Option(name: "name", value: "N", help: "the token's name, recorded as the actor of every change it makes (default role-xxxxxx)"),
                        Option(name: "expires", value: "D", help: "lifetime: 90d (default), 12h, 30m, or never"),
                    ]),
        CommandSpec(key: "token list", synopsis: "token list --config FILE [--json]", summary: "Lists the node's tokens (never the tokens themselves): name, role, unit, created, expiry, state.", options: [
            Option(name: "config", value: "FILE", help: "the node's config (required)"),
            Option(name: "json", value: nil, help: "print JSON"),
        ]),
        CommandSpec(key: "token revoke", synopsis: "token revoke --config FILE NAME", summary: "Revokes a token: it is refused from the next request on.", options: [
            Option(name: "config", value: "FILE", help: "the node's config (required)"),
        ]),
        CommandSpec(key: "backup", synopsis: "backup --config FILE --out FILE",
                    summary: "A consistent copy of a node's database taken while it runs (SQLite's online backup), 0600, integrity-checked.", options: [
                        Option(name: "config", value: "FILE", help: "the node's config (required)"),
                        Option(name: "out", value: "FILE", help: "the new backup file (required; never overwritten)"),
                    ]),
        CommandSpec(key: "restore", synopsis: "restore --config FILE --from BACKUP",
                    summary: "Puts a backup back as a stopped node's database (the old one kept beside it); the links resync with their peers at the next start.", options: [
                        Option(name: "config", value: "FILE", help: "the node's config (required)"),
                        Option(name: "from", value: "BACKUP", help: "a file written by civicmesh backup (required)"),
                    ]),
        CommandSpec(key: "calendar add-days", synopsis: "calendar add-days TIME N [--calendar FILE] [--calendar-days]",
                    summary: "The due time N working days after TIME (local time of the calendar's zone), on the working-day calendar.", options: [
                        Option(name: "calendar", value: "FILE", help: "a calendar file (default: mainland China 2026, built in)"),
                        Option(name: "calendar-days", value: nil, help: "count calendar days instead (weekends and holidays included)"),
                    ]),
        CommandSpec(key: "calendar add-hours", synopsis: "calendar add-hours TIME N [--calendar FILE] [--clock]",
                    summary: "The due time N working hours after TIME (working days, within working hours).", options: [
                        Option(name: "calendar", value: "FILE", help: "a calendar file (default: mainland China 2026, built in)"),
                        Option(name: "clock", value: nil, help: "count clock hours instead (nights and holidays included)"),
                    ]),
        CommandSpec(key: "calendar check", synopsis: "calendar check DATE [--calendar FILE]",
                    summary: "Whether a day is a working day, and why (weekday, public holiday, make-up working day); exit 0 for a working day, 1 for a day off.", options: [
                        Option(name: "calendar", value: "FILE", help: "a calendar file (default: mainland China 2026, built in)"),
                    ]),
        CommandSpec(key: "topology import", synopsis: "topology import --divisions FILE [--out FILE] [--prefix P]",
                    summary: "Turns an official division list into a topology.", options: [
                        Option(name: "divisions", value: "FILE", help: "the division list JSON (required)"),
                        Option(name: "out", value: "FILE", help: "where to write (default: standard output)"),
                        Option(name: "prefix", value: "P", help: "the case id prefix (default from the city's name)"),
                    ]),
        CommandSpec(key: "topology configs", synopsis: "topology configs --topology FILE --out DIR [--base-port N] [--host H] [--advertise H] [--hosts FILE] [--data-root DIR]",
                    summary: "Writes one config per node: ports in order, one fresh secret per link.", options: [
                        Option(name: "topology", value: "FILE", help: "the topology (required)"),
                        Option(name: "out", value: "DIR", help: "the folder for the configs (required)"),
                        Option(name: "base-port", value: "N", help: "node i gets HTTP on N+2i and mesh on N+2i+1 (default 7400)"),
                        Option(name: "host", value: "H", help: "the address each node listens on (default 127.0.0.1; 0.0.0.0 for all)"),
                        Option(name: "advertise", value: "H", help: "the host children dial to reach their parent, when it is not --host"),
                        Option(name: "hosts", value: "FILE", help: "JSON {node id: host}: each office's own host, for its children to dial"),
                        Option(name: "data-root", value: "DIR", help: "data_dir root, relative to each config's folder (default data)"),
                    ]),
        CommandSpec(key: "topology secrets", synopsis: "topology secrets --topology FILE --out DIR",
                    summary: "Writes one secrets file per node (mode 0600), one secret per link, for configs with secrets_file; files already there are kept.", options: [
                        Option(name: "topology", value: "FILE", help: "the topology (required)"),
                        Option(name: "out", value: "DIR", help: "the folder for the secrets files (required; made 0700)"),
                    ]),
        CommandSpec(key: "topology compose", synopsis: "topology compose [--topology FILE] [--out DIR]",
                    summary: "Writes docker-compose.yml, deploy/k8s/civicmesh.json and deploy/config/*.json for a topology.", options: [
                        Option(name: "topology", value: "FILE", help: "the topology (default: the sample city)"),
                        Option(name: "out", value: "DIR", help: "where (default: the current folder)"),
                    ]),
        CommandSpec(key: "topology sample", synopsis: "topology sample", summary: "Prints the built-in sample city's topology.", options: []),
        CommandSpec(key: "triage place", synopsis: "triage place [--divisions FILE | --topology FILE] [--division CODE] [--detail T] \"text\"",
                    summary: "Where a message would be placed and what type it is, with the reasons.", options: [
                        Option(name: "divisions", value: "FILE", help: "an official division list"),
                        Option(name: "topology", value: "FILE", help: "a topology (default: the sample city)"),
                        Option(name: "division", value: "CODE", help: "a division code given with the message"),
                        Option(name: "detail", value: "T", help: "the message's full text, for the request type"),
                    ]),
        CommandSpec(key: "triage duplicates", synopsis: "triage duplicates --data CSV [--threshold T] [--sample N]",
                    summary: "Replays a message file as new cases: repeat links, clusters, a sample to read.", options: [
                        Option(name: "data", value: "CSV", help: "the messages (required)"),
                        Option(name: "threshold", value: "T", help: "similarity for a repeat (default 0.4)"),
                        Option(name: "sample", value: "N", help: "links to print for reading (default 50)"),
                    ]),
        CommandSpec(key: "bench", synopsis: "bench [--stages | --timers [--due N] | --processes [--connections C] [--pipeline P] [--bytes B] [--rate R --seconds S] [--link-encryption off]] [--cases N] [--data DIR]",
                    summary: "Throughput from intake at the city to commit at the street: on a local in-process city, or (--processes) through city, district and street node processes, with CPU per case per node, latency and commit batch sizes.", options: [
            Option(name: "processes", value: nil, help: "run city, district and street as three node processes, as deployed"),
            Option(name: "stages", value: nil, help: "time one case's work at each tier, stage by stage on one thread (for callgrind)"),
            Option(name: "timers", value: nil, help: "time a timer tick beside --cases idle timers (default 1,000,000) and --due cases falling due (default 1,000)"),
            Option(name: "due", value: "N", help: "for --timers: cases whose escalation falls due"),
            Option(name: "cases", value: "N", help: "cases to post (default 5000 in process, 20000 with --processes)"),
            Option(name: "connections", value: "C", help: "keep-alive connections to the city (default 8)"),
            Option(name: "pipeline", value: "P", help: "requests in flight per connection (default 16)"),
            Option(name: "bytes", value: "B", help: "size of each case's JSON (default 1024)"),
            Option(name: "rate", value: "R", help: "send R cases/s on schedule and report latency from the intended send time"),
            Option(name: "seconds", value: "S", help: "how long --rate sends (default 10)"),
            Option(name: "warmup", value: "N", help: "cases sent and awaited before measuring (default 500)"),
            Option(name: "base-port", value: "PORT", help: "first port of the three nodes (default 17400; six ports)"),
            Option(name: "data", value: "DIR", help: "keep the databases here (default: a temporary folder, removed)"),
            Option(name: "link-encryption", value: "E", help: "required (default) or off: what sealing the mesh lines costs"),
        ]),
        CommandSpec(key: "version", synopsis: "version", summary: "Prints the version.", options: []),
    ]

    static func find(_ key: String) -> CommandSpec? { all.first { $0.key == key } }

    /// The overview printed by `civicmesh help` and on a usage error.
    static var overview: String {
        (["civicmesh — a mesh of city, district and street nodes for citizen requests (12345 / 311)", "", "usage:"]
            + all.map { "  civicmesh \($0.synopsis)" }
            + ["  civicmesh classify train|eval|cv|text …   (see `civicmesh classify help`)", "",
               "`civicmesh COMMAND --help` describes a command and its options."]).joined(separator: "\n")
    }
}
