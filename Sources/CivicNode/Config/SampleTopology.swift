import CivicCases
import Foundation

/// The project's own small sample city (fictional names and codes), the default for `civicmesh up`:
/// one city, three districts, eight streets.
public enum SampleTopology {
    /// The smallest chain through every tier, as deployed: the city, its first district, that district's
    /// first street (the benchmarks and the end-to-end process tests).
    public static func chain() -> Topology {
        var topology = load()
        var district = topology.root.children[0]
        district.children = [district.children[0]]
        topology.root.children = [district]
        return topology
    }

    public static let json = """
    {
      "case_prefix": "JC",
      "root": {
        "id": "city", "tier": "city", "name": "江城市", "codes": ["9901"],
        "departments": ["市城市管理委员会", "市水务局", "市市场监督管理局"],
        "children": [
          { "id": "d990101", "tier": "district", "name": "东湖区", "codes": ["990101"],
            "departments": ["区城管局", "区水务局", "区市场监管局"],
            "children": [
              { "id": "s990101001", "tier": "street", "name": "湖滨街道", "codes": ["990101001"] },
              { "id": "s990101002", "tier": "street", "name": "梨园街道", "codes": ["990101002"] },
              { "id": "s990101003", "tier": "street", "name": "珞珈街道", "codes": ["990101003"] }
            ] },
          { "id": "d990102", "tier": "district", "name": "南山区", "codes": ["990102"],
            "children": [
              { "id": "s990102001", "tier": "street", "name": "南门街道", "codes": ["990102001"] },
              { "id": "s990102002", "tier": "street", "name": "青石街道", "codes": ["990102002"] }
            ] },
          { "id": "d990103", "tier": "district", "name": "西岭区", "codes": ["990103"],
            "children": [
              { "id": "s990103001", "tier": "street", "name": "枫林街道", "codes": ["990103001"] },
              { "id": "s990103002", "tier": "street", "name": "龙湾街道", "codes": ["990103002"] },
              { "id": "s990103003", "tier": "street", "name": "白沙镇", "codes": ["990103003"] }
            ] }
        ]
      },
      "handled_at": { "劳动和社会保障": "district" },
      "catalogue": {
        "城乡建设": { "city": "市住房和城乡建设局", "district": "区住建局", "street": "街道城建科" },
        "环境保护": { "city": "市生态环境局", "district": "区生态环境分局", "street": "街道环卫所" },
        "交通运输": { "city": "市交通运输局", "district": "区交通大队", "street": "街道综合执法队" },
        "教育文体": { "city": "市教育局", "district": "区教育局", "street": "街道文化站" },
        "劳动和社会保障": { "city": "市人社局", "district": "区人社局", "street": "街道社保所" },
        "商贸旅游": { "city": "市商务局", "district": "区商务局", "street": "街道市场所" },
        "卫生计生": { "city": "市卫健委", "district": "区卫健局", "street": "社区卫生服务中心" }
      }
    }
    """

    public static func load() -> Topology {
        // The literal above is part of the program; failing to decode it is a build defect.
        try! JSONDecoder().decode(Topology.self, from: Data(json.utf8))
    }
}
