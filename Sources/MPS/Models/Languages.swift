/// `RawParameter.VideoSrcLanguage`: a source-language code MPS accepts. Holds only one of the 162
/// codes of the SDK's list for ASR and pure subtitle translation, or `multi` (OCR only); codes are
/// case-sensitive and mix `_` (`zh_en`) and `-` (`en-US`). Which codes fit which `ProcessType`
/// (OCR takes only `zh_en` and `multi`) is checked by `BatchProcessMediaValidator`.
public struct SourceLanguage: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The code as sent.
    public let code: String

    /// Accepts a code from `asrCodes` or `ocrCodes`.
    public init(_ code: String) throws(ValidationProblem) {
        guard Self.allCodes.contains(code) else { throw Self.problem(for: code) }
        self.code = code
    }

    private init(unchecked code: String) {
        self.code = code
    }

    /// Auto-detect (ASR only).
    public static let auto = SourceLanguage(unchecked: "auto")
    /// Chinese.
    public static let zh = SourceLanguage(unchecked: "zh")
    /// English.
    public static let en = SourceLanguage(unchecked: "en")
    /// Japanese.
    public static let ja = SourceLanguage(unchecked: "ja")
    /// Chinese and English (the OCR value for Chinese/English text).
    public static let zhEn = SourceLanguage(unchecked: "zh_en")
    /// Other languages (OCR only).
    public static let multi = SourceLanguage(unchecked: "multi")

    /// The 162 codes accepted for ASR (`ProcessType` 0) and pure translation (`ProcessType` 1), in the SDK's order.
    public static let asrCodes: [String] = [
        "auto", "zh", "en", "ja", "ko", "zh-PY", "zh_medical", "vi", "ms", "id", "fil", "th", "pt", "tr",
        "ar", "es", "hi", "fr", "de", "it", "zh_dialect", "zh_en", "yue", "ru", "prime_zh", "af-ZA",
        "sq-AL", "am-ET", "ar-DZ", "ar-BH", "ar-EG", "ar-IQ", "ar-IL", "ar-JO", "ar-KW", "ar-LB", "ar-MR",
        "ar-MA", "ar-OM", "ar-QA", "ar-SA", "ar-PS", "ar-SY", "ar-TN", "ar-AE", "ar-YE", "hy-AM", "az-AZ",
        "eu-ES", "bn-BD", "bn-IN", "bs-BA", "bg-BG", "my-MM", "ca-ES", "hr-HR", "cs-CZ", "da-DK", "nl-BE",
        "nl-NL", "en-AU", "en-CA", "en-GH", "en-HK", "en-IN", "en-IE", "en-KE", "en-NZ", "en-NG", "en-PK",
        "en-PH", "en-SG", "en-ZA", "en-TZ", "en-GB", "en-US", "et-EE", "fil-PH", "fi-FI", "fr-BE", "fr-CA",
        "fr-FR", "fr-CH", "gl-ES", "ka-GE", "el-GR", "gu-IN", "iw-IL", "hi-IN", "hu-HU", "is-IS", "id-ID",
        "it-IT", "it-CH", "ja-JP", "jv-ID", "kn-IN", "kk-KZ", "km-KH", "rw-RW", "ko-KR", "lo-LA", "lv-LV",
        "lt-LT", "mk-MK", "ms-MY", "ml-IN", "mr-IN", "mn-MN", "ne-NP", "no-NO", "fa-IR", "pl-PL", "pt-BR",
        "pt-PT", "ro-RO", "ru-RU", "sr-RS", "si-LK", "sk-SK", "sl-SI", "st-ZA", "es-AR", "es-BO", "es-CL",
        "es-CO", "es-CR", "es-DO", "es-EC", "es-SV", "es-GT", "es-HN", "es-MX", "es-NI", "es-PA", "es-PY",
        "es-PE", "es-PR", "es-ES", "es-US", "es-UY", "es-VE", "su-ID", "sw-KE", "sw-TZ", "sv-SE", "ta-IN",
        "ta-MY", "ta-SG", "ta-LK", "te-IN", "th-TH", "ts-ZA", "tr-TR", "uk-UA", "ur-IN", "ur-PK", "uz-UZ",
        "ve-ZA", "vi-VN", "xh-ZA", "zu-ZA",
    ]

    /// The codes accepted for OCR (`ProcessType` 2).
    public static let ocrCodes: [String] = ["zh_en", "multi"]

    static let asrCodeSet = Set(asrCodes)
    static let allCodes = Set(asrCodes).union(ocrCodes)

    static func problem(for code: String) -> ValidationProblem {
        ValidationProblem(
            field: "SmartSubtitlesTask.RawParameter.VideoSrcLanguage",
            message:
                "\(Quote.value(code)) is not a source-language code MPS accepts (e.g. zh, en, ja, zh_en, en-US; case-sensitive)",
            errorCode: ErrorCode.videoSrcLanguage
        )
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let code = try container.decode(String.self)
        guard Self.allCodes.contains(code) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: Self.problem(for: code).message)
        }
        self.code = code
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.code)
    }

    public var description: String { self.code }
}

