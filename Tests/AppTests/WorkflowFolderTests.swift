import Foundation
import Testing
import Workflows

@testable import App

/// `WorkflowFolder`: which files a folder of workflows is, and what makes the whole folder refused.
@Suite struct WorkflowFolderTests {
    static func definition(_ name: String, version: Int? = nil, source: String = "en") -> String {
        """
        name: \(name)\(version.map { "\nversion: \($0)" } ?? "")
        steps:
          transcribe:
            request:
              OutputStorage: {Type: COS, CosOutputStorage: {Bucket: b-1250000000, Region: ap-guangzhou}}
              SmartSubtitlesTask: {Definition: 0, RawParameter: {SubtitleType: 0, VideoSrcLanguage: \(source), SubtitleFormat: vtt}}
        """
    }

    static func withFolder<Result>(_ files: [String: String], _ body: (String) throws -> Result) throws -> Result {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, text) in files { try Data(text.utf8).write(to: folder.appendingPathComponent(name)) }
        return try body(folder.path)
    }

    @Test func onlyVisibleYAMLAndJSONFilesAreReadInNameOrder() throws {
        let json = #"{"name":"c","steps":[{"name":"transcribe","request":{"OutputStorage":{"Type":"COS","CosOutputStorage":{"Bucket":"b-1250000000","Region":"ap-guangzhou"}},"SmartSubtitlesTask":{"Definition":0,"RawParameter":{"SubtitleType":0,"VideoSrcLanguage":"en","SubtitleFormat":"vtt"}}}}]}"#
        let files = try Self.withFolder([
            "b.yml": Self.definition("b"), "a.yaml": Self.definition("a"), "c.JSON": json,
            ".hidden.yaml": "not: [valid", "notes.txt": "ignored", "README.md": "ignored",
        ]) { folder in try WorkflowFolder(directory: folder).read() }
        #expect(files.map(\.definition.name) == ["a", "b", "c"])
        #expect(files.allSatisfy { !$0.source.isEmpty })
    }

    @Test func twoFilesForOneWorkflowWithoutTheirOwnVersionsAreRefusedNamingBoth() throws {
        let problems = try Self.withFolder([
            "one.yaml": Self.definition("same"), "two.yaml": Self.definition("same", source: "ja"),
            "v1.yaml": Self.definition("kept", version: 1), "v2.yaml": Self.definition("kept", version: 2, source: "ja"),
        ]) { folder -> [DefinitionProblem] in
            do throws(WorkflowFolderProblems) {
                _ = try WorkflowFolder(directory: folder).read()
                Issue.record("the folder was accepted")
                return []
            } catch {
                return error.problems
            }
        }
        // Distinct versions of one workflow are fine; two unversioned files are not.
        #expect(problems.count == 1)
        #expect(problems.first?.file.hasSuffix("two.yaml") == true)
        #expect(problems.first?.message.contains("one.yaml") == true)
    }

    @Test func everyProblemOfEveryFileIsReportedAndAMissingFolderIsOne() throws {
        let failure = try Self.withFolder([
            "a.yaml": "name: a\nsteps: {}\ncolour: blue\n", "b.yaml": "name: [unclosed", "ok.yaml": Self.definition("ok"),
        ]) { folder -> WorkflowFolderProblems? in
            do throws(WorkflowFolderProblems) {
                _ = try WorkflowFolder(directory: folder).read()
                return nil
            } catch {
                return error
            }
        }
        let problems = try #require(failure).problems
        #expect(Set(problems.map { ($0.file as NSString).lastPathComponent }) == ["a.yaml", "b.yaml"])
        #expect(problems.contains { $0.field == "colour" })
        #expect(failure?.description.hasPrefix("the workflow definitions are not all valid (\(problems.count) problems); none was stored:\n  ") == true)

        #expect(throws: WorkflowFolderProblems.self) { try WorkflowFolder(directory: "/nonexistent/workflows").read() }
    }
}
