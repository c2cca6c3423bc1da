import Foundation
import Testing
@testable import CivicCases

/// The access table walked cell by cell against an expectation written out independently, then the case
/// reach and the masking rules.
@Suite struct AccessRulesTests {
    /// Endpoint → the roles allowed, written here by hand from the role descriptions.
    static let expected: [Endpoint: Set<Role>] = [
        .health: [],  // public: no token needed, so no role is asked
        .status: [.admin, .dispatcher, .handler, .viewer, .revisit],
        .metrics: [.admin, .dispatcher, .viewer],
        .listCases: [.admin, .dispatcher, .handler, .viewer, .revisit],
        .events: [.admin, .dispatcher, .handler, .viewer, .revisit],
        .showCase: [.admin, .dispatcher, .handler, .viewer, .intake, .revisit],
        .intake: [.admin, .intake],
        .accept: [.admin, .handler], .progress: [.admin, .handler], .resolve: [.admin, .handler],
        .returnUp: [.admin, .handler, .dispatcher],
        .assign: [.admin, .dispatcher], .allowReturn: [.admin, .dispatcher],
        .extend: [.admin, .handler], .answer: [.admin, .handler],
        .approveExtension: [.admin, .dispatcher], .refuseExtension: [.admin, .dispatcher], .supervise: [.admin, .dispatcher],
        .coHandle: [.admin, .dispatcher], .summon: [.admin, .handler, .dispatcher], .partAccept: [.admin, .handler], .partAnswer: [.admin, .handler],
        .partRelease: [.admin, .dispatcher],
        .verdict: [.admin, .revisit], .unreachable: [.admin, .revisit], .check: [.admin, .dispatcher], .checkFinding: [.admin, .dispatcher],
        .trackPage: [], .trackCase: [], .trackVerdict: [], .open311Read: [], .open311Create: [],  // public: the citizen has no token; the phone number is the check
        .unknownAction: Set(Role.allCases),
        .listTokens: [.admin], .createToken: [.admin], .revokeToken: [.admin],
    ]

    @Test func everyEndpointAndRoleDecidesAsExpected() {
        #expect(Set(Self.expected.keys) == Set(Endpoint.allCases), "every endpoint has an expectation")
        #expect(AccessRules.publicEndpoints == [.health, .trackPage, .trackCase, .trackVerdict, .open311Read, .open311Create])
        for endpoint in Endpoint.allCases where !AccessRules.publicEndpoints.contains(endpoint) {
            for role in Role.allCases {
                switch AccessRules.decide(endpoint, role: role) {
                case .allowed:
                    #expect(Self.expected[endpoint]!.contains(role), "\(role) must not reach \(endpoint)")
                case .denied(let rule):
                    #expect(!Self.expected[endpoint]!.contains(role), "\(role) must reach \(endpoint)")
                    #expect(rule.contains(endpoint.rawValue) && rule.contains(role.rawValue), "the rule names the endpoint and the role: \(rule)")
                }
            }
        }
    }

    static let city = TopologyNode(id: "city", tier: .city, name: "市", children: [
        TopologyNode(id: "d1", tier: .district, name: "东区", children: [TopologyNode(id: "s11", tier: .street, name: "街道")]),
        TopologyNode(id: "d2", tier: .district, name: "西区", children: [TopologyNode(id: "s21", tier: .street, name: "街道")]),
    ])

    func facts(holder: String, createdBy: String? = "web", intake: String = "city") -> AccessRules.CaseFacts {
        AccessRules.CaseFacts(id: "JC-1", holder: holder, createdBy: createdBy, intake: intake)
    }

    @Test func aHandlerBoundToADepartmentReachesOnlyWhatThatDepartmentHolds() {
        let water = Principal(name: "water-li", role: .handler, boundTo: "d1/区水务局")
        #expect(water.unit == "d1" && water.department == "区水务局")
        func held(_ department: String?) -> AccessRules.CaseFacts {
            AccessRules.CaseFacts(id: "C1", holder: "d1", createdBy: nil, intake: "city", holdingDepartment: department)
        }
        #expect(AccessRules.check(.heldByUnit, water, at: Self.city, held("区水务局")) == nil)
        #expect(AccessRules.check(.heldByUnit, water, at: Self.city, held("区人社局"))?.contains("not with 区水务局") == true)
        #expect(AccessRules.check(.heldByUnit, water, at: Self.city, held(nil)) != nil, "a case the district holds as a whole is not the department's")
        let districtStaff = Principal(name: "d1-staff", role: .handler, boundTo: "d1")
        #expect(districtStaff.department == nil && AccessRules.check(.heldByUnit, districtStaff, at: Self.city, held("区水务局")) == nil, "the unit's own handler reaches all of it")
    }