/// One `TranslateDstLanguage` code: holds only one of the 190 codes of the SDK's list
/// (case-sensitive, e.g. `en`, `zh-TW`, `pt-BR`).
public struct TargetLanguage: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The code as sent.
    public let code: String

    /// Accepts a code from `codes`.
    public init(_ code: String) throws(ValidationProblem) {
        guard Self.codeSet.contains(code) else { throw Self.problem(for: code) }
        self.code = code
    }

    private init(unchecked code: String) {
        self.code = code
    }

    /// English.
    public static let en = TargetLanguage(unchecked: "en")
    /// Chinese (simplified).
    public static let zh = TargetLanguage(unchecked: "zh")
    /// Chinese (traditional).
    public static let zhTW = TargetLanguage(unchecked: "zh-TW")
    /// Japanese.
    public static let ja = TargetLanguage(unchecked: "ja")

    /// The 190 accepted codes, in the SDK's order.
    public static let codes: [String] = [
        "ab", "ace", "ach", "af", "ak", "am", "ar", "as", "ay", "az", "ba", "ban", "bbc", "bem", "bew",
        "bg", "bho", "bik", "bm", "bn", "br", "bs", "btx", "bts", "bua", "ca", "ceb", "cgg", "chm", "ckb",
        "cnh", "co", "crh", "crs", "cs", "cv", "cy", "da", "de", "din", "doi", "dov", "dv", "dz", "ee",
        "el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi", "fil", "fj", "fr", "fr-CA", "fr-FR", "fy",
        "ga", "gaa", "gd", "gl", "gn", "gom", "gu", "gv", "ha", "haw", "he", "hi", "hil", "hmn", "hr",
        "hrx", "ht", "hu", "hy", "id", "ig", "ilo", "is", "it", "iw", "ja", "jv", "ka", "kk", "km", "kn",
        "ko", "kri", "ku", "ktu", "ky", "la", "lb", "lg", "li", "lij", "lmo", "ln", "lo", "lt", "ltg",
        "luo", "lus", "lv", "mai", "mak", "mg", "mi", "min", "mk", "ml", "mn", "mr", "ms", "mt", "my",
        "ne", "new", "nl", "no", "nr", "nso", "nus", "ny", "oc", "om", "or", "pa", "pag", "pam", "pap",
        "pl", "ps", "pt", "pt-BR", "pt-PT", "qu", "ro", "rom", "rn", "ru", "rw", "sa", "scn", "sd", "sg",
        "shn", "si", "sk", "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv", "sw", "szl", "ta",
        "te", "tet", "tg", "th", "ti", "tk", "tn", "tr", "ts", "tt", "ug", "uk", "ur", "uz", "vi", "xh",
        "yi", "yo", "yua", "yue", "zh", "zh-TW", "zu",
    ]

    static let codeSet = Set(codes)

    static func problem(for code: String) -> ValidationProblem {
        ValidationProblem(
            field: "SmartSubtitlesTask.RawParameter.TranslateDstLanguage",
            message:
                "\(Quote.value(code)) is not a target-language code MPS accepts (e.g. en, ja, zh, zh-TW; case-sensitive)",
            errorCode: ErrorCode.translateDstLanguage
        )
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let code = try container.decode(String.self)
        guard Self.codeSet.contains(code) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: Self.problem(for: code).message)
        }
        self.code = code
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.code)
    }

    public var description: String { self.code }
}

/// `TranslateDstLanguage`: one or more target languages, sent joined by `/` (`"en/ja"`).
/// Never empty and never holds the same code twice; order is kept.
public struct TargetLanguages: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The languages, in the order given.
    public let languages: [TargetLanguage]

    /// Accepts a non-empty list without duplicates.
    public init(_ languages: [TargetLanguage]) throws(ValidationProblem) {
        if let problem = Self.problem(for: languages.map(\.code)) { throw problem }
        self.languages = languages
    }

    /// Parses the wire form, e.g. `"en/ja"`.
    public init(_ wire: String) throws(ValidationProblem) {
        let codes = Self.split(wire)
        if let problem = Self.problem(for: codes) { throw problem }
        var languages: [TargetLanguage] = []
        for code in codes {
            languages.append(try TargetLanguage(code))
        }
        self.languages = languages
    }

    /// The wire form: the codes joined by `/`.
    public var wireValue: String { self.languages.map(\.code).joined(separator: "/") }

    static func split(_ wire: String) -> [String] {
        wire.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    }

    /// The first thing wrong with a list of codes: empty, an empty or unknown code, or a duplicate.
    static func problem(for codes: [String]) -> ValidationProblem? {
        let field = "SmartSubtitlesTask.RawParameter.TranslateDstLanguage"
        let code = ErrorCode.translateDstLanguage
        if codes.isEmpty || codes == [""] {
            return ValidationProblem(field: field, message: "must name at least one target language", errorCode: code)
        }
        if codes.contains("") {
            return ValidationProblem(
                field: field,
                message: "has an empty language code; join codes with a single \"/\", e.g. \"en/ja\"",
                errorCode: code
            )
        }
        let unknown = codes.filter { !TargetLanguage.codeSet.contains($0) }
        if !unknown.isEmpty {
            let list = unknown.map { Quote.value($0) }.joined(separator: ", ")
            let verb = unknown.count == 1 ? "is not a target-language code" : "are not target-language codes"
            return ValidationProblem(
                field: field,
                message: "\(list) \(verb) MPS accepts (e.g. en, ja, zh, zh-TW; case-sensitive)",
                errorCode: code
            )
        }
        var seen: Set<String> = []
        let duplicates = codes.filter { !seen.insert($0).inserted }
        if !duplicates.isEmpty {
            let names = Set(duplicates).sorted().joined(separator: ", ")
            return ValidationProblem(
                field: field,
                message: "names \(names) more than once; each target language may appear once",
                errorCode: code
            )
        }
        return nil
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let wire = try container.decode(String.self)
        do {
            try self.init(wire)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.wireValue)
    }

    public var description: String { self.wireValue }
}
