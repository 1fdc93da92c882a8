import Foundation
import API
import MPS
import Store
import Testing
import Workflows

/// `callbackUrl` in both kinds of job body: read into the job, refused at its field when bad.
@Suite struct CallbackURLBodyTests {
    static func oneStep(_ callback: String) -> String {
        #"""
        {\#(callback)"inputUrls":["https://e.com/a.mp4"],
         "request":{"OutputStorage":{"Type":"COS","CosOutputStorage":{"Bucket":"b-1250000000","Region":"ap-guangzhou"}},
                    "OutputDir":"/subs/","SmartSubtitlesTask":{"Definition":0,"RawParameter":{"SubtitleType":0,"VideoSrcLanguage":"en","SubtitleFormat":"vtt"}}}}
        """#
    }

    static func workflow(_ callback: String) -> String {
        #"{\#(callback)"workflow":"subs","inputUrls":["https://e.com/a.mp4"]}"#
    }

    @Test func aOneStepJobKeepsItsCallbackURL() throws {
        let body = try JobBody.parse(Array(Self.oneStep(#""callbackUrl":"https://hooks.example.com/done?k=1","#).utf8)).get()
        #expect(body.callbackURL?.text == "https://hooks.example.com/done?k=1")
        guard case .request(let request) = body else { throw TestFailure() }
        #expect(request.makeJob().callbackURL == "https://hooks.example.com/done?k=1")
    }

    @Test func aWorkflowJobKeepsItsCallbackURLAndNullIsAbsent() throws {
        let body = try JobBody.parse(Array(Self.workflow(#""callbackUrl":"http://hooks.example.com/x","#).utf8)).get()
        #expect(body.callbackURL?.host == "hooks.example.com")
        let none = try JobBody.parse(Array(Self.workflow(#""callbackUrl":null,"#).utf8)).get()
        #expect(none.callbackURL == nil)
        let oneStepNone = try JobBody.parse(Array(Self.oneStep("").utf8)).get()
        #expect(oneStepNone.callbackURL == nil)
    }

    @Test(arguments: [
        #""callbackUrl":"ftp://e.com/","#, #""callbackUrl":"http://u:p@e.com/","#, #""callbackUrl":42,"#, #""callbackUrl":"","#,
        #""callbackUrl":"http://e.com/\#(String(repeating: "a", count: 2000))","#,
    ])
    func aBadCallbackURLIsAProblemAtItsField(member: String) {
        for text in [Self.oneStep(member), Self.workflow(member)] {
            guard case .failure(let problems) = JobBody.parse(Array(text.utf8)) else {
                Issue.record("accepted \(member)")
                continue
            }
            #expect(problems.map(\.field) == ["callbackUrl"], "\(problems)")
        }
    }
}

struct TestFailure: Error {}