    @Test func reachLimitsWhichCasesARoleTouches() {
        let viewerOfD1 = Principal(name: "leader", role: .viewer, unit: "d1")
        #expect(AccessRules.check(.subtree, viewerOfD1, at: Self.city, facts(holder: "s11")) == nil)
        #expect(AccessRules.check(.subtree, viewerOfD1, at: Self.city, facts(holder: "d1")) == nil)
        #expect(AccessRules.check(.subtree, viewerOfD1, at: Self.city, facts(holder: "s21"))?.contains("outside the subtree of d1") == true)
        #expect(AccessRules.check(.subtree, viewerOfD1, at: Self.city, facts(holder: "city")) != nil)
        let handler = Principal(name: "王", role: .handler, unit: "s11")
        #expect(AccessRules.check(.heldByUnit, handler, at: Self.city, facts(holder: "s11")) == nil)
        #expect(AccessRules.check(.heldByUnit, handler, at: Self.city, facts(holder: "d1"))?.contains("not by s11") == true)
        let web = Principal(name: "web", role: .intake, unit: "city")
        #expect(AccessRules.check(.ownCases, web, at: Self.city, facts(holder: "s11")) == nil)
        #expect(AccessRules.check(.ownCases, web, at: Self.city, facts(holder: "s11", createdBy: "wechat")) != nil)
        #expect(AccessRules.check(.ownCases, web, at: Self.city, facts(holder: "s11", intake: "s11")) != nil, "a same-named token elsewhere is not this one")
        #expect(AccessRules.check(.node, viewerOfD1, at: Self.city, facts(holder: "s21")) == nil)
    }

    @Test func personalDataIsShownOnlyToThoseWhoHandleIt() {
        #expect(AccessRules.seesPersonalData(Principal(name: "a", role: .admin, unit: "city"), holder: "s11"))
        #expect(AccessRules.seesPersonalData(Principal(name: "d", role: .dispatcher, unit: "city"), holder: "s11"))
        #expect(AccessRules.seesPersonalData(Principal(name: "h", role: .handler, unit: "s11"), holder: "s11"))
        #expect(!AccessRules.seesPersonalData(Principal(name: "h", role: .handler, unit: "s11"), holder: "d1"))
        #expect(!AccessRules.seesPersonalData(Principal(name: "v", role: .viewer, unit: "city"), holder: "s11"))
        #expect(!AccessRules.seesPersonalData(Principal(name: "i", role: .intake, unit: "city"), holder: "s11"))
        #expect(PersonalData.maskName("张三") == "张*" && PersonalData.maskName("欧阳修") == "欧**" && PersonalData.maskName("") == "")
        #expect(PersonalData.maskPhone("13800000001") == "138****0001")
        #expect(PersonalData.maskPhone("+8613800000001") == "+86*******0001")
        #expect(PersonalData.maskPhone("12345") == "***45")
    }

    @Test func aTokenBucketAllowsItsBurstThenItsRate() {
        var limiter = RateLimiter<String>(rate: 2, burst: 4)
        let allowed = (0..<10).filter { _ in limiter.take("web", now: 100) == nil }.count
        #expect(allowed == 4, "a burst of 4 at once")
        let wait = limiter.take("web", now: 100)
        #expect(wait != nil && abs(wait! - 0.5) < 1e-9, "one more in half a second at 2/s")
        #expect(limiter.take("web", now: 100.5) == nil)
        #expect(limiter.take("other", now: 100) == nil, "each key has its own bucket")
    }
}

/// What a parent may tell a child: only about cases it sent down.
@Suite struct ParentAuthorityTests {
    @Test func aParentsUpdateAboutACaseNeverDispatchedHereIsRefused() {
        let c = Case(id: "JC-1", channel: .hotline, citizen: Citizen(), subject: "x", detail: "", location: Location(), intake: "city",
                     createdAt: Date(timeIntervalSince1970: 0), state: .dispatched, holder: "s2")
        let event = CaseEvent(id: "city-9", caseId: "JC-1", at: Date(), node: "city", actor: "system", action: .assigned, state: .dispatched, holder: "s2")
        #expect(PeerRules.checkNewHeader(c, first: event, from: .parent)?.code == "not_in_subtree")
        let created = CaseEvent(id: "s1-1", caseId: "JC-1", at: Date(), node: "s1", actor: "x", action: .created, state: .dispatched, holder: "s2")
        #expect(PeerRules.checkNewHeader(c, first: created, from: .child("s1"))?.code == "invalid_event", "a child's new case must have entered where it says")
    }
}
