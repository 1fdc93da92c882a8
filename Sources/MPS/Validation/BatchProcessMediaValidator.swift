import Foundation

/// Checks a `BatchProcessMedia` body the way MPS would, before anything is sent (or, in the
/// emulator, before anything is accepted).
///
/// `validate(_:)` reports every problem it finds, not just the first: wrong JSON types, missing
/// required fields, unknown field names at any depth (with a suggestion for near misses such as
/// `SkipMetaData`), out-of-range values and the rules between fields. An empty array means MPS
/// should accept the body as far as its documented rules go. Problems come in a stable order:
/// the schema walk first (in field order), then the cross-field rules.
///
/// `null` is read as MPS's SDK reads it: the SDK drops a member whose value is `None` before
/// sending, so an optional member given as `null` is absent, and a required one is missing
/// (reported at its field, saying that `null` counts as absent).
public enum BatchProcessMediaValidator {
    /// Every problem in a raw JSON body.
    public static func validate(_ json: JSONValue) -> [ValidationProblem] {
        guard case .object(let members) = json else {
            return [
                ValidationProblem(
                    field: "",
                    message: "the request body must be a JSON object, not \(json.typeName)",
                    errorCode: ErrorCode.invalidParameter
                )
            ]
        }
        var dropped: Set<String> = []
        let present = NullDropper.dropping(members, RequestSchema.batchProcessMediaRequest, path: "", dropped: &dropped)
        var walker = SchemaWalker()
        walker.walkObject(present, RequestSchema.batchProcessMediaRequest, path: "")
        var rules = RuleChecker(root: present)
        rules.checkAll()
        // A member a rule needs (NotifyUrl, OutputStorage, …) that was `null` is missing: say why.
        return walker.problems
            + rules.problems.map { problem in
                guard problem.errorCode == ErrorCode.missingParameter, dropped.contains(problem.field) else { return problem }
                return ValidationProblem(
                    field: problem.field, message: problem.message + NullDropper.note, errorCode: problem.errorCode
                )
            }
    }

    /// `json` (a `BatchProcessMedia` body) without the optional members that are `null`, at any
    /// depth, as MPS's SDK would send it. `null` in a required member, in an array or in a member
    /// the API does not have is kept, for `validate(_:)` to report.
    public static func droppingNulls(_ json: JSONValue) -> JSONValue {
        guard case .object(let members) = json else { return json }
        var dropped: Set<String> = []
        return .object(NullDropper.dropping(members, RequestSchema.batchProcessMediaRequest, path: "", dropped: &dropped))
    }

    /// Every problem in a typed request: the rules between fields, checked on exactly the JSON
    /// `MPSJSON.encoder()` would send.
    public static func validate(_ request: BatchProcessMediaRequest) -> [ValidationProblem] {
        do {
            let bytes = try MPSJSON.encoder().encode(request)
            let json = try MPSJSON.decoder().decode(JSONValue.self, from: bytes)
            return self.validate(json)
        } catch {
            return [
                ValidationProblem(
                    field: "",
                    message: "the request could not be encoded as JSON: \(error)",
                    errorCode: ErrorCode.invalidParameter
                )
            ]
        }
    }

    /// Parses and validates a body: the typed request when it is valid, otherwise every problem
    /// (`ValidationProblems` is a collection of them: `Result` needs an `Error` as its failure).
    public static func decode(_ bytes: some Sequence<UInt8>) -> Result<BatchProcessMediaRequest, ValidationProblems> {
        let data = Data(bytes)
        let json: JSONValue
        do {
            json = try MPSJSON.decoder().decode(JSONValue.self, from: data)
        } catch {
            return .failure(
                ValidationProblems([
                    ValidationProblem(
                        field: "",
                        message: "the request body is not valid JSON",
                        errorCode: ErrorCode.invalidParameter
                    )
                ])
            )
        }
        let problems = self.validate(json)
        guard problems.isEmpty else { return .failure(ValidationProblems(problems)) }
        do {
            return .success(try MPSJSON.decoder().decode(BatchProcessMediaRequest.self, from: data))
        } catch let error as DecodingError {
            return .failure(ValidationProblems([Self.problem(from: error)]))
        } catch {
            return .failure(
                ValidationProblems([
                    ValidationProblem(field: "", message: "\(error)", errorCode: ErrorCode.invalidParameter)
                ])
            )
        }
    }

