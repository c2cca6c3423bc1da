import CivicCases
import CivicNode
import CivicTriage
import Foundation

/// `civicmesh triage …`: the automatic-dispatch decisions on their own, for operators and for measuring.
enum TriageCommands {
    static func run(_ args: [String]) throws -> Int32 {
        guard let sub = args.first else { throw UsageError("triage needs place, duplicates or text") }
        let rest = Array(args.dropFirst())
        switch sub {
        case "duplicates":
            // Replays a message file as new cases in time order and reports the links found.
            let a = try Arguments(rest, command: "triage duplicates")
            let threshold = Double(a["threshold"] ?? "0.4") ?? 0.4
            print(DuplicateStudy.run(csvPath: try a.required("data"), threshold: threshold, sampleSize: try a.int("sample", default: 50)))
            return 0
        case "place", "text":
            // One message (or address) through the gazetteer and the request-type rules.
            let a = try Arguments(rest, command: "triage place")
            let topology: Topology
            if let path = a["divisions"] {
                guard let data = FileManager.default.contents(atPath: path) else { throw UsageError("cannot read \(path)") }
                topology = try Topology.fromDivisions(json: data)
            } else {
                topology = try a["topology"].map(TopologyCommands.loadTopology) ?? SampleTopology.load()
            }
            guard let text = a.positional.first else { throw UsageError("triage \(sub) needs the text, e.g. triage place \"江岸区大智街道中山大道1号\"") }
            let place = Gazetteer(topology: topology).locate(address: text, divisionCode: a["division"])
            switch place.outcome {
            case .placed(let id): print("place: \(id) \(topology.find(id)?.name ?? "")")
            case .ambiguous(let candidates): print("place: ambiguous between \(candidates.joined(separator: ", "))")
            case .unknown: print("place: unknown")
            }
            print("  why: \(place.reason)")
            let type = RequestTypeClassifier.classify(subject: text, detail: a["detail"] ?? "")
            print("type: \(type.type.rawValue)\n  why: \(type.reason)")
            return 0
        default:
            throw UsageError("unknown triage subcommand \"\(sub)\"")
        }
    }
}
