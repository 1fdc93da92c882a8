public import MPS
public import Workflows

/// Hand-built workflows the planner's unit tests and the database tests share, with requests
/// that are valid for the MPS validator once rendered.
public enum PlannerFixtures {
    /// Three job inputs.
    public static let inputs = ["https://media.example/a.mp4", "https://media.example/b.mp4", "https://media.example/c.mp4"]

    /// A recognition (or, with `translate`, translation) request template.
    public static func request(
        language: String = "{source}", translate: String? = nil, directory: String = "/subtitles/{job}/{step}/"
    ) -> [String: JSONValue] {
        var raw: [String: JSONValue] = ["SubtitleType": 0, "VideoSrcLanguage": .string(language), "SubtitleFormat": "vtt"]
        if let translate {
            raw["SubtitleType"] = 1
            raw["TranslateSwitch"] = "ON"
            raw["TranslateDstLanguage"] = .string(translate)
        }
        return [
            "OutputStorage": ["Type": "COS", "CosOutputStorage": ["Bucket": "subs-1250000000", "Region": "ap-guangzhou"]],
            "OutputDir": .string(directory),
            "SmartSubtitlesTask": ["Definition": 0, "RawParameter": .object(raw)],
        ]
    }

    /// Transcribe every input, then translate the ones that succeeded into each of `languages`.
    public static let transcribeThenTranslate = WorkflowDefinition(
        name: "transcribe-then-translate",
        params: ["source": .string("en"), "languages": .list(["ja", "ko"])],
        steps: [
            StepTemplate(name: "transcribe", request: request()),
            StepTemplate(
                name: "translate", needs: ["transcribe"], when: .any(OutputMatch(state: .success), of: nil),
                inputs: .succeeded("transcribe"), forEach: ForEach(variable: "lang", values: .parameter("languages")),
                request: request(translate: "{lang}", directory: "/subtitles/{job}/{step}/{lang}/")
            ),
        ]
    )

    /// Two independent roots, and a step that needs both.
    public static let fanIn = WorkflowDefinition(
        name: "fan-in", params: ["source": .string("en")],
        steps: [
            StepTemplate(name: "vtt", request: request()),
            StepTemplate(name: "srt", request: request(translate: "zh")),
            StepTemplate(name: "both", needs: ["vtt", "srt"], inputs: .succeeded("vtt"), request: request(translate: "ja")),
        ]
    )
}
