import Foundation
import MPS
import Testing
import Workflows

/// How definition text is read: YAML and JSON alike, YAML 1.2 scalars, both step forms, the
/// shorthand forms, and the canonical form and its hash.
@Suite struct DefinitionReaderTests {
    static let storage: String = "OutputStorage: {Type: COS, CosOutputStorage: {Bucket: subtitles-1250000000, Region: ap-guangzhou}}"

    /// A one-step definition whose RawParameter holds `raw` (YAML flow members).
    static func oneStep(_ raw: String, extra: String = "") -> String {
        """
        name: scalars
        steps:
          main:
            request:
              \(storage)
              SmartSubtitlesTask:
                RawParameter: {SubtitleType: 0, VideoSrcLanguage: en\(raw.isEmpty ? "" : ", " + raw)}
        \(extra)
        """
    }

    static func parse(_ text: String, file: String = "test.yaml") throws -> WorkflowDefinition {
        let result = WorkflowDefinition.parse(text, file: file)
        if case .failure(let problems) = result { Issue.record("\(problems)") }
        return try result.get()
    }

    static func problems(_ text: String, file: String = "test.yaml") -> [DefinitionProblem] {
        if case .failure(let problems) = WorkflowDefinition.parse(text, file: file) { return problems.problems }
        Issue.record("parsed")
        return []
    }