    /// A decoding failure the JSON checks did not anticipate, as a problem at its wire path.
    static func problem(from error: DecodingError) -> ValidationProblem {
        let (path, message): ([any CodingKey], String) =
            switch error {
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
                (context.codingPath, context.debugDescription)
            case .keyNotFound(let key, let context):
                (context.codingPath + [key], "is required")
            @unknown default:
                ([], "\(error)")
            }
        var field = ""
        for key in path {
            if let index = key.intValue {
                field += "[\(index)]"
            } else {
                field += field.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return ValidationProblem(field: field, message: message, errorCode: ErrorCode.invalidParameter)
    }
}

/// Walks a body along `RequestSchema`: JSON types, always-required members, unknown members.
struct SchemaWalker {
    private(set) var problems: [ValidationProblem] = []

    mutating func walkObject(_ members: [String: JSONValue], _ schema: ObjectSchema, path: String) {
        for field in schema.fields {
            let fieldPath = Path.join(path, field.name)
            let value = members[field.name]
            if let value, !value.isNull {
                self.walk(value, field.shape, path: fieldPath, field: field)
            } else if field.required {
                self.problems.append(
                    ValidationProblem(
                        field: fieldPath, message: "is required" + (value == nil ? "" : NullDropper.note),
                        errorCode: ErrorCode.missingParameter
                    )
                )
            }
        }
        for name in members.keys.sorted() where schema.field(named: name) == nil {
            self.problems.append(
                ValidationProblem(
                    field: Path.join(path, name),
                    message: Self.unknownMessage(name, schema: schema, atRoot: path.isEmpty),
                    errorCode: ErrorCode.unknownParameter
                )
            )
        }
    }

    private mutating func walk(_ value: JSONValue, _ shape: Shape, path: String, field: FieldSchema) {
        switch (shape, value) {
        case (_, .null):
            // Only array elements get here: a member's null is absent (see `walkObject`).
            self.typeProblem(path, shape, value)
        case (.string, .string), (.number, .number):
            break
        case (.integer, .number):
            if value.intValue == nil {
                self.typeProblem(path, shape, value)
            }
        case (.unsignedInteger, .number(let number)):
            if number.rounded(.towardZero) != number {
                self.typeProblem(path, shape, value)
            } else if number < 0 {
                self.problems.append(
                    ValidationProblem(
                        field: path,
                        message: "must not be negative; got \(Int(number))",
                        errorCode: field.valueErrorCode
                    )
                )
            } else if number >= 18_446_744_073_709_551_616 {
                self.problems.append(
                    ValidationProblem(
                        field: path,
                        message: "is too large for an unsigned 64-bit integer",
                        errorCode: field.valueErrorCode
                    )
                )
            }
        case (.object(let schema), .object(let members)):
            self.walkObject(members, schema, path: path)
        case (.array(let element), .array(let elements)):
            for (index, item) in elements.enumerated() {
                self.walk(item, element, path: "\(path)[\(index)]", field: field)
            }
        default:
            self.typeProblem(path, shape, value)
        }
    }

    private mutating func typeProblem(_ path: String, _ shape: Shape, _ value: JSONValue, hint: String = "") {
        // For a number where an integer belongs, the value itself says more than its type.
        let got: String =
            switch (shape, value) {
            case (.integer, .number(let number)), (.unsignedInteger, .number(let number)): "\(number)"
            default: value.typeName
            }
        self.problems.append(
            ValidationProblem(
                field: path,
                message: "must be \(shape.typeName), not \(got)\(hint)",
                errorCode: ErrorCode.invalidParameter
            )
        )
    }

    static func unknownMessage(_ name: String, schema: ObjectSchema, atRoot: Bool) -> String {
        var message = "is not a member of \(schema.typeName)"
        if let suggestion = Self.suggestion(for: name, among: schema.names) {
            message += "; did you mean \"\(suggestion)\"?"
        } else if atRoot, RequestSchema.commonParameters.contains(name) {
            message += "; common parameters go in the X-TC-* headers, not the body"
        }
        return message
    }

    /// The known name closest to `name` (see ``NearMiss``).
    static func suggestion(for name: String, among names: [String]) -> String? {
        NearMiss.suggestion(for: name, among: names)
    }
}

/// Removes `null` from optional members along `RequestSchema`, as MPS's SDK does before sending.
enum NullDropper {
    /// Appended to a "required" problem whose member was `null`.
    static let note = " (null counts as absent)"

    /// `members` without its optional `null` members, recursively; their paths go into `dropped`.
    static func dropping(
        _ members: [String: JSONValue], _ schema: ObjectSchema, path: String, dropped: inout Set<String>
    ) -> [String: JSONValue] {
        var kept = members
        for field in schema.fields {
            guard let value = members[field.name] else { continue }
            let fieldPath = Path.join(path, field.name)
            if value.isNull {
                if !field.required {
                    kept.removeValue(forKey: field.name)
                    dropped.insert(fieldPath)
                }
            } else {
                kept[field.name] = self.dropping(value, field.shape, path: fieldPath, dropped: &dropped)
            }
        }
        return kept
    }

    private static func dropping(_ value: JSONValue, _ shape: Shape, path: String, dropped: inout Set<String>) -> JSONValue {
        switch (shape, value) {
        case (.object(let schema), .object(let members)):
            return .object(self.dropping(members, schema, path: path, dropped: &dropped))
        case (.array(let element), .array(let elements)):
            return .array(
                elements.enumerated().map { index, item in
                    self.dropping(item, element, path: "\(path)[\(index)]", dropped: &dropped)
                }
            )
        default:
            return value
        }
    }
}

enum Path {
    static func join(_ path: String, _ name: String) -> String {
        path.isEmpty ? name : path + "." + name
    }
}
