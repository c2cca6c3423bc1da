import CivicNode
import Foundation

/// `civicmesh restore --config FILE --from BACKUP`: a backup back in place of a stopped node's database, prepared
/// to resync with its peers at its next start (NodeRestore, docs/protocol.md §3.4). What the resync finds lost
/// here is logged by the node and shown per link in `/status` (`restore_losses`).
enum RestoreCommand {
    static func run(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, command: "restore")
        let config = try NodeConfig.load(path: try a.required("config"))
        let backup = try a.required("from")
        let report: NodeRestore.Report
        do { report = try NodeRestore.restore(config: config, from: backup) } catch let failure as NodeRestore.Failure {
            throw UsageError("cannot restore \(config.id): \(failure.description)")
        }
        print("restored \(config.id) from \(backup): \(report.cases) cases, \(report.events) events → \(report.database)")
        if let kept = report.keptAs { print("the database it replaced is kept at \(kept) (with its -wal and -shm)") }
        switch report.tokensCarried {
        case .some(let n): print("tokens: \(n) carried over from the replaced database (tokens created or revoked since the backup stay so)")
        case .none: print("tokens: as of the backup (no readable database to carry them from): revoke again any token revoked since")
        }
        for link in report.links {
            print("link \(link.peer): resyncs at the next handshake (the backup had sent up to seq \(link.nextOut - 1) and applied \(link.appliedIn) from it)")
        }
        print("new event numbers start at \(report.nextEvent), case numbers above \(report.caseNumberFloor) (restore number \(report.restores))")
        print("start the node: each link's resync logs what this node no longer holds, also shown in /status as restore_losses")
        return 0
    }
}
