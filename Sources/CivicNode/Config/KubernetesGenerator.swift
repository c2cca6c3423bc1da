import CivicCases
import Foundation

/// Kubernetes manifests for a topology (`deploy/k8s/civicmesh.json`, a `List` kubectl applies as is): per node a
/// Service (its HTTP and mesh ports; children reach their parent by the Service's name, as in compose) and a
/// StatefulSet of one pod with its own PersistentVolumeClaim. The configs are the compose ones, from a ConfigMap;
/// link secrets come from one Secret the operator creates from `civicmesh topology secrets`, copied by an init
/// container into a private in-memory folder, 0600 and owned by the node's user, as the node insists.
public enum KubernetesGenerator {
    public static let configMap = "civicmesh-config"
    public static let secret = "civicmesh-link-secrets"
    public static let nodeUser = 10001

    public static func manifests(for topology: Topology, image: String = "civicmesh:latest") -> [String: Any] {
        var items: [[String: Any]] = []
        for node in topology.allNodes {
            let labels: [String: Any] = ["app.kubernetes.io/name": "civicmesh", "app.kubernetes.io/instance": node.id, "civicmesh/tier": node.tier.rawValue]
            items.append([
                "apiVersion": "v1", "kind": "Service",
                "metadata": ["name": node.id, "labels": labels],
                "spec": ["selector": ["app.kubernetes.io/instance": node.id],
                         "ports": [["name": "http", "port": ComposeGenerator.httpPort, "targetPort": "http"],
                                   ["name": "mesh", "port": ComposeGenerator.meshPort, "targetPort": "mesh"]]],
            ])
            let copySecret = "install -m 0600 -o \(nodeUser) -g \(nodeUser) /secrets-in/\(node.id).json \(ComposeGenerator.secretsDir)/\(node.id).json"
            items.append([
                "apiVersion": "apps/v1", "kind": "StatefulSet",
                "metadata": ["name": node.id, "labels": labels],
                "spec": [
                    "serviceName": node.id, "replicas": 1,
                    "selector": ["matchLabels": ["app.kubernetes.io/instance": node.id]],
                    "template": [
                        "metadata": ["labels": labels],
                        "spec": [
                            // SIGTERM, then the grace the node's drain needs.
                            "terminationGracePeriodSeconds": 30,
                            "securityContext": ["fsGroup": nodeUser],
                            "initContainers": [[
                                "name": "link-secret", "image": image, "command": ["sh", "-c", copySecret],
                                "securityContext": ["runAsUser": 0, "runAsNonRoot": false, "allowPrivilegeEscalation": false],
                                "volumeMounts": [["name": "secrets-in", "mountPath": "/secrets-in", "readOnly": true],
                                                 ["name": "secrets", "mountPath": ComposeGenerator.secretsDir]],
                            ]],
                            "containers": [[
                                "name": "civicmesh", "image": image,
                                "args": ["node", "--config", "/etc/civicmesh/node.json"],
                                "env": [["name": "CIVICMESH_LOG_FORMAT", "value": "json"]],
                                "ports": [["name": "http", "containerPort": ComposeGenerator.httpPort], ["name": "mesh", "containerPort": ComposeGenerator.meshPort]],
                                "readinessProbe": ["httpGet": ["path": "/healthz", "port": "http"], "periodSeconds": 5, "failureThreshold": 2],
                                "livenessProbe": ["httpGet": ["path": "/healthz", "port": "http"], "periodSeconds": 10, "failureThreshold": 6],
                                "securityContext": ["runAsUser": nodeUser, "runAsGroup": nodeUser, "runAsNonRoot": true, "readOnlyRootFilesystem": true,
                                                    "allowPrivilegeEscalation": false, "capabilities": ["drop": ["ALL"]]],
                                "volumeMounts": [["name": "data", "mountPath": "/var/lib/civicmesh"],
                                                 ["name": "config", "mountPath": "/etc/civicmesh", "readOnly": true],
                                                 ["name": "secrets", "mountPath": ComposeGenerator.secretsDir, "readOnly": true],
                                                 // SQLite's temporary files (the root filesystem is read-only).
                                                 ["name": "tmp", "mountPath": "/tmp"]],
                            ]],
                            "volumes": [
                                ["name": "config", "configMap": ["name": configMap, "items": [["key": "\(node.id).json", "path": "node.json"]]]],
                                ["name": "secrets-in", "secret": ["secretName": secret, "items": [["key": "\(node.id).json", "path": "\(node.id).json"]], "defaultMode": 0o400]],
                                ["name": "secrets", "emptyDir": ["medium": "Memory"]],
                                ["name": "tmp", "emptyDir": [String: Any]()],
                            ],
                        ],
                    ],
                    "volumeClaimTemplates": [[
                        "metadata": ["name": "data"],
                        "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "10Gi"]]],
                    ]],
                ],
            ])
        }
        return ["apiVersion": "v1", "kind": "List", "items": items]
    }

    public static func json(for topology: Topology) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: manifests(for: topology), options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]), as: UTF8.self) + "\n"
    }
}