    @Test func plainScalarsFollowYAML12NotYAML11() throws {
        let text = """
            name: scalars
            params: {flag: true, off: OFF, answer: no, count: 3, ratio: 0.5, hex: 0x10, quoted: "7"}
            steps:
              main:
                request:
                  \(Self.storage)
                  TasksPriority: -2
                  ResourceId: ~
                  SmartSubtitlesTask:
                    RawParameter:
                      SubtitleType: 0
                      VideoSrcLanguage: en
                      AsrHotWordsConfigure: {Switch: ON, LibraryId: hwl-1}
                      ExtInfo: yes
            """
        let definition = try Self.parse(text)
        #expect(definition.params == [
            "flag": .bool(true), "off": .string("OFF"), "answer": .string("no"), "count": .number(3), "ratio": .number(0.5),
            "hex": .number(16), "quoted": .string("7"),
        ])
        let request = try #require(definition.step("main")?.request)
        #expect(request["TasksPriority"] == .number(-2))
        #expect(request["ResourceId"] == .null)
        let raw = request["SmartSubtitlesTask"]?["RawParameter"]
        #expect(raw?["SubtitleType"] == .number(0))
        #expect(raw?["AsrHotWordsConfigure"]?["Switch"] == .string("ON"))
        #expect(raw?["ExtInfo"] == .string("yes"))
    }

    @Test func jsonReadsLikeYAML() throws {
        let yaml = try Self.parse(Self.oneStep("SubtitleFormat: vtt"))
        let json = """
            {"name": "scalars", "steps": {"main": {"request": {
              "OutputStorage": {"Type": "COS", "CosOutputStorage": {"Bucket": "subtitles-1250000000", "Region": "ap-guangzhou"}},
              "SmartSubtitlesTask": {"RawParameter": {"SubtitleType": 0, "VideoSrcLanguage": "en", "SubtitleFormat": "vtt"}}}}}}
            """
        let fromJSON = try Self.parse(json, file: "test.json")
        #expect(fromJSON == yaml)
        #expect(fromJSON.contentHash == yaml.contentHash)
    }

    @Test func listFormAndMappingFormAreTheSameDefinition() throws {
        let request = "request: {\(Self.storage), SmartSubtitlesTask: {RawParameter: {SubtitleType: 0, VideoSrcLanguage: en}}}"
        let mapping = try Self.parse("name: forms\nsteps:\n  b:\n    \(request)\n  a:\n    needs: b\n    \(request)\n")
        let list = try Self.parse("name: forms\nsteps:\n  - name: b\n    \(request)\n  - name: a\n    needs: [b]\n    \(request)\n")
        #expect(mapping.steps.map(\.name) == ["b", "a"])
        #expect(list == mapping)
        #expect(list.canonicalJSON == mapping.canonicalJSON)
    }

    @Test(arguments: [("90", 90), ("90s", 90), ("2m", 120), ("1h", 3600), ("0s", 0)])
    func delays(_ written: String, _ seconds: Int) throws {
        let definition = try Self.parse(Self.oneStep("", extra: "    delay: \(written)"))
        #expect(definition.step("main")?.delaySeconds == seconds)
    }

    @Test(arguments: ["2 minutes", "1d", "-5s", "1.5h", "s"])
    func badDelays(_ written: String) {
        let problems = Self.problems(Self.oneStep("", extra: "    delay: \"\(written)\""))
        #expect(problems.map(\.field) == ["delay"])
        #expect(problems.first?.step == "main")
    }

    @Test func inputShorthandsAndTheirObjectForm() throws {
        func inputs(_ written: String) throws -> InputSelection? {
            let text = """
                name: inputs
                steps:
                  first:
                    request: {\(Self.storage), SmartSubtitlesTask: {RawParameter: {SubtitleType: 0, VideoSrcLanguage: en}}}
                  second:
                    needs: first
                    inputs: \(written)
                    request: {\(Self.storage), SmartSubtitlesTask: {RawParameter: {SubtitleType: 0, VideoSrcLanguage: en}}}
                """
            return try Self.parse(text).step("second")?.inputs
        }
        #expect(try inputs("job") == .job)
        #expect(try inputs("succeeded(first)") == .succeeded("first"))
        #expect(try inputs("failed(first)") == .failed("first"))
        #expect(try inputs("all(first)") == .all("first"))
        #expect(try inputs("{from: first, where: FAIL}") == .failed("first"))
        #expect(try inputs("{from: first, where: {language: ja}}") == .from(step: "first", matching: OutputMatch(language: "ja")))
        #expect(try inputs("{from: first}") == .all("first"))
    }

    @Test func misspeltShorthandIsNamed() {
        let problems = Self.problems(Self.oneStep("", extra: "    inputs: succeded(main)"))
        #expect(problems.count == 1)
        #expect(problems.first?.field == "inputs")
        #expect(problems.first?.message.hasSuffix("did you mean \"succeeded(main)\"?") == true)
    }

    @Test func conditionForms() throws {
        let text = """
            name: conditions
            steps:
              first:
                request: {\(Self.storage), SmartSubtitlesTask: {RawParameter: {SubtitleType: 0, VideoSrcLanguage: en}}}
              second:
                needs: first
                when:
                  anyOf:
                    - {none: SUCCESS, of: first}
                    - not: {all: {status: FAIL, errorCode: SourceFileError}}
                    - allOf: [{any: {language: ja}}]
                request: {\(Self.storage), SmartSubtitlesTask: {RawParameter: {SubtitleType: 0, VideoSrcLanguage: en}}}
            """
        let when = try Self.parse(text).step("second")?.when
        #expect(when == .anyOf([
            .none(OutputMatch(state: .success), of: ["first"]),
            .not(.all(OutputMatch(state: .fail, errorCode: "SourceFileError"), of: nil)),
            .allOf([.any(OutputMatch(language: "ja"), of: nil)]),
        ]))
    }

    @Test func topLevelProblems() {
        let problems = Self.problems("nmae: x\nstpes: []\n")
        #expect(Set(problems.map(\.field)) == ["nmae", "stpes", "name", "steps"])
        #expect(problems.first { $0.field == "stpes" }?.message == "unknown field; did you mean \"steps\"?")
        #expect(problems.allSatisfy { $0.step == nil && $0.file == "test.yaml" })
    }

    @Test func textThatIsNotYAMLSaysWhere() {
        let problems = Self.problems("name: x\nsteps: [\n", file: "broken.yaml")
        #expect(problems.count == 1)
        #expect(problems.first?.field == "")
        #expect(problems.first?.message.hasPrefix("line ") == true)
        #expect(Self.problems("", file: "empty.yaml").first?.message.hasPrefix("is empty") == true)
    }

    @Test func aStepsNameIsItsKeyInTheMappingForm() {
        let problems = Self.problems(Self.oneStep("", extra: "    name: main"))
        #expect(problems.map(\.field) == ["name"])
        #expect(problems.first?.step == "main")
    }

    @Test func aListedStepWithoutANameIsReportedByItsPlace() {
        let problems = Self.problems("name: x\nsteps:\n  - request: {SmartSubtitlesTask: {Definition: 1}}\n")
        #expect(problems.map(\.field) == ["steps[0].name"])
    }

    @Test func ofBelongsOnlyWithAnyAllNone() {
        let problems = Self.problems("""
            name: x
            steps:
              a:
                request: {\(Self.storage), SmartSubtitlesTask: {Definition: 1}}
              b:
                needs: a
                when: {not: {any: FAIL}, of: [a]}
                request: {\(Self.storage), SmartSubtitlesTask: {Definition: 1}}
            """)
        #expect(problems.map(\.field) == ["when.of"])
    }

    @Test func contentHashIsTheSHA256OfTheCanonicalForm() throws {
        let definition = try Self.parse(Self.oneStep("SubtitleFormat: vtt"))
        #expect(definition.contentHash.count == 64)
        #expect(definition.contentHash.allSatisfy { "0123456789abcdef".contains($0) })
        // Comments, layout and the order of keys do not change it; a value does.
        let reformatted = try Self.parse("# a comment\n" + Self.oneStep("SubtitleFormat:   vtt"))
        #expect(reformatted.contentHash == definition.contentHash)
        let changed = try Self.parse(Self.oneStep("SubtitleFormat: srt"))
        #expect(changed.contentHash != definition.contentHash)
        #expect(definition.canonicalJSON.hasPrefix("{\"name\":\"scalars\",\"params\":{},\"steps\":[{\"delay\":0,\"inputs\":\"job\",\"maxRuns\":1,\"name\":\"main\",\"needs\":[]"))
    }
}
